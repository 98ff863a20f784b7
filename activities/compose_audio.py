"""The reel's sound: the voice over a music bed, ducked under the words, measured and levelled.

The bed is a music file (looped, levelled against the voice) or a synthesized chord pad; a
sidechain compressor dips it while words play. The mix is mono unless a music file brings a
second channel (`layout`). One audio-only pass measures the mix (ebur128) for one linear gain
to -14 LUFS, with a look-ahead limiter where that gain would push peaks over the ceiling; the
measured samples are kept so the render reads them back instead of mixing again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from activities.artifacts import ArtifactStore, aside
from activities.compose_plan import CompositionPlan, Stream
from activities.errors import bad_input
from activities.ffmpeg_run import run_ffmpeg
from activities.loudness import EBUR128, SILENT_LUFS, TARGET_LUFS, Loudness, parse_ebur128
from workflows.contracts import LookConfig

AUDIO_RATE = 48000
# ffmpeg's own AAC encoder with its "fast" coder: 0.2 CPU s a reel against 0.6 for the
# default "twoloop", which its author found no better at high bitrates.
AAC = {"acodec": "aac", "aac_coder": "fast"}
AAC_BITRATE = {"mono": "128k", "stereo": "160k"}
FADE_S = 0.5
MUSIC_FADE_IN_S = 1.0
MUSIC_UNDER_VOICE_LU = 18.0  # a music file's bed sits this far under the voice before ducking
LRA = 11  # loudness range target: wide enough that speech is never squashed
TRUE_PEAK_TARGET = -1.5  # the ceiling we aim under; AAC adds a few tenths, the check allows -1.0
LIMITER_MARGIN_DB = 1.0  # alimiter sees samples, not the true (inter-sample) peak
# Soft pads: two chords that slowly trade places, each a few sines with a slow tremolo.
CHORDS = {
    "calm": ((110.0, 220.0, 261.63, 329.63), (98.0, 196.0, 246.94, 293.66)),
    "bright": ((130.81, 261.63, 329.63, 392.0), (146.83, 293.66, 369.99, 440.0)),
}
PAD_PERIOD_S = 80  # the chords trade places every 16 s, the tremolo every 5 s
MUSIC_GAIN = 0.05  # per note: the pad averages about -23 dBFS, well under a voice, before ducking
CHANNELS = {"mono": 1, "stereo": 2}
DUCK_THRESHOLD = 0.02  # the voice's level, in a stereo mix's channel, where the bed dips


@dataclass
class InputLevels:
    voice_lufs: float
    music_lufs: float
    cpu_seconds: float


def measure_inputs(store: ArtifactStore, voice: Path, music: Path) -> InputLevels:
    """Integrated loudness of the voice and of the music file, to level one against the
    other. A music file is measured once: its loudness is kept under a hash of its bytes."""
    digest = file_digest(music)
    cached = store.path_for("cache/loudness", f"{digest}.json")
    try:
        music_lufs: float | None = float(json.loads(cached.read_text())["integrated_lufs"])
    except (OSError, ValueError, KeyError, TypeError):
        music_lufs = None
    args = ["-i", str(voice)]
    # One channel read as one (no dual-mono): the music file is levelled against the voice
    # measured this way, and a reel with a music file is as loud against its bed as before.
    graph = "[0:a]ebur128[m0]"
    if music_lufs is None:
        args += ["-i", str(music)]
        graph += ";[1:a]ebur128[m1]"
    args += ["-filter_complex", graph, "-map", "[m0]", "-f", "null", "-"]
    if music_lufs is None:
        args += ["-map", "[m1]", "-f", "null", "-"]
    run = run_ffmpeg(args, what="loudness measurement")
    found = parse_ebur128(run.stderr)
    if not found:
        raise bad_input(f"voice {voice}: no audio to measure")
    if music_lufs is None:  # summaries print in filter order: the voice's, then the music's
        music_lufs = found[1].integrated_lufs if len(found) > 1 else TARGET_LUFS
        write_atomically(cached, json.dumps({"integrated_lufs": music_lufs, "file": music.name}))
    return InputLevels(found[0].integrated_lufs, music_lufs, run.cpu_seconds)


def file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:24]


def write_atomically(path: Path, text: str) -> None:
    partial = aside(path)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def sound(plan: CompositionPlan, look: LookConfig) -> Stream:
    """The mix normalised to -14 LUFS by one measured gain (what linear loudnorm applies,
    without its 192 kHz pass). Where that gain would push peaks over the ceiling, a look-ahead
    limiter shaves them (Piper's plosives sit ~16 dB over its loudness). Unmeasured (never
    in compose_reel), loudnorm's dynamic mode."""
    mix = _mix(plan, look)
    if plan.mix is None:
        return mix.filter("loudnorm", I=TARGET_LUFS, TP=TRUE_PEAK_TARGET, LRA=LRA,
                          dual_mono="true").filter(
            "aresample", AUDIO_RATE
        )
    if plan.gain_db is not None:
        return _limited(mix, plan.gain_db, plan.peak_margin_db)
    return mix.filter("volume", f"{_linear_gain(plan):.2f}dB")


