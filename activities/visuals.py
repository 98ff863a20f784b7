"""The visuals stage: one procedural clip per scene, rendered locally with ffmpeg's sources.

Clips are rendered at half resolution (compose upscales) and each runs `HANDLE_S` past its
scene's end, so compose can cross-fade into the next scene without shortening the reel.
Styles rotate per scene and take their seed from the keywords, so a retry renders the same
pictures.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable
from pathlib import Path

from temporalio import activity

from activities import media_library
from activities.artifacts import ArtifactStore, to_uri
from activities.assets import CAPTION_FONT
from activities.errors import bad_input
from activities.ffmpeg_run import filter_path, out_seconds, run_ffmpeg
from activities.metering import Meter
from activities.progress import heartbeat
from activities.quality import probe
from workflows.contracts import LookConfig, Scene, SceneClip, Visuals, VisualsRequest

log = logging.getLogger(__name__)
Size = tuple[int, int]

HANDLE_S = 0.5  # extra seconds rendered past each scene, consumed by compose's cross-fades
SCALE = 2  # generated scenes render at half the reel's size; compose scales them up
MAX_KEYWORD_LINES = 3
MAX_LINE_CHARS = 14
STYLES = ("flow", "life", "shapes", "automaton")
GRADIENT_TYPES = ("linear", "radial", "circular", "spiral", "square")
# Gradients are smooth, so rendering them at a quarter of the reel's size and upscaling loses
# nothing visible and halves the single-threaded source's time.


class VisualsActivities:
    def __init__(self, store: ArtifactStore, cpu_second_usd: float) -> None:
        self.store = store
        self.cpu_second_usd = cpu_second_usd

    # no_thread_cancel_exception: an exception injected into this thread could land between
    # starting and reaping ffmpeg and orphan it; run_ffmpeg polls for the cancel instead.
    @activity.defn(name="make_visuals", no_thread_cancel_exception=True)
    def make_visuals(self, req: VisualsRequest) -> Visuals:
        _validate(req)
        own = _own_media(req)
        backend = "own-media+procedural" if any(own) else "procedural"
        meter = Meter("visuals", backend, self.cpu_second_usd)
        base_seed = _seed(" ".join(" ".join(s.keywords) or s.text for s in req.script.scenes))
        total = sum(span.end - span.start + HANDLE_S for span in req.scenes)
        done = 0.0
        clips: list[SceneClip] = []
        for i, (span, scene) in enumerate(zip(req.scenes, req.script.scenes, strict=True)):
            duration = round(span.end - span.start + HANDLE_S, 3)
            if own[i] is not None:
                clips.append(own[i])
                done += duration
                continue
            out = self.store.path_for(req.reel_id, f"scene-{i:02d}.mp4")
            text_file = self.store.path_for(req.reel_id, f"scene-{i:02d}.txt")
            text_file.write_text(keyword_text(scene), encoding="utf-8")
            style = STYLES[(base_seed + i) % len(STYLES)]
            args = scene_args(
                style, _seed(f"{i}:{' '.join(scene.keywords)}"), req.look, duration, text_file, out
            )
            run = run_ffmpeg(
                args,
                _progress_ticker(f"scene {i}", done, duration, total),
                what=f"visuals scene {i} ({style})",
            )
            meter.add_child_cpu(run.cpu_seconds)
            done += duration
            heartbeat({"scene": i, "progress": round(done / total, 3)})
            clips.append(SceneClip(uri=to_uri(out), duration_s=duration))
        return Visuals(clips=clips, cost=meter.cost())


def _own_media(req: VisualsRequest) -> list[SceneClip | None]:
    """The channel's own clip or image for each scene, where one matches its keywords."""
    if req.media_picks:  # chosen by meaning upstream; "" = generate this scene
        if len(req.media_picks) != len(req.scenes):
            raise bad_input(
                f"visuals request: {len(req.media_picks)} media_picks for {len(req.scenes)} scenes"
            )
        picks = [media_library.item(Path(path)) if path else None for path in req.media_picks]
    elif req.media_dir:
        try:
            items = media_library.scan(Path(req.media_dir))
        except FileNotFoundError as err:
            raise bad_input(f"visuals request: {err}") from err
        picks = media_library.match([s.keywords for s in req.script.scenes], items)
    else:
        return [None] * len(req.scenes)
    chosen: list[SceneClip | None] = []
    for span, item in zip(req.scenes, picks, strict=True):
        if item is None:
            chosen.append(None)
            continue
        seconds = span.end - span.start
        if item.kind == "video":
            info = probe(item.path)
            if not info.video_codec or info.duration_s <= 0:
                log.warning("own media %s has no readable video; generating the scene", item.path)
                chosen.append(None)
                continue
            seconds = info.duration_s
        chosen.append(
            SceneClip(uri=to_uri(item.path), duration_s=round(seconds, 3), kind=item.kind,
                      source=item.path.name)
        )  # fmt: skip
    return chosen


