"""The quality stage: measure the composed reel before anyone sees it.

There is no ffprobe in the shipped ffmpeg build, so streams come from `ffmpeg -i`'s banner,
track durations from the MP4's own boxes, and defects and loudness from analysis filters
whose log lines are parsed. The picture's black and frozen stretches are measured by compose
on the frames it encodes (the same filters, through a second output), so here only the sound
is decoded, after AAC, for loudness, true peak and silence; a reel without that analysis
(an older reel, a file handed in) gets one decoding pass for both. Captions are checked by
where their pixels land (`bbox`): compose measures the caption pictures it draws, and a reel
without that measurement has its ASS file rendered alone with libass here.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from temporalio import activity

from activities.artifacts import ArtifactStore, to_path
from activities.captions import fonts_dir_for, safe_area
from activities.errors import bad_input, quality_failed
from activities.ffmpeg_run import ffmpeg_exe, filter_path, out_seconds, run_ffmpeg
from activities.loudness import EBUR128_ARG, MAX_TRUE_PEAK_DBTP, TARGET_LUFS, parse_ebur128
from activities.metering import Meter
from activities.mp4info import track_durations
from activities.progress import heartbeat
from workflows.contracts import LookConfig, QualityReport, QualityRequest

log = logging.getLogger(__name__)
MIN_DURATION_S, MAX_DURATION_S = 15.0, 60.0
DURATION_SLACK_S = 1.0
MIN_MEAN_VOLUME_DB = -40.0
LOUDNESS_TOLERANCE_LU = 1.0
MAX_AV_GAP_MS = 50.0
MAX_BLACK_S = 0.5
MAX_FROZEN_S = 0.5
MAX_SILENCE_S = 1.0
# Defects are judged on a small, 10 fps copy: decoding dominates and full size finds nothing
# more for stretches measured in tenths of a second. Compose runs the same filters on the
# frames it encodes (see picture_analysis), so its measurement and ours agree. The copy takes
# every fourth pixel each way (neighbor): fast_bilinear reads only two of each four anyway,
# and cost 0.5 ms a frame at 1080x1920 where picking pixels costs next to nothing.
ANALYSIS_FILTERS: list[tuple[str, dict[str, str | float]]] = [
    ("fps", {"fps": 10}),
    ("scale", {"w": 270, "h": 480, "flags": "neighbor"}),
    ("blackdetect", {"d": MAX_BLACK_S, "pix_th": 0.10}),
    ("freezedetect", {"n": "-60dB", "d": MAX_FROZEN_S}),
]
ANALYSIS_VIDEO = ",".join(
    f"{name}=" + ":".join(f"{key}={value}" for key, value in options.items())
    for name, options in ANALYSIS_FILTERS
)
ANALYSIS_AUDIO = f"{EBUR128_ARG},volumedetect,silencedetect=n=-50dB:d={MAX_SILENCE_S}"
CAPTION_SAMPLE_FPS = 5  # caption events last at least a few tenths of a second


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
    audio_layout: str = ""  # mono, stereo, 5.1(side), ...


@dataclass
class Defects:
    mean_volume_db: float = -91.0
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None
    black: list[tuple[float, float]] = field(default_factory=list)  # (start, duration)
    frozen: list[tuple[float, float]] = field(default_factory=list)
    silence: list[tuple[float, float]] = field(default_factory=list)


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)(?: \(([^)]*)\))?(.*)")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)(.*)")
_SIZE = re.compile(r"[ ,](\d{2,5})x(\d{2,5})[ ,\n]")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_PIX_FMT = re.compile(r"^[^,]*, (\w+)")
_RATE = re.compile(r"(\d+) Hz(?:, ([^,\s]+))?")


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
                info.audio_rate, info.audio_layout = int(rate[1]), rate[2] or ""
    return info


def parse_defects(log: str, duration_s: float) -> Defects:
    """Segments from blackdetect, freezedetect and silencedetect lines; a segment still open
    at the end of the file runs to `duration_s`."""
    defects = Defects()
    if m := re.search(r"mean_volume: (-?[\d.]+|-inf) dB", log):
        defects.mean_volume_db = -91.0 if m[1] == "-inf" else float(m[1])
    if loudness := parse_ebur128(log):
        defects.loudness_lufs = loudness[-1].integrated_lufs
        defects.true_peak_dbtp = loudness[-1].true_peak_dbtp
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


@dataclass
class PictureAnalysis:
    """Black and frozen stretches of a reel's picture, (start, duration) in seconds, and
    where its captions' pixels land (None: not measured, render the ASS file)."""

    black: list[tuple[float, float]]
    frozen: list[tuple[float, float]]
    captions: list[CaptionBox] | None = None


