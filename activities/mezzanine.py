"""Own footage at the reel's size: transcoded once per file, reused by every reel.

A library clip (phone footage is often 4K, often landscape) would otherwise be decoded at its
own size and cropped and scaled again in every reel that uses it. Its mezzanine is the clip
cover-cropped to the reel's frame at the reel's rate, encoded to decode cheaply (x264's
`fastdecode` tune: no CABAC, no deblocking; no B-frames, 16x16 blocks only; crf 16, visually
lossless before the reel's own encode), and kept in the artifact store under a hash of the
file's identity and the target. Compose then reads frames at the reel's size and its crop and
scale pass them through untouched.

Downloaded footage (stock, generated) is not transcoded: a clip used once would pay a whole
extra encode to save its crop and scale.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from activities.artifacts import ArtifactStore, aside
from activities.errors import bad_input
from activities.ffmpeg_run import Tick, run_ffmpeg
from activities.quality import probe

MAX_S = 90.0  # scenes read a clip from its start and never need more; longer files are cut
CRF = 16
VERSION = 2  # part of the key: a change to the recipe above makes new mezzanines
Stream = Any  # ffmpeg-python ships no type hints


@dataclass
class Mezzanine:
    path: Path
    duration_s: float
    cpu_seconds: float  # spent making it now; 0 when it was already in the store


def fit_to_frame(stream: Stream, width: int, height: int) -> Stream:
    """Crop to the frame's aspect first, then scale: scaling only the pixels that are kept is
    what keeps landscape footage cheap to turn vertical."""
    return (
        stream.filter("crop", f"min(iw,ih*{width}/{height})", f"min(ih,iw*{height}/{width})")
        # Photos are full-range (yuvj); the reel is limited-range like all broadcast video.
        .filter("scale", width, height, flags="bicubic", out_range="tv")
        .filter("setsar", 1)
    )


def key(source: Path, width: int, height: int, fps: int) -> str:
    """The file's identity (path, size, modification time) and the target: hashing the
    bytes of a 4K library on every reel would cost more than the crop it saves."""
    stat = source.stat()
    identity = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{width}x{height}@{fps}"
    return hashlib.sha256(f"{identity}|v{VERSION}".encode()).hexdigest()[:24]


def ensure(
    store: ArtifactStore, source: Path, width: int, height: int, fps: int,
    on_progress: Tick | None = None,
) -> Mezzanine:  # fmt: skip
    """The mezzanine of `source`, made now if the store does not have it yet."""
    path = store.path_for("cache/mezzanine", f"{key(source, width, height, fps)}.mp4")
    if path.is_file():
        return Mezzanine(path, probe(path).duration_s, 0.0)
    info = probe(source)
    if not info.video_codec or info.duration_s <= 0:
        raise bad_input(f"own media {source}: no readable video stream")
    seconds = min(info.duration_s, MAX_S)
    partial = aside(path)
    picture = fit_to_frame(ffmpeg.input(str(source), t=f"{seconds:.3f}").video, width, height)
    args = ffmpeg.output(
        picture.filter("fps", fps).filter("format", "yuv420p"),
        str(partial),
        vcodec="libx264", preset="veryfast", tune="fastdecode", crf=CRF, g=fps, an=None,
        # Decoded in every reel, made once: no B-frames and 16x16 blocks only cut the decode
        # by a fifth (files a fifth larger, same PSNR to the source) and the ingest by a third.
        **{"x264-params": "bframes=0:partitions=none"},
        movflags="+faststart",
        # Said in the stream, the limited range makes compose's crop and scale of this file
        # no-ops that pass frames through; left unsaid (x264 writes no range unless a colour
        # space is known), ffmpeg converts "unknown" to limited range on every frame.
        **{"bsf:v": "h264_metadata=video_full_range_flag=0"},
    ).get_args()  # fmt: skip
    try:
        run = run_ffmpeg(args, on_progress, what=f"mezzanine of {source.name}")
        # Whole or absent: two reels ingesting the same clip at once each write their own.
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Mezzanine(path, probe(path).duration_s, run.cpu_seconds)