def _linear_gain(plan: CompositionPlan) -> float:
    assert plan.mix is not None
    return TARGET_LUFS - plan.mix.integrated_lufs + plan.offset_db


def needs_limiter(plan: CompositionPlan) -> bool:
    assert plan.mix is not None and plan.mix.true_peak_dbtp is not None
    peak = plan.mix.true_peak_dbtp + _linear_gain(plan)
    return plan.peak_margin_db > 0 or peak > TRUE_PEAK_TARGET


def _limited(stream: Stream, gain_db: float, margin_db: float = 0.0) -> Stream:
    # alimiter limits sample peaks; the margin under the ceiling covers inter-sample peaks
    # and the AAC encoder's overshoot. level=0: no make-up gain, the loudness stays ours.
    ceiling = 10 ** ((TRUE_PEAK_TARGET - LIMITER_MARGIN_DB - margin_db) / 20)
    return stream.filter("volume", f"{gain_db:.2f}dB").filter(
        "alimiter", limit=f"{ceiling:.4f}", attack=5, release=50, level=0, latency=1
    )


def limited_gain(plan: CompositionPlan, look: LookConfig) -> tuple[float, float]:
    """The gain to put in front of the limiter: the limiter takes back part of any gain it
    has to hold down, so measure what it leaves of the linear gain and add the shortfall with
    40% to spare for what it takes of that (lands within ~0.3 LU of the target on speech)."""
    gain = _linear_gain(plan)
    limited = _limited(_mix(plan, look), gain, plan.peak_margin_db)
    # Integrated loudness only (no true peak): mono as heard, like every other measurement.
    args = ffmpeg.output(limited.filter("ebur128", dualmono=EBUR128["dualmono"]), "-", f="null")
    run = run_ffmpeg(args.get_args(), what="limiter measurement")
    found = parse_ebur128(run.stderr)
    shortfall = TARGET_LUFS + plan.offset_db - found[-1].integrated_lufs if found else 0.0
    return gain + max(0.0, min(6.0, 1.4 * shortfall)), run.cpu_seconds


def measure_mix(
    plan: CompositionPlan, look: LookConfig, keep: Path | None = None
) -> tuple[Loudness, float]:
    """The mix's integrated loudness and true peak, audio alone (a few tenths of a CPU
    second). ebur128 measures what loudnorm's first pass does at a quarter of its cost:
    loudnorm resamples to 192 kHz even when only asked to measure.

    `keep`: the mix is also written there as float WAV (10 MB for a 27 s reel), so the
    limiter's pass and the render read these very samples instead of mixing again (resampling
    the voice, ducking and fading the bed: about 0.09 CPU s each time)."""
    mix = _mix(plan, look)
    extra = []
    if keep is not None:
        parts = mix.filter_multi_output("asplit", 2)
        mix, kept = parts[0], parts[1]
        extra.append(ffmpeg.output(kept, str(keep), acodec="pcm_f32le"))
    measured = ffmpeg.output(mix.filter("ebur128", **EBUR128), "-", f="null")
    args = ffmpeg.merge_outputs(measured, *extra)
    run = run_ffmpeg(args.get_args(), what="loudness measurement")
    found = parse_ebur128(run.stderr)
    if not found or found[-1].true_peak_dbtp is None:
        raise bad_input(f"voice {plan.voice}: loudness could not be measured")
    if found[-1].integrated_lufs <= SILENT_LUFS:
        raise bad_input(f"voice {plan.voice}: the mix is silent")
    return found[-1], run.cpu_seconds


CHANNELS = {"mono": 1, "stereo": 2}
DUCK_THRESHOLD = 0.02  # the voice's level, in a stereo mix's channel, where the bed dips


def _duck_at(plan: CompositionPlan) -> str:
    """The ducking threshold for the voice as the compressor hears it. ffmpeg spreads a mono
    voice over a stereo mix's two channels at -3 dB each; a mono mix carries it at its own
    level, so the threshold moves with it and the bed dips exactly as in the stereo mix."""
    scale = 1.0 if layout(plan) == "stereo" else math.sqrt(2.0)
    return f"{DUCK_THRESHOLD * scale:.6f}"


def layout(plan: CompositionPlan) -> str:
    """The reel's sound is mono unless a music file brings a second channel. The voice and the
    chord pad are mono: a stereo track of them is the same samples twice, and the render's
    sound cost twice a mono track's CPU (0.33 against 0.155 s a reel, mostly AAC's mid/side
    search finding the two channels equal). Players put mono on both speakers, and every
    loudness measurement reads mono as heard there (`loudness.EBUR128`), so the reel sounds
    and measures as its stereo twin did: its samples are the stereo mix's channel."""
    return "mono" if plan.music is None else "stereo"


