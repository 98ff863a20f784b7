"""The quality stage: probe the composed reel and scan it for black, frozen and silent stretches.

There is no ffprobe in the shipped ffmpeg build, so streams come from `ffmpeg -i`'s banner
and defects from one decoding pass through analysis filters whose log lines are parsed.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from temporalio import activity

from activities.artifacts import ArtifactStore, to_path
from activities.errors import bad_input, quality_failed
from activities.ffmpeg_run import ffmpeg_exe, out_seconds, run_ffmpeg
from activities.metering import Meter
from activities.progress import heartbeat
from workflows.contracts import QualityReport, QualityRequest

MIN_DURATION_S, MAX_DURATION_S = 15.0, 60.0
DURATION_SLACK_S = 1.0
MIN_MEAN_VOLUME_DB = -40.0
MAX_BLACK_S = 0.5
MAX_FROZEN_S = 1.0
MAX_SILENCE_S = 2.0
# Defects are judged on a small, 10 fps copy: decoding dominates and full size finds nothing
# more for stretches measured in tenths of a second.
ANALYSIS_VIDEO = (
    "fps=10,scale=270:480:flags=fast_bilinear,"
    "blackdetect=d=0.5:pix_th=0.10,freezedetect=n=-60dB:d=1.0"
)
ANALYSIS_AUDIO = "volumedetect,silencedetect=n=-50dB:d=1.0"


@dataclass
class MediaInfo:
    width: int = 0
    height: int = 0
    fps: float = 0.0
    duration_s: float = 0.0
    video_codec: str = ""
    video_profile: str = ""
    pix_fmt: str = ""
    audio_codec: str = ""
    audio_rate: int = 0


@dataclass
class Defects:
    mean_volume_db: float = -91.0
    black: list[tuple[float, float]] = field(default_factory=list)  # (start, duration)
    frozen: list[tuple[float, float]] = field(default_factory=list)
    silence: list[tuple[float, float]] = field(default_factory=list)


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)(?: \(([^)]*)\))?(.*)")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)(.*)")
_SIZE = re.compile(r"[ ,](\d{2,5})x(\d{2,5})[ ,\n]")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_PIX_FMT = re.compile(r"^[^,]*, (\w+)")
_RATE = re.compile(r"(\d+) Hz")


def probe(path: Path) -> MediaInfo:
    """Streams and duration from the banner `ffmpeg -i` prints before complaining that no
    output was given (the non-zero exit is expected)."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        check=False,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
    )
    return parse_probe(proc.stderr)


def parse_probe(banner: str) -> MediaInfo:
    info = MediaInfo()
    if m := _DURATION.search(banner):
        info.duration_s = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    for line in banner.splitlines():
        if not info.video_codec and (m := _VIDEO.search(line)):
            info.video_codec, info.video_profile, rest = m[1], m[2] or "", m[3]
            if size := _SIZE.search(rest + " "):
                info.width, info.height = int(size[1]), int(size[2])
            if fps := _FPS.search(rest):
                info.fps = float(fps[1]) * (1000 if fps[2] else 1)
            if pix := _PIX_FMT.search(rest):
                info.pix_fmt = pix[1]
        elif not info.audio_codec and (m := _AUDIO.search(line)):
            info.audio_codec = m[1]
            if rate := _RATE.search(m[2]):
                info.audio_rate = int(rate[1])
    return info


def parse_defects(log: str, duration_s: float) -> Defects:
    """Segments from blackdetect, freezedetect and silencedetect lines; a segment still open
    at the end of the file runs to `duration_s`."""
    defects = Defects()
    if m := re.search(r"mean_volume: (-?[\d.]+|-inf) dB", log):
        defects.mean_volume_db = -91.0 if m[1] == "-inf" else float(m[1])
    for m in re.finditer(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)", log):
        defects.black.append((float(m[1]), float(m[2]) - float(m[1])))
    defects.frozen = _paired(log, r"freeze_start: ([\d.]+)", r"freeze_end: ([\d.]+)", duration_s)
    defects.silence = _paired(
        log, r"silence_start: (-?[\d.]+)", r"silence_end: ([\d.]+)", duration_s
    )
    return defects


def _paired(log: str, start_re: str, end_re: str, duration_s: float) -> list[tuple[float, float]]:
    events = sorted(
        [(m.start(), "start", float(m[1])) for m in re.finditer(start_re, log)]
        + [(m.start(), "end", float(m[1])) for m in re.finditer(end_re, log)]
    )
    segments: list[tuple[float, float]] = []
    open_at: float | None = None
    for _, kind, value in events:
        if kind == "start":
            open_at = max(0.0, value)
        elif open_at is not None:
            segments.append((open_at, value - open_at))
            open_at = None
    if open_at is not None:
        segments.append((open_at, max(0.0, duration_s - open_at)))
    return segments


