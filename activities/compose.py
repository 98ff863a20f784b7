"""The compose stage: scene clips + voice + captions + a music bed -> one vertical H.264 reel.

One ffmpeg command, built as a graph with ffmpeg-python and run through `run_ffmpeg` so it
heartbeats, stops on cancel and is billed by its exact CPU time. A second tiny call grabs the
cover frame.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import ffmpeg
from temporalio import activity

from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.assets import FONTS_DIR
from activities.captions import group_captions, load_words, to_ass
from activities.errors import bad_input
from activities.ffmpeg_run import out_seconds, run_ffmpeg
from activities.metering import Meter
from activities.progress import heartbeat
from workflows.contracts import ComposedReel, ComposeRequest, LookConfig, SceneSpan

TAIL_S = 0.4  # picture and music run on briefly after the last word
XFADE_S = 0.3
AUDIO_RATE = 48000
FADE_S = 0.5
COVER_AT_S = 1.0
# Soft pads: two chords that slowly trade places, each a few sines with a slow tremolo.
CHORDS = {
    "calm": ((110.0, 220.0, 261.63, 329.63), (98.0, 196.0, 246.94, 293.66)),
    "bright": ((130.81, 261.63, 329.63, 392.0), (146.83, 293.66, 369.99, 440.0)),
}
MUSIC_GAIN = 0.05  # per note: the pad averages about -23 dBFS, well under a voice, before ducking
Stream = Any  # ffmpeg-python ships no type hints
_SAFE_PATH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-")


class ComposeActivities:
    def __init__(self, store: ArtifactStore, cpu_second_usd: float) -> None:
        self.store = store
        self.cpu_second_usd = cpu_second_usd

    # See VisualsActivities.make_visuals for why cancel is polled rather than injected.
    @activity.defn(name="compose_reel", no_thread_cancel_exception=True)
    def compose_reel(self, req: ComposeRequest) -> ComposedReel:
        meter = Meter("compose", "ffmpeg", self.cpu_second_usd)
        clips = [to_path(clip.uri) for clip in req.visuals.clips]
        voice = to_path(req.voice.audio_uri)
        alignment = to_path(req.voice.alignment_uri)
        _validate(req)

        out = self.store.path_for(req.reel_id, "reel.mp4")
        captions = self.store.path_for(req.reel_id, "captions.ass")
        events = group_captions(load_words(alignment), req.look.caption_words)
        captions.write_text(to_ass(events, req.look), encoding="utf-8")

        total = round(req.voice.duration_s + TAIL_S, 3)
        with tempfile.TemporaryDirectory(prefix="compose-") as scratch:
            args = compose_args(
                req, clips, voice, _filter_safe(captions, Path(scratch)), out, total
            )

            def tick(progress: dict[str, str]) -> None:
                heartbeat({"progress": round(min(1.0, out_seconds(progress) / total), 3)})

            run = run_ffmpeg(args, tick, what="compose")
        meter.add_child_cpu(run.cpu_seconds)

        cover = self.store.path_for(req.reel_id, "cover.jpg")
        run = run_ffmpeg(_cover_args(out, cover, req.look, total), what="cover")
        meter.add_child_cpu(run.cpu_seconds)
        heartbeat({"progress": 1.0})
        return ComposedReel(
            video_uri=to_uri(out), cover_uri=to_uri(cover), duration_s=total, cost=meter.cost()
        )


def _validate(req: ComposeRequest) -> None:
    if not req.visuals.clips:
        raise bad_input("compose request: visuals.clips is empty")
    if len(req.visuals.clips) != len(req.voice.scenes):
        raise bad_input(
            f"compose request: {len(req.visuals.clips)} visuals.clips for "
            f"{len(req.voice.scenes)} voice.scenes"
        )
    if req.voice.duration_s <= 0:
        raise bad_input("compose request: voice.duration_s must be positive")
    if req.look.music not in (*CHORDS, "none"):
        raise bad_input(f"look.music {req.look.music!r}: expected one of {[*CHORDS, 'none']}")


def compose_args(
    req: ComposeRequest, clips: list[Path], voice: Path, captions: Path, out: Path, total: float
) -> list[str]:
    look = req.look
    video = _picture(req, clips, total)
    video = (
        video.filter("scale", look.width, look.height, flags="bicubic")
        .filter("setsar", 1)
        .filter("ass", filename=str(captions), fontsdir=str(FONTS_DIR))
        .filter("format", "yuv420p")
    )
    audio = _sound(voice, look, total)
    preset = "veryfast" if req.safe else look.x264_preset
    output = ffmpeg.output(
        video,
        audio,
        str(out),
        t=f"{total:.3f}",
        r=look.fps,
        vcodec="libx264",
        preset=preset,
        profile="high",
        crf=20,
        pix_fmt="yuv420p",
        acodec="aac",
        ar=AUDIO_RATE,
        ac=2,
        **{"b:a": "160k", "movflags": "+faststart"},
    )
    return output.get_args()


def _picture(req: ComposeRequest, clips: list[Path], total: float) -> Stream:
    """Scene clips cut to their voice spans: cross-faded when every clip has room for the
    fade (visuals renders a handle past each scene), else butt-joined; either way scene k
    starts when its narration does and the picture lasts `total` seconds."""
    spans = req.voice.scenes
    fade = 0.0 if req.safe else XFADE_S
    if any(c.duration_s < _span_len(s) + fade for c, s in zip(req.visuals.clips, spans)):
        fade = 0.0
    starts = [s.start - spans[0].start for s in spans]
    streams = []
    for k, (path, span) in enumerate(zip(clips, spans, strict=True)):
        last = k == len(spans) - 1
        need = (total - starts[k]) if last else _span_len(span) + fade
        streams.append(_fit(ffmpeg.input(str(path)).video, need, req.look.fps))
    if fade == 0.0:
        return ffmpeg.concat(*streams, v=1, a=0)
    joined = streams[0]
    for k in range(1, len(streams)):
        joined = ffmpeg.filter(
            [joined, streams[k]], "xfade", transition="fade", duration=fade, offset=starts[k]
        )
    return joined


def _fit(stream: Stream, seconds: float, fps: int) -> Stream:
    """Exactly `seconds` of a clip at the reel's rate; a short clip holds its last frame."""
    return (
        stream.filter("fps", fps)
        .filter("tpad", stop_mode="clone", stop_duration=f"{seconds:.3f}")
        .filter("trim", duration=f"{seconds:.3f}")
        .filter("setpts", "PTS-STARTPTS")
        .filter("format", "yuv420p")
        .filter("setsar", 1)
    )