def _mix(plan: CompositionPlan, look: LookConfig) -> Stream:
    if plan.mixed is not None:
        return ffmpeg.input(str(plan.mixed)).audio
    total = plan.total
    speech = (
        ffmpeg.input(str(plan.voice))
        .audio.filter("aresample", AUDIO_RATE)
        .filter("aformat", sample_fmts="fltp", channel_layouts=layout(plan))
        .filter("apad", whole_dur=f"{total:.3f}")
    )
    bed = _music(plan, look)
    if bed is None:
        mixed = speech
    else:
        split = speech.filter_multi_output("asplit", 2)
        # The bed is the compressed input and the voice its key: music dips while words play.
        ducked = ffmpeg.filter([bed, split[1]], "sidechaincompress", threshold=_duck_at(plan),
                               ratio=8, attack=30, release=500)  # fmt: skip
        mixed = ffmpeg.filter([split[0], ducked], "amix", inputs=2, duration="first", normalize=0)
    return (
        mixed.filter("atrim", duration=f"{total:.3f}")
        .filter("afade", t="in", d=0.05)
        .filter("afade", t="out", st=f"{max(0.0, total - FADE_S):.3f}", d=FADE_S)
    )


def _music(plan: CompositionPlan, look: LookConfig) -> Stream | None:
    total = plan.total
    if plan.music is not None:
        # Level the file against the voice as measured, whatever it was mastered at.
        gain = (plan.voice_lufs - MUSIC_UNDER_VOICE_LU) - plan.music_lufs
        bed = (
            ffmpeg.input(str(plan.music), stream_loop=-1)
            .audio.filter("aresample", AUDIO_RATE)
            .filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
            .filter("atrim", duration=f"{total:.3f}")
            .filter("volume", f"{max(-40.0, min(20.0, gain)):.2f}dB")
        )
    elif look.music != "none" and plan.pad is not None:
        # The pad's fades: its own swell (2 s in, 1.5 s out) times the bed's fades below.
        bed = (
            ffmpeg.input(str(plan.pad), stream_loop=-1)
            .audio.filter("atrim", duration=f"{total:.3f}")
            .filter("aformat", sample_fmts="fltp", channel_layouts=layout(plan))
            .filter("afade", t="in", d=2)
            .filter("afade", t="out", st=f"{max(0.0, total - 1.5):.3f}", d=1.5)
        )
    elif look.music != "none":
        bed = ffmpeg.input(_pad_source(look.music, total), f="lavfi").audio.filter(
            "aformat", sample_fmts="fltp", channel_layouts=layout(plan)
        )
    else:
        return None
    return bed.filter("afade", t="in", d=MUSIC_FADE_IN_S).filter(
        "afade", t="out", st=f"{max(0.0, total - 1.5):.3f}", d=1.5
    )


def _pad_expression(music: str) -> str:
    """The chord pad as an aevalsrc expression of t: chord A fades into chord B and back
    every 16 s, the whole pad breathes with a 0.2 Hz tremolo (so it repeats every 80 s)."""
    chord_a, chord_b = CHORDS[music]
    mix = "(0.5+0.5*sin(2*PI*t/16))"
    a = "+".join(f"sin(2*PI*{f}*t)" for f in chord_a)
    b = "+".join(f"sin(2*PI*{f}*t)" for f in chord_b)
    tremolo = "(0.8+0.2*sin(2*PI*0.2*t))"
    return f"{MUSIC_GAIN}*{tremolo}*(({a})*{mix}+({b})*(1-{mix}))"


def _pad_source(music: str, total: float) -> str:
    """The pad with its swell, drawn for one reel (when no pad file is at hand)."""
    swell = f"min(1,t/2)*min(1,({total:.3f}-t)/1.5)"
    expr = f"{swell}*{_pad_expression(music)}"
    return f"aevalsrc=exprs='{expr}':s={AUDIO_RATE}:d={total:.3f}:c=mono"


def pad_file(store: ArtifactStore, music: str) -> tuple[Path, float]:
    """One period of the chord pad, drawn once per store and reused by every reel (looped
    and faded there): evaluating the expression per sample cost about half a CPU second per
    reel in each of the three passes that hear the mix. Named by a hash of the expression,
    so a changed pad is a new file. Returns the file and the CPU seconds spent making it."""
    expr = _pad_expression(music)
    digest = hashlib.sha256(f"{expr}:{AUDIO_RATE}:{PAD_PERIOD_S}".encode()).hexdigest()[:16]
    path = store.path_for("cache/pads", f"{music}-{digest}.wav")
    if path.is_file():
        return path, 0.0
    partial = aside(path)
    source = f"aevalsrc=exprs='{expr}':s={AUDIO_RATE}:d={PAD_PERIOD_S}:c=mono"
    run = run_ffmpeg(["-f", "lavfi", "-i", source, "-c:a", "pcm_s16le", str(partial)],
                     what="music pad")  # fmt: skip
    os.replace(partial, path)  # whole or absent: a concurrent compose never reads half a pad
    return path, run.cpu_seconds