def write_picture_analysis(
    path: Path, log_text: str, duration_s: float, captions: list[CaptionBox] | None = None
) -> None:
    """The picture's defects from the log of a command that ran ANALYSIS_FILTERS, and the
    caption boxes measured with them."""
    found = parse_defects(log_text, duration_s)
    data: dict[str, object] = {"black": found.black, "frozen": found.frozen}
    if captions is not None:
        data["captions"] = [[b.at_s, b.x0, b.y0, b.x1, b.y1] for b in captions]
    path.write_text(json.dumps(data), encoding="utf-8")


def read_picture_analysis(uri: str) -> PictureAnalysis | None:
    """The analysis compose wrote, or None (none given, or unreadable: then the picture is
    decoded and measured here, which costs time but never a verdict)."""
    if not uri:
        return None
    try:
        raw = json.loads(to_path(uri).read_text(encoding="utf-8"))
        boxes = raw.get("captions")
        return PictureAnalysis(
            black=[(float(a), float(b)) for a, b in raw["black"]],
            frozen=[(float(a), float(b)) for a, b in raw["frozen"]],
            captions=None if boxes is None else [CaptionBox(*map(float, b)) for b in boxes],
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("picture analysis %s unreadable (%s); decoding the reel instead", uri, err)
        return None


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

        picture = read_picture_analysis(req.analysis_uri)
        if picture is None:  # decode the picture too
            args = ["-i", str(video), "-vf", ANALYSIS_VIDEO]
            args += ["-af", ANALYSIS_AUDIO] if info.audio_codec else []
        else:  # the picture was measured as it was encoded; the sound is measured after AAC
            args = ["-i", str(video), "-vn", "-af", ANALYSIS_AUDIO] if info.audio_codec else []
        log_text = ""
        if args:
            run = run_ffmpeg([*args, "-f", "null", "-"], tick, what="quality analysis")
            meter.add_child_cpu(run.cpu_seconds)
            log_text = run.stderr
        defects = parse_defects(log_text, info.duration_s)
        if picture is not None:
            defects.black, defects.frozen = picture.black, picture.frozen
        tracks = track_durations(video)
        av_gap_ms = (
            round(abs(tracks["video"] - tracks["audio"]) * 1000, 1)
            if {"video", "audio"} <= tracks.keys()
            else None
        )
        boxes: list[CaptionBox] | None = None
        if req.captions_uri:
            boxes = picture.captions if picture is not None else None
            if boxes is None:  # not measured as it was encoded: render the script alone
                boxes, cpu = caption_boxes(to_path(req.captions_uri), req.look, info.duration_s)
                meter.add_child_cpu(cpu)

        checks = judge(info, defects, req, av_gap_ms, boxes)
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
            loudness_lufs=defects.loudness_lufs,
            true_peak_dbtp=defects.true_peak_dbtp,
            av_gap_ms=av_gap_ms,
            defects={
                name: [[round(at, 2), round(length, 2)] for at, length in stretches]
                for name, stretches in (("black", defects.black), ("frozen", defects.frozen))
                if stretches
            },
        )
        if not report.passed:
            failed = {name: why for name, why in checks.items() if why != "ok"}
            names = ", ".join(failed)
            reasons = "; ".join(f"{name}: {why}" for name, why in failed.items())
            raise quality_failed(f"quality check failed: {names}: {reasons}", asdict(report))
        return report


@dataclass
class CaptionBox:
    at_s: float
    x0: float  # fractions of the frame
    y0: float
    x1: float
    y1: float


_BBOX = re.compile(r"pts_time:([\d.]+) x1:(\d+) x2:(\d+) y1:(\d+) y2:(\d+)")