def _validate(req: VisualsRequest) -> None:
    if not req.scenes:
        raise bad_input("visuals request: scenes is empty")
    if len(req.scenes) != len(req.script.scenes):
        raise bad_input(
            f"visuals request: scenes has {len(req.scenes)} spans but script.scenes has "
            f"{len(req.script.scenes)}"
        )
    for i, span in enumerate(req.scenes):
        if span.end - span.start <= 0:
            raise bad_input(f"visuals request: scenes[{i}] has zero or negative duration")
    if req.look.fps <= 0:
        raise bad_input(f"visuals request: look.fps must be positive, got {req.look.fps}")


def keyword_text(scene: Scene) -> str:
    """The words drawn big on the scene: its keywords, else its longest words, one a line."""
    words = [k.strip() for k in scene.keywords if k.strip()]
    if not words:
        candidates = re.findall(r"[\w'-]+", scene.text)
        words = sorted(candidates, key=len, reverse=True)[:2]
    lines = [w.upper()[:MAX_LINE_CHARS] for w in words[:MAX_KEYWORD_LINES]]
    return "\n".join(lines)


def scene_args(
    style: str, seed: int, look: LookConfig, duration: float, text_file: Path, out: Path
) -> list[str]:
    """ffmpeg arguments rendering one scene: a lavfi source graph, the keywords, an x264 file."""
    palette = _palette(look.palette)
    size = (look.width // SCALE, look.height // SCALE)
    background = _BACKGROUNDS[style](seed, palette, look.fps, size)
    text = _drawtext(text_file, _font_size(text_file.read_text(encoding="utf-8"), size))
    graph = f"{background},{text},format=yuv420p"
    return [
        "-f", "lavfi", "-i", graph,
        "-t", f"{duration:.3f}",
        "-an",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
        "-pix_fmt", "yuv420p", "-r", str(look.fps),
        str(out),
    ]  # fmt: skip


def _flow(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    colours = [palette[(seed + k) % len(palette)] for k in range(max(3, len(palette)))]
    kind = GRADIENT_TYPES[seed % len(GRADIENT_TYPES)]
    cs = ":".join(f"c{k}=0x{c}" for k, c in enumerate(colours[:8]))
    return (
        f"gradients=s={width // 2}x{height // 2}:r={fps}:{cs}:n={min(8, len(colours))}"
        f":speed=0.02:seed={seed % 100000}:type={kind},scale={width}:{height}:flags=bilinear"
    )


def _life(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    dark, mid, light = _three(palette)
    # Cells are 4x4 pixels: large enough to read on a phone, cheap to simulate.
    return (
        f"life=s={width // 4}x{height // 4}:r={fps}:mold=8:ratio=0.25"
        f":seed={seed % 100000}:life_color=0x{light}:death_color=0x{dark}:mold_color=0x{mid},"
        f"scale={width}:{height}:flags=neighbor"
    )


def _automaton(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    # Dark and middle tones: the 50/50 pattern is busy, full contrast fights the keywords.
    dark, light, _ = _three(palette)
    rule = (30, 90, 110, 150, 182)[seed % 5]
    dr, dg, db = _rgb(dark)
    lr, lg, lb = _rgb(light)
    return (
        f"cellauto=s={width // 2}x{height // 2}:r={fps}:rule={rule}"
        f":seed={seed % 100000}:random_fill_ratio=0.5:scroll=1,format=rgb24,"
        f"lutrgb=r='{dr}+({lr}-{dr})*val/255':g='{dg}+({lg}-{dg})*val/255'"
        f":b='{db}+({lb}-{db})*val/255',"
        f"scale={width}:{height}:flags=neighbor"
    )


def _shapes(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    dark, mid, light = _three(palette)
    kind = GRADIENT_TYPES[seed % 2]
    graph = (
        f"gradients=s={width // 2}x{height // 2}:r={fps}:c0=0x{dark}:c1=0x{mid}:n=2"
        f":speed=0.03:seed={seed % 100000}:type={kind},scale={width}:{height}:flags=bilinear[bg]"
    )
    shapes = [(light, 170, 170), (mid, 260, 90), (light, 90, 260)]
    last = "bg"
    for k, (colour, w, h) in enumerate(shapes):
        phase = (seed >> (k * 3)) % 7
        speed = 0.6 + 0.25 * k
        x = f"{(width - w) / 2:.0f}+{width * 0.32:.0f}*sin(t*{speed:.2f}+{phase})"
        y = f"{height * 0.55:.0f}+{height * 0.25:.0f}*cos(t*{speed * 0.8:.2f}+{phase})"
        graph += (
            f";color=c=0x{colour}:s={w}x{h}:r={fps}[s{k}]"
            f";[{last}][s{k}]overlay=x='{x}':y='{y}':eval=frame:shortest=1[o{k}]"
        )
        last = f"o{k}"
    return f"{graph};[{last}]null"


_BACKGROUNDS: dict[str, Callable[[int, list[str], int, Size], str]] = {
    "flow": _flow,
    "life": _life,
    "shapes": _shapes,
    "automaton": _automaton,
}


def _font_size(text: str, size: Size) -> int:
    """The largest size (at most 8.5% of the height) at which the longest line fits 88% of
    the width; DejaVu Sans Bold capitals average about 0.72 em."""
    width, height = size
    longest = max((len(line) for line in text.splitlines()), default=1)
    return int(min(height * 0.085, 0.88 * width / (0.72 * max(1, longest))))


def _drawtext(text_file: Path, size: int) -> str:
    return (
        f"drawtext=fontfile={filter_path(CAPTION_FONT)}:textfile={filter_path(text_file)}"
        f":expansion=none:text_align=C:fontcolor=white:fontsize={size}:line_spacing=12"
        ":borderw=5:bordercolor=black@0.85:shadowx=3:shadowy=3:shadowcolor=black@0.6"
        ":x=(w-text_w)/2:y=h*0.30-text_h/2:alpha='min(1,t/0.4)'"
    )


def _palette(colours: list[str]) -> list[str]:
    cleaned = []
    for colour in colours:
        value = colour.strip().lstrip("#")
        if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
            raise bad_input(f"look.palette: {colour!r} is not #rrggbb")
        cleaned.append(value.lower())
    if not cleaned:
        raise bad_input("look.palette is empty")
    return cleaned


def _three(palette: list[str]) -> tuple[str, str, str]:
    """Darkest, middle and lightest palette colours, for background, accents and foreground."""
    ordered = sorted(palette, key=lambda c: sum(_rgb(c)))
    return ordered[0], ordered[len(ordered) // 2], ordered[-1]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _seed(text: str) -> int:
    # crc32, not hash(): Python salts str hashes per process, and retries must match.
    return zlib.crc32(text.encode("utf-8"))


def _progress_ticker(
    label: str, done: float, duration: float, total: float
) -> Callable[[dict[str, str]], None]:
    def tick(progress: dict[str, str]) -> None:
        seconds = out_seconds(progress)
        heartbeat({"stage": label, "progress": round(min(total, done + seconds) / total, 3)})

    return tick
