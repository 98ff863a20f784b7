"""Illustrated scenes: the scene's icons over a soft gradient in the channel's palette.

Like a procedural scene, an illustrated one is a recipe (a small JSON file in the artifact
store) that compose draws inside its own graph, so its pixels are encoded once. The recipe
holds data only: the background's colours, each icon's PNG (rasterized once per icon and size
into the store, see activities/icons.py), where it rests and when it enters, and a number to
set as type. Compose turns it into lavfi's gradient source with one overlay per icon.

Layout keeps every icon, at every point of its motion, inside the platform's safe area and
out of the caption band (activities/captions.py): icons sit above the captions, or below them
when a channel sets its captions high. Motion: each icon enters in turn (a pop: rising into
place with an overshoot; or a slide in from the side), floats while the scene holds, and all
of them drift together slowly, as a camera would; the scene leaves by the reel's cross-fade.

Each icon is one decoded frame held by overlay (eof_action=repeat) and moved by its per-frame
x and y: no icon is decoded or scaled again per frame.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg

from activities.assets import CAPTION_FONT
from activities.captions import safe_area
from activities.errors import bad_input
from activities.icons import CACHE_FOLDER, rasterize
from workflows.contracts import LookConfig, SceneIcons

ILLUSTRATED = "illustrated"  # SceneClip.kind of an illustrated recipe, drawn by compose
ENTER_S = 0.55  # an icon's entrance
FIRST_AT_S, STAGGER_S = 0.15, 0.3  # when the first icon enters, and each next one after
FLOAT = 0.018  # float amplitude, as a fraction of the frame's height
FLOAT_PERIOD_S = 3.2
DRIFT = 0.015  # camera drift amplitude, as a fraction of the frame's width
DRIFT_PERIOD_S = 9.0
RISE = 0.06  # a pop rises this far (fraction of height) into place
OVERSHOOT = 1.70158  # easeOutBack's constant: about 10% past the rest position
CAPTION_LINES = 2  # caption blocks are one or two lines high
LINE_HEIGHT = 1.25  # of the caption font size
_PNG = re.compile(r"[0-9a-f]{32}\.png")
_NUMBER = re.compile(r"[0-9][0-9,.]*[%×]?")  # "5×": a factor


@dataclass
class IconPlacement:
    png: str  # a rasterized icon in the store's icon folder
    x: int  # resting top-left corner, in the recipe's pixels
    y: int
    size: int
    enter_s: float  # when it starts to enter
    enter: str = "pop"  # pop | slide
    # OpenMoji code: a compose on another host, whose store lacks the PNG, draws it again.
    code: str = ""


@dataclass
class IllustratedRecipe:
    palette: list[str]  # rrggbb, darkest first
    width: int
    height: int
    fps: int
    duration_s: float
    seed: int
    icons: list[IconPlacement] = field(default_factory=list)
    number: str = ""  # set large as kinetic type
    number_y: int = 0  # top of the number's line
    number_size: int = 0
    number_color: str = "ffffff"
    band: tuple[int, int] = (0, 0)  # the caption band's top and bottom rows, kept clear


@dataclass(frozen=True)
class Region:
    """Where icons may be at any moment: the safe area minus the caption band."""

    left: int
    top: int
    right: int
    bottom: int
    band: tuple[int, int]


def region_for(look: LookConfig, width: int, height: int) -> Region:
    """The larger of the safe area's parts above and below the caption band, at this size."""
    x0, y0, x1, y1 = safe_area(look).box(width, height)
    font = look.caption_size * min(width, height)
    half = font * LINE_HEIGHT * CAPTION_LINES / 2 + font * 0.25  # outline and shadow
    centre = look.caption_position * height
    band = (max(0, math.floor(centre - half)), min(height, math.ceil(centre + half)))
    gap = round(0.02 * height)
    above = (math.ceil(y0), band[0] - gap)
    below = (band[1] + gap, math.floor(y1))
    top, bottom = above if above[1] - above[0] >= below[1] - below[0] else below
    return Region(math.ceil(x0), top, math.floor(x1), bottom, band)