def caption_boxes(
    captions: Path, look: LookConfig, duration_s: float
) -> tuple[list[CaptionBox], float]:
    """Where libass draws the reel's captions, sampled a few times a second: the ASS file
    rendered at half size on black, each frame's bounding box of lit pixels as fractions."""
    if not captions.is_file():
        raise bad_input(f"quality request: captions file {captions} not found")
    width, height = look.width // 2, look.height // 2
    source = f"color=c=black:s={width}x{height}:r={CAPTION_SAMPLE_FPS}:d={duration_s:.3f}"
    with tempfile.TemporaryDirectory(prefix="quality-") as scratch:
        fonts = fonts_dir_for(look, Path(scratch))
        graph = f"ass=filename={filter_path(captions)}:fontsdir={filter_path(fonts)},bbox"
        run = run_ffmpeg(["-f", "lavfi", "-i", source, "-vf", graph, "-f", "null", "-"],
                         what="caption placement check")  # fmt: skip
    return parse_caption_boxes(run.stderr, width, height), run.cpu_seconds


def parse_caption_boxes(log_text: str, width: int, height: int, top: int = 0) -> list[CaptionBox]:
    """The boxes `bbox` logged for pictures `width` wide whose row 0 is row `top` of a frame
    `height` high, as fractions of that frame."""
    return [
        CaptionBox(float(m[1]), int(m[2]) / width, (int(m[4]) + top) / height,
                   (int(m[3]) + 1) / width, (int(m[5]) + 1 + top) / height)
        for m in _BBOX.finditer(log_text)
    ]  # fmt: skip


def judge(
    info: MediaInfo,
    defects: Defects,
    req: QualityRequest,
    av_gap_ms: float | None = None,
    captions: list[CaptionBox] | None = None,
) -> dict[str, str]:
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
    checks["loudness"] = _loudness_check(defects)
    checks["av_sync"] = (
        "no separate audio and video tracks to compare"
        if av_gap_ms is None
        else "ok"
        if av_gap_ms <= MAX_AV_GAP_MS
        else f"audio and video differ by {av_gap_ms:.0f} ms (limit {MAX_AV_GAP_MS:g} ms)"
    )
    if captions is not None:
        checks["captions"] = _captions_check(captions, req.look)
    checks["black"] = _segments_check("black", defects.black, MAX_BLACK_S)
    checks["frozen"] = _segments_check("frozen", defects.frozen, MAX_FROZEN_S)
    checks["silence"] = _segments_check("silent", defects.silence, MAX_SILENCE_S)
    return checks


def _loudness_check(defects: Defects) -> str:
    lufs, peak = defects.loudness_lufs, defects.true_peak_dbtp
    if lufs is None:
        return "no loudness measurement (no audio?)"
    problems = []
    if abs(lufs - TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
        problems.append(
            f"integrated {lufs:.1f} LUFS, want {TARGET_LUFS:g} +/- {LOUDNESS_TOLERANCE_LU:g}"
        )
    if peak is not None and peak > MAX_TRUE_PEAK_DBTP:
        problems.append(f"true peak {peak:.1f} dBTP, want at most {MAX_TRUE_PEAK_DBTP:g}")
    return "; ".join(problems) or "ok"


def _captions_check(boxes: list[CaptionBox], look: LookConfig) -> str:
    area = safe_area(look)
    # One pixel of the half-size render is the rounding of the measurement.
    slack_x, slack_y = 2 / look.width, 2 / look.height
    for box in boxes:
        outside = [
            f"{side} {value:.3f} beyond {limit:.3f}"
            for side, value, limit, bad in (
                ("left", box.x0, area.left, box.x0 < area.left - slack_x),
                ("top", box.y0, area.top, box.y0 < area.top - slack_y),
                ("right", box.x1, area.right, box.x1 > area.right + slack_x),
                ("bottom", box.y1, area.bottom, box.y1 > area.bottom + slack_y),
            )
            if bad
        ]
        if outside:
            return f"caption at {box.at_s:.1f} s leaves the safe area: {', '.join(outside)}"
    return "ok"


def _segments_check(what: str, segments: list[tuple[float, float]], limit: float) -> str:
    long = [(start, length) for start, length in segments if length > limit]
    if not long:
        return "ok"
    start, length = max(long, key=lambda s: s[1])
    return f"{what} for {length:.2f} s from {start:.2f} s (limit {limit:g} s)"
