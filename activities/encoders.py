"""Which H.264 encoder a reel is encoded with, and its arguments.

Hardware encoders are compiled into many ffmpeg builds (the shipped one lists h264_nvenc)
but only work with the hardware and driver present, so `pick_encoder` tries a one-frame
encode before trusting one and falls back to libx264 otherwise. The answer is cached per
process: the hardware does not come and go between reels.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from functools import cache

from activities.ffmpeg_run import ffmpeg_exe, listed

log = logging.getLogger(__name__)

SOFTWARE = "libx264"
# Not an encoder: the render's frames written as they are, so a benchmark can measure x264
# alone on exactly the frames compose hands it.
RAW_FRAMES = "rawvideo"
HARDWARE = ("h264_videotoolbox", "h264_nvenc")
CRF = 20  # visually clean at phone sizes; platforms re-encode anyway
NVENC_PRESETS = {  # x264 preset -> the NVENC preset of similar speed/quality trade-off
    "ultrafast": "p1", "superfast": "p2", "veryfast": "p3", "faster": "p4",
    "fast": "p5", "medium": "p6", "slow": "p7",
}  # fmt: skip


def pick_encoder(requested: str) -> str:
    """`auto` -> the first working hardware encoder for this platform, else libx264; a named
    hardware encoder that does not work here also falls back, with a warning."""
    if requested == SOFTWARE:
        return SOFTWARE
    candidates = [requested] if requested in HARDWARE else _platform_candidates()
    for name in candidates:
        if encoder_works(name):
            return name
        if requested == name:
            log.warning("encoder %s does not work on this machine; using libx264", name)
    return SOFTWARE


def _platform_candidates() -> list[str]:
    return ["h264_videotoolbox"] if sys.platform == "darwin" else ["h264_nvenc"]


@cache
def encoder_works(name: str) -> bool:
    if name not in listed("-encoders"):
        return False
    proc = subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
            "-i", "color=c=gray:s=256x256:r=30:d=0.2", "-frames:v", "3",
            "-c:v", name, "-pix_fmt", "yuv420p", "-f", "null", "-",
        ],
        capture_output=True, text=True, errors="replace", timeout=60, check=False,
    )  # fmt: skip
    return proc.returncode == 0


def video_args(encoder: str, preset: str, fps: int) -> dict[str, str | int]:
    """Output options for H.264 High, yuv420p, a keyframe every two seconds."""
    common: dict[str, str | int] = {
        "vcodec": encoder, "pix_fmt": "yuv420p", "profile:v": "high", "g": 2 * fps,
    }  # fmt: skip
    if encoder == RAW_FRAMES:
        return {"vcodec": encoder, "pix_fmt": "yuv420p"}
    if encoder == "h264_nvenc":
        return {**common, "preset": NVENC_PRESETS.get(preset, "p4"), "rc": "vbr", "cq": 21,
                "b:v": 0}  # fmt: skip
    if encoder == "h264_videotoolbox":
        return {**common, "b:v": "10M", "allow_sw": 0}
    return {**common, "preset": preset, "crf": CRF}