def rows_of(count: int, alone: bool = False) -> list[int]:
    """Icons per row: one row of up to three, else two; `alone` puts the first icon on a row
    of its own above the rest (a scene's subject over what it counts)."""
    if alone and count > 3:
        return [1, count - 1]
    return [count] if count <= 3 else [math.ceil(count / 2), count // 2]


def slots(rows: list[int], region: Region, frame: tuple[int, int], number: bool
          ) -> list[tuple[int, int, int]]:
    """Resting (x, y, size) of icons in `rows`, under a number when there is one. Margins
    leave room for the float, drift, rise and overshoot."""
    frame_w, frame_h = frame
    above = math.ceil(FLOAT * frame_h + RISE * frame_h * 0.1) + 2
    below = math.ceil(FLOAT * frame_h + RISE * frame_h) + 2
    side = math.ceil(DRIFT * frame_w + FLOAT * frame_h) + 2
    top = region.top + above
    usable_h = region.bottom - region.top - above - below
    if number:
        top += round(usable_h * 0.45)
        usable_h -= round(usable_h * 0.45)
    usable_w = region.right - region.left - 2 * side
    widest = max(rows)
    size = min(usable_w // widest, usable_h // len(rows))
    size = min(size, round(min(usable_w, usable_h) * (0.75 if sum(rows) == 1 else 1.0)))
    size = max(16, int(size * 0.9) // 2 * 2)  # a gap between icons
    cells = []
    cell_h = usable_h / len(rows)
    for row, in_row in enumerate(rows):
        cell_w = usable_w / in_row
        for k in range(in_row):
            x = region.left + side + cell_w * k + (cell_w - size) / 2
            y = top + cell_h * row + (cell_h - size) / 2
            cells.append((round(x), round(y), size))
    return cells


def number_layout(region: Region, text: str) -> tuple[int, int]:
    """The number's top row and font size: the upper part of the region, as wide as fits."""
    width, height = region.right - region.left, region.bottom - region.top
    size = min(round(height * 0.3), round(width * 0.9 / max(1, len(text)) * 1.6))
    return region.top + round(height * 0.06), max(12, size)


def write(path: Path, recipe: IllustratedRecipe) -> None:
    path.write_text(json.dumps(asdict(recipe)), encoding="utf-8")


def read(path: Path) -> IllustratedRecipe:
    """A recipe file back, checked field by field: a bad one is bad input naming the file.
    Icons must be PNGs in the store's icon folder: a recipe names no other file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["icons"] = [IconPlacement(**icon) for icon in raw.get("icons", [])]
        raw["band"] = tuple(raw.get("band", (0, 0)))
        recipe = IllustratedRecipe(**raw)
    except (OSError, ValueError, TypeError) as err:
        raise bad_input(f"illustrated recipe {path}: {err}") from err
    if min(recipe.width, recipe.height, recipe.fps) <= 0 or recipe.duration_s <= 0:
        raise bad_input(f"illustrated recipe {path}: size, fps and duration_s must be positive")
    for colour in [*recipe.palette, recipe.number_color]:
        if not re.fullmatch(r"[0-9a-f]{6}", colour):
            raise bad_input(f"illustrated recipe {path}: colour {colour!r} is not rrggbb")
    if not recipe.palette:
        raise bad_input(f"illustrated recipe {path}: palette is empty")
    if recipe.number and not _NUMBER.fullmatch(recipe.number):
        raise bad_input(f"illustrated recipe {path}: number {recipe.number!r} is not a number")
    for k, icon in enumerate(recipe.icons):
        png = Path(icon.png)
        if png.parent.name != CACHE_FOLDER or not _PNG.fullmatch(png.name):
            raise bad_input(f"illustrated recipe {path}: icons[{k}].png {icon.png!r} is not a"
                            " rasterized icon of the store")
        if not png.is_file():
            raise bad_input(f"illustrated recipe {path}: icons[{k}].png {icon.png} is missing")
        if icon.enter not in ("pop", "slide") or icon.size <= 0:
            raise bad_input(f"illustrated recipe {path}: icons[{k}]: enter pop|slide, size > 0")
    return recipe


def localized(path: Path, root: Path, scratch: Path) -> Path:
    """The recipe with its icons in this host's store: rasterized here when the host that
    planned the scene (its own store, another disk) kept them. A PNG is a pure function of
    the icon's SVG and size, so drawing it again gives the same pixels."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise bad_input(f"illustrated recipe {path}: {err}") from err
    drawn = False
    for k, icon in enumerate((raw.get("icons") or []) if isinstance(raw, dict) else []):
        if not isinstance(icon, dict) or not icon.get("code") or Path(str(icon.get("png"))).is_file():
            continue
        if not isinstance(icon.get("size"), int):
            raise bad_input(f"illustrated recipe {path}: icons[{k}].size is not a number")
        icon["png"] = str(rasterize(root, str(icon["code"]), icon["size"]))
        drawn = True
    if not drawn:
        return path
    out = scratch / f"{path.stem}-here.json"
    out.write_text(json.dumps(raw), encoding="utf-8")
    return out


def background(recipe: IllustratedRecipe) -> str:
    """A soft two-colour gradient (darkest and a shade towards the middle colour), low in
    contrast but always moving: at speed 0.015 the frame froze (to freezedetect's -60 dB)
    near each turn of the icons' float on small frames; 0.05 never does. Drawn at a sixteenth
    of the size and scaled up: bilinear loses nothing of a two-colour linear gradient, and
    the source with its scale cost 1.4 CPU s less per 27 s reel than at a quarter."""
    dark = recipe.palette[0]
    mid = recipe.palette[len(recipe.palette) // 2]
    shade = "".join(f"{(int(dark[i:i + 2], 16) * 3 + int(mid[i:i + 2], 16)) // 4:02x}"
                    for i in (0, 2, 4))  # fmt: skip
    small = f"{max(2, recipe.width // 16)}x{max(2, recipe.height // 16)}"
    return (f"gradients=s={small}:r={recipe.fps}:c0=0x{shade}:c1=0x{dark}:n=2:speed=0.05"
            f":seed={recipe.seed % 100000}:type=linear,"
            f"scale={recipe.width}:{recipe.height}:flags=bilinear,format=yuv420p")


def motion(icon: IconPlacement, k: int, recipe: IllustratedRecipe) -> tuple[str, str]:
    """Overlay x and y expressions of one icon over its scene's time t."""
    p = f"clip((t-{icon.enter_s:.3f})/{ENTER_S},0,1)"
    back = f"(1+{OVERSHOOT + 1:.5f}*pow({p}-1,3)+{OVERSHOOT:.5f}*pow({p}-1,2))"  # easeOutBack
    ease = f"(1-pow(1-{p},3))"  # easeOutCubic: a slide settles without passing its place
    drift = f"{DRIFT * recipe.width:.1f}*sin(2*PI*t/{DRIFT_PERIOD_S})"
    # The float goes round a small circle: its speed never falls to zero, so no turn of it
    # reads as a still frame.
    phase = f"2*PI*t/{FLOAT_PERIOD_S}+{k * 1.3:.2f}"
    bob = f"{FLOAT * recipe.height:.1f}*sin({phase})"
    drift += f"+{FLOAT * recipe.height:.1f}*cos({phase})"
    if icon.enter == "slide":
        # From beyond the nearer side edge, along its own row: never across the captions.
        start = -icon.size - icon.x if icon.x + icon.size / 2 < recipe.width / 2 else (
            recipe.width - icon.x)
        x = f"{icon.x}+{drift}+{start}*(1-{ease})"
        y = f"{icon.y}+{bob}"
    else:
        x = f"{icon.x}+{drift}"
        y = f"{icon.y}+{bob}+{RISE * recipe.height:.1f}*(1-{back})"
    return x, y


def scene(recipe: IllustratedRecipe, seconds: float, queue: int, icon_queue: int) -> Any:
    """The scene as a stream of ffmpeg-python, `seconds` long, at the recipe's size.

    `queue` is the background source's input queue (short: it must not draw far ahead);
    `icon_queue` and up keep each icon's input distinct (see compose_graph._own_input):
    ffmpeg-python would merge two equal inputs into one, and one icon drawn twice would then
    feed two overlays without a split. An icon's input holds a single frame."""
    stream = ffmpeg.input(background(recipe), f="lavfi", t=f"{seconds:.3f}",
                          thread_queue_size=queue).video  # fmt: skip
    for k, icon in enumerate(recipe.icons):
        picture = ffmpeg.input(icon.png, thread_queue_size=icon_queue + k).video
        x, y = motion(icon, k, recipe)
        stream = ffmpeg.filter(
            [stream, picture.filter("format", "yuva420p")], "overlay", x=x, y=y,
            eval="frame", eof_action="repeat", format="yuv420",
            enable=f"gte(t,{icon.enter_s:.3f})")
    if recipe.number:
        fade = f"clip((t-{FIRST_AT_S:.3f})/{ENTER_S},0,1)"
        stream = stream.filter(
            "drawtext", fontfile=str(CAPTION_FONT), text=recipe.number,
            fontsize=recipe.number_size, fontcolor=f"0x{recipe.number_color}",
            borderw=max(2, recipe.number_size // 24), bordercolor=f"0x{recipe.palette[0]}",
            x="(w-text_w)/2", y=f"{recipe.number_y}+{RISE * recipe.height:.1f}*(1-{fade})",
            alpha=fade)
    return stream


def caption_band_clear(recipe: IllustratedRecipe) -> bool:
    """Whether no icon, anywhere in its motion, reaches into the caption band."""
    top, bottom = recipe.band
    for icon in recipe.icons:
        low = icon.y - FLOAT * recipe.height - RISE * recipe.height * 0.1
        high = icon.y + icon.size + FLOAT * recipe.height + RISE * recipe.height
        if high > top and low < bottom:
            return False
    return True


def plan(look: LookConfig, shown: SceneIcons, palette: list[str], size: tuple[int, int],
         duration_s: float, seed: int, root: Path) -> IllustratedRecipe:
    """A scene's recipe: its icons placed, rasterized (once, into the store) at their size.
    Raises icons.RasterError when the rasterizer cannot draw one."""
    width, height = size
    region = region_for(look, width, height)
    # A count: that many of the counted thing, under the scene's subject when it has one.
    counted = shown.count > 1
    codes = [*shown.codes[1:], *shown.codes[:1] * shown.count] if counted else list(shown.codes)
    rows = rows_of(len(codes), alone=counted and len(shown.codes) > 1)
    number = shown.number if _NUMBER.fullmatch(shown.number or "") else ""
    ordered = sorted(palette, key=lambda c: sum(int(c[i:i + 2], 16) for i in (0, 2, 4)))
    recipe = IllustratedRecipe(palette=ordered, width=width, height=height, fps=look.fps,
                               duration_s=duration_s, seed=seed, band=region.band)  # fmt: skip
    if number:
        recipe.number = number
        recipe.number_y, recipe.number_size = number_layout(region, number)
        recipe.number_color = look.highlight_color.lstrip("#").lower() or ordered[-1]
    for k, (code, (x, y, side)) in enumerate(
            zip(codes, slots(rows, region, size, bool(number)), strict=True)):
        png = rasterize(root, code, side)
        # Distinct icons take turns to pop and slide; copies of one icon all pop.
        enter = "slide" if shown.count == 1 and (seed + k) % 2 else "pop"
        start = FIRST_AT_S + STAGGER_S * k + (ENTER_S if number else 0.0)
        recipe.icons.append(IconPlacement(str(png), x, y, side,
                                          round(min(start, duration_s / 2), 3), enter, code))
    return recipe