class QualityActivities:
    def __init__(self, store: ArtifactStore, cpu_second_usd: float) -> None:
        self.store = store
        self.cpu_second_usd = cpu_second_usd

    # See VisualsActivities.make_visuals for why cancel is polled rather than injected.
    @activity.defn(name="check_quality", no_thread_cancel_exception=True)
    def check_quality(self, req: QualityRequest) -> QualityReport:
        meter = Meter("quality", "ffmpeg", self.cpu_second_usd)
        video = to_path(req.video_uri)
        info = probe(video)
        if not info.duration_s:
            raise bad_input(f"quality request: {req.video_uri} is not a readable media file")

        def tick(progress: dict[str, str]) -> None:
            done = out_seconds(progress) / info.duration_s
            heartbeat({"progress": round(min(1.0, done), 3)})

        args = ["-i", str(video), "-vf", ANALYSIS_VIDEO, "-af", ANALYSIS_AUDIO, "-f", "null", "-"]
        if not info.audio_codec:
            args = ["-i", str(video), "-vf", ANALYSIS_VIDEO, "-f", "null", "-"]
        run = run_ffmpeg(args, tick, what="quality analysis")
        meter.add_child_cpu(run.cpu_seconds)
        defects = parse_defects(run.stderr, info.duration_s)

        checks = judge(info, defects, req)
        report = QualityReport(
            passed=all(v == "ok" for v in checks.values()),
            width=info.width,
            height=info.height,
            fps=info.fps,
            duration_s=round(info.duration_s, 3),
            video_codec=info.video_codec,
            audio_codec=info.audio_codec,
            mean_volume_db=defects.mean_volume_db,
            checks=checks,
            cost=meter.cost(),
        )
        if not report.passed:
            failed = {name: why for name, why in checks.items() if why != "ok"}
            names = ", ".join(failed)
            reasons = "; ".join(f"{name}: {why}" for name, why in failed.items())
            raise quality_failed(f"quality check failed: {names}: {reasons}", asdict(report))
        return report


def judge(info: MediaInfo, defects: Defects, req: QualityRequest) -> dict[str, str]:
    """Each named check -> "ok" or why it failed."""
    look = req.look
    checks: dict[str, str] = {}
    missing = [
        f"{kind} is {codec or 'missing'}, want {want}"
        for kind, codec, want in (
            ("video", info.video_codec, "h264"),
            ("audio", info.audio_codec, "aac"),
        )
        if codec != want
    ]
    checks["streams"] = "; ".join(missing) or "ok"
    checks["size"] = (
        "ok"
        if (info.width, info.height) == (look.width, look.height)
        else f"{info.width}x{info.height}, want {look.width}x{look.height}"
    )
    checks["fps"] = (
        "ok" if abs(info.fps - look.fps) < 0.01 else f"{info.fps:g} fps, want {look.fps}"
    )
    d = info.duration_s
    if not MIN_DURATION_S <= d <= MAX_DURATION_S:
        checks["duration"] = f"{d:.2f} s, want {MIN_DURATION_S:g}-{MAX_DURATION_S:g} s"
    elif abs(d - req.voice_duration_s) > DURATION_SLACK_S:
        checks["duration"] = f"{d:.2f} s for a {req.voice_duration_s:.2f} s voice track"
    else:
        checks["duration"] = "ok"
    checks["audio"] = (
        "ok"
        if defects.mean_volume_db > MIN_MEAN_VOLUME_DB
        else f"mean volume {defects.mean_volume_db:.1f} dB, want above {MIN_MEAN_VOLUME_DB:g} dB"
    )
    checks["black"] = _segments_check("black", defects.black, MAX_BLACK_S)
    checks["frozen"] = _segments_check("frozen", defects.frozen, MAX_FROZEN_S)
    checks["silence"] = _segments_check("silent", defects.silence, MAX_SILENCE_S)
    return checks


def _segments_check(what: str, segments: list[tuple[float, float]], limit: float) -> str:
    long = [(start, length) for start, length in segments if length > limit]
    if not long:
        return "ok"
    start, length = max(long, key=lambda s: s[1])
    return f"{what} for {length:.2f} s from {start:.2f} s (limit {limit:g} s)"