def _sound(voice: Path, look: LookConfig, total: float) -> Stream:
    speech = (
        ffmpeg.input(str(voice))
        .audio.filter("aresample", AUDIO_RATE)
        .filter("aformat", sample_fmts="fltp", channel_layouts="mono")
        .filter("apad", whole_dur=f"{total:.3f}")
    )
    if look.music == "none":
        mixed = speech
    else:
        split = speech.filter_multi_output("asplit", 2)
        pad = ffmpeg.input(_pad_source(look.music, total), f="lavfi").audio
        # The bed is the compressed input and the voice its key: music dips while words play.
        bed = ffmpeg.filter(
            [pad, split[1]], "sidechaincompress", threshold=0.02, ratio=8, attack=30, release=500
        )
        mixed = ffmpeg.filter([split[0], bed], "amix", inputs=2, duration="first", normalize=0)
    return (
        mixed.filter("atrim", duration=f"{total:.3f}")
        .filter("afade", t="in", d=0.05)
        .filter("afade", t="out", st=f"{max(0.0, total - FADE_S):.3f}", d=FADE_S)
        .filter("loudnorm", I=-14, TP=-1.5, LRA=11)
        .filter("aresample", AUDIO_RATE)
    )


def _pad_source(music: str, total: float) -> str:
    """An aevalsrc expression for the chord pad: chord A fades into chord B and back every
    16 s, the whole pad breathes with a 0.2 Hz tremolo."""
    chord_a, chord_b = CHORDS[music]
    mix = "(0.5+0.5*sin(2*PI*t/16))"
    a = "+".join(f"sin(2*PI*{f}*t)" for f in chord_a)
    b = "+".join(f"sin(2*PI*{f}*t)" for f in chord_b)
    tremolo = "(0.8+0.2*sin(2*PI*0.2*t))"
    swell = f"min(1,t/2)*min(1,({total:.3f}-t)/1.5)"
    expr = f"{MUSIC_GAIN}*{tremolo}*{swell}*(({a})*{mix}+({b})*(1-{mix}))"
    return f"aevalsrc=exprs='{expr}':s={AUDIO_RATE}:d={total:.3f}:c=mono"


def _cover_args(video: Path, cover: Path, look: LookConfig, total: float) -> list[str]:
    at = min(COVER_AT_S, max(0.0, total / 2))
    return [
        "-ss", f"{at:.2f}", "-i", str(video),
        "-frames:v", "1", "-vf", f"scale={look.width // 2}:-2:flags=lanczos", "-q:v", "3",
        str(cover),
    ]  # fmt: skip


def _span_len(span: SceneSpan) -> float:
    return span.end - span.start


def _filter_safe(path: Path, scratch: Path) -> Path:
    """ffmpeg-python escapes `:` and quotes but not the graph's `[],;`, so a path with
    anything unusual is copied to a plain name for the duration of the render."""
    if set(str(path)) <= _SAFE_PATH:
        return path
    copy = scratch / path.name
    shutil.copyfile(path, copy)
    return copy
