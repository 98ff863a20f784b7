"""Word-timed captions: group the voice's word timings into short events, lay them out inside
the platform safe area and write them as ASS.

Pure functions: the compose stage writes the returned text next to the reel and has libass
draw it once per change (`caption_track`), so everything here is testable without ffmpeg.
Layout measures words with the font's own advance widths, breaks lines only between words,
and positions every event explicitly, so what libass draws is what was checked here, and
the rows it can draw on are known (`ink_rows`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from activities.assets import CAPTION_FONT, FALLBACK_FONT, FONTS_DIR
from activities.errors import bad_input
from workflows.contracts import LookConfig, WordTiming

SENTENCE_END = (".", "!", "?", "…", ";", ":")
HOLD_S = 0.35  # how long the last caption of a phrase stays after its last word
MAX_LINGER_S = 1.0  # a caption stays through a pause this long; longer pauses clear it
LINE_SPACING = 1.0  # libass stacks lines at the font's ascent + descent
MAX_LINES = 3
OUTLINE = 0.11  # outline width as a fraction of the font size


@dataclass
class CaptionEvent:
    start: float
    end: float
    words: list[WordTiming]


def load_words(path: Path) -> list[WordTiming]:
    """Read the voice stage's alignment JSON: a list of {"text","start","end","scene"}."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise bad_input(f"alignment {path}: cannot read word timings: {err}") from err
    if not isinstance(raw, list):
        raise bad_input(f"alignment {path}: expected a JSON list of words")
    words: list[WordTiming] = []
    for i, item in enumerate(raw):
        try:
            start, end = float(item["start"]), float(item["end"])
            word = WordTiming(
                text=str(item["text"]).strip(),
                start=start,
                end=max(start, end),
                scene=int(item.get("scene", 0)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise bad_input(f"alignment {path}: word {i} is malformed: {err}") from err
        if word.text:
            words.append(word)
    return sorted(words, key=lambda w: w.start)


def group_captions(words: list[WordTiming], max_words: int) -> list[CaptionEvent]:
    """Split words into on-screen phrases of at most `max_words`, ending early at punctuation,
    a scene change or a long pause. Events never overlap."""
    if max_words < 1:
        raise bad_input(f"look.caption_words must be at least 1, got {max_words}")
    groups: list[list[WordTiming]] = []
    current: list[WordTiming] = []
    for word in words:
        if current and _breaks_before(current, word, max_words):
            groups.append(current)
            current = []
        current.append(word)
    if current:
        groups.append(current)

    events: list[CaptionEvent] = []
    for i, group in enumerate(groups):
        last_end = group[-1].end
        end = last_end + HOLD_S
        if i + 1 < len(groups):
            next_start = groups[i + 1][0].start
            end = next_start if next_start - last_end <= MAX_LINGER_S else min(end, next_start)
        events.append(CaptionEvent(start=group[0].start, end=max(end, group[0].start), words=group))
    return events


def _breaks_before(current: list[WordTiming], word: WordTiming, max_words: int) -> bool:
    last = current[-1]
    return (
        len(current) >= max_words
        or last.text.endswith(SENTENCE_END)
        or word.scene != last.scene
        or word.start - last.end > MAX_LINGER_S
    )


@dataclass(frozen=True)
class SafeArea:
    """Fractions of the frame the apps leave uncovered; captions stay inside."""

    left: float
    top: float
    right: float
    bottom: float

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        return (self.left * width, self.top * height, self.right * width, self.bottom * height)


# Vertical reels: the top 14% holds the status bar and channel name; the bottom 25% the
# title, description and audio line; the right 14% the like/comment/share column.
# Square and landscape posts sit in a feed with the UI outside the picture.
SAFE_AREAS = {
    "9:16": SafeArea(left=0.06, top=0.14, right=0.86, bottom=0.75),
    "1:1": SafeArea(left=0.05, top=0.05, right=0.95, bottom=0.95),
    "16:9": SafeArea(left=0.05, top=0.05, right=0.95, bottom=0.95),
}


def safe_area(look: LookConfig) -> SafeArea:
    return SAFE_AREAS.get(look.aspect, SAFE_AREAS["9:16"])


@dataclass(frozen=True)
class FontFace:
    """What layout needs of a font file: its family for libass, and its metrics."""

    path: str
    family: str
    bold: bool
    units_per_height: float  # font units in one ASS font-size unit (winAscent + winDescent)
    advances: dict[int, int]  # code point -> advance width in font units
    space: int
    ascent: float  # winAscent: libass puts a line's baseline this far under its top
    # How far any glyph reaches above and below the baseline (the font's bounding box, where
    # it passes winAscent and winDescent; DejaVu's accents and symbols do).
    reach_up: float
    reach_down: float

    def covers(self, text: str) -> bool:
        return all(ord(ch) in self.advances for ch in text if not ch.isspace())

    def width(self, text: str, size: float) -> float:
        units = sum(self.advances.get(ord(ch), self.space) for ch in text)
        return units * size / self.units_per_height


@lru_cache(maxsize=8)
def load_face(path: str) -> FontFace:
    try:
        font = TTFont(path, lazy=True, fontNumber=0)
        cmap = font.getBestCmap() or {}
        metrics = font["hmtx"].metrics
        os2 = font["OS/2"]
        family = font["name"].getBestFamilyName() or Path(path).stem
        advances = {cp: metrics[glyph][0] for cp, glyph in cmap.items() if glyph in metrics}
        head = font["head"]
        height = float(os2.usWinAscent + os2.usWinDescent) or float(head.unitsPerEm)
        bold = os2.usWeightClass >= 600
        reach = (max(head.yMax, os2.usWinAscent), max(-head.yMin, os2.usWinDescent))
    except (OSError, KeyError, AttributeError, ValueError, TTLibError) as err:
        raise bad_input(f"look.caption_font {path}: not a usable TrueType/OpenType font: {err}")
    return FontFace(path, family, bold, height, advances, advances.get(32, int(height / 4)),
                    float(os2.usWinAscent), float(reach[0]), float(reach[1]))  # fmt: skip


@dataclass
class CaptionStyle:
    face: FontFace
    fallback: FontFace
    size: int
    outline: int
    shadow: int
    area: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
    centre_y: float


def caption_style(look: LookConfig) -> CaptionStyle:
    face = load_face(look.caption_font or str(CAPTION_FONT))
    size = max(12, round(look.caption_size * min(look.width, look.height)))
    # A heavy outline, as the popular caption styles draw it: readable on any footage.
    outline = max(2, round(size * OUTLINE))
    x0, y0, x1, y1 = safe_area(look).box(look.width, look.height)
    # The outline and shadow are drawn outside the glyphs and must stay inside too.
    pad = outline + max(1, round(size * 0.035))
    return CaptionStyle(
        face=face,
        fallback=load_face(str(FALLBACK_FONT)),
        size=size,
        outline=outline,
        shadow=max(1, round(size * 0.035)),
        area=(x0 + pad, y0 + pad, x1 - pad, y1 - pad),
        centre_y=look.caption_position * look.height,
    )


@dataclass
class EventLayout:
    lines: list[list[int]]  # word indexes per line
    face: FontFace
    size: int  # may be smaller than the style's when one word alone is too wide
    x: float  # centre of the block
    y: float
    width: float
    height: float


def layout_event(texts: list[str], style: CaptionStyle) -> EventLayout:
    """Lines for one event's words: one line if it fits, else the most even split that fits,
    never breaking inside a word; a word too wide for the area on its own shrinks the size.
    Widths are of what libass draws: `drawn` turns each backslash into the wider set-minus."""
    texts = [drawn(t) for t in texts]
    joined = " ".join(texts)
    face = style.face if style.face.covers(joined) else style.fallback
    x0, y0, x1, y1 = style.area
    max_width = x1 - x0
    size = style.size
    widest = max((face.width(t, size) for t in texts), default=0.0)
    if widest > max_width:
        size = max(8, int(size * max_width / widest))
    lines = _break_lines(texts, face, size, max_width)
    line_height = size * LINE_SPACING
    height = line_height * len(lines)
    while height > y1 - y0 and size > 8:  # only with absurd sizes; keep inside regardless
        size = max(8, int(size * 0.9))
        lines = _break_lines(texts, face, size, max_width)
        height = size * LINE_SPACING * len(lines)
    width = max(face.width(" ".join(texts[i] for i in line), size) for line in lines)
    y = min(max(style.centre_y, y0 + height / 2), y1 - height / 2)
    return EventLayout(lines, face, size, (x0 + x1) / 2, y, width, height)


def _break_lines(
    texts: list[str], face: FontFace, size: float, max_width: float
) -> list[list[int]]:
    def width(indexes: range) -> float:
        return face.width(" ".join(texts[i] for i in indexes), size)

    n = len(texts)
    if n == 0 or width(range(n)) <= max_width:
        return [list(range(n))]
    best: list[list[int]] | None = None
    best_width = float("inf")
    for cut in range(1, n):  # two lines: the cut that makes the longer line shortest
        longest = max(width(range(cut)), width(range(cut, n)))
        if longest <= max_width and longest < best_width:
            best, best_width = [list(range(cut)), list(range(cut, n))], longest
    if best is not None:
        return best
    lines: list[list[int]] = [[]]  # greedy fill for anything longer
    for i in range(n):
        if lines[-1] and width(range(lines[-1][0], i + 1)) > max_width:
            lines.append([])
        lines[-1].append(i)
    return lines


# libass antialiases a pixel past every edge and places text to an eighth of a pixel.
INK_SLACK_PX = 4


def ink_rows(events: list[CaptionEvent], look: LookConfig) -> tuple[int, int] | None:
    """The rows [first, end) libass can draw on for these events: each line's glyphs as far
    as their font reaches (its bounding box, which can pass winAscent and winDescent), the
    outline around them (BorderStyle 3's box spans the line's ascent and descent plus the
    outline, inside that), the shadow under them. libass stacks an `\\an5` event's lines
    around its `\\pos` at each font's winAscent + winDescent, as `layout_event` does. None
    when a word has a glyph its font lacks: libass then takes a system font whose size this
    cannot know."""
    style = caption_style(look)
    top, bottom = math.inf, -math.inf
    for event in events:
        texts = [w.text for w in event.words]
        box = layout_event(texts, style)
        if not box.face.covers(" ".join(texts)):
            return None
        scale = box.size / box.face.units_per_height
        first_line = round(box.y) - box.height / 2  # to_ass writes \pos to the pixel
        for k in range(len(box.lines)):
            baseline = first_line + k * box.size * LINE_SPACING + box.face.ascent * scale
            top = min(top, baseline - box.face.reach_up * scale - style.outline)
            bottom = max(
                bottom, baseline + box.face.reach_down * scale + style.outline + style.shadow
            )
    if top > bottom:
        return (0, 0)
    return (
        max(0, math.floor(top) - INK_SLACK_PX),
        min(look.height, math.ceil(bottom) + INK_SLACK_PX),
    )


def to_ass(events: list[CaptionEvent], look: LookConfig) -> str:
    """A complete ASS script; each event becomes one Dialogue per spoken word, in which that
    word alone is drawn in the highlight colour (exact, unlike `\\k`, which keeps spoken words
    lit). Every Dialogue is placed with `\\an5\\pos` and broken with `\\N` by `layout_event`."""
    style = caption_style(look)
    primary = ass_color(look.caption_color)
    highlight = ass_color(look.highlight_color)
    edge = ass_color(look.caption_outline_color)
    # Inline \c takes &HBBGGRR& without the alpha byte the style lines carry.
    lit, unlit = f"&H{highlight[4:]}&", f"&H{primary[4:]}&"
    # BorderStyle 3 draws the outline colour as an opaque box behind each line.
    border_style, back = (3, edge) if look.caption_box else (1, "&H96000000")
    face = style.face
    header = "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {look.width}",
            f"PlayResY: {look.height}",
            "WrapStyle: 2",
            "ScaledBorderAndShadow: yes",
            "YCbCr Matrix: TV.709",
            "",
            "[V4+ Styles]",
            (
                "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour,"
                " OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY,"
                " Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR,"
                " MarginV, Encoding"
            ),
            (
                f"Style: Caption,{face.family},{style.size},{primary},{highlight},{edge},{back},"
                f"{-1 if face.bold else 0},0,0,0,100,100,0,0,{border_style},{style.outline},"
                f"{style.shadow},5,0,0,0,1"
            ),
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
    )
    lines = [header]
    for event in events:
        box = layout_event([w.text for w in event.words], style)
        prefix = f"{{\\an5\\pos({box.x:.0f},{box.y:.0f})"
        if box.face is not face:
            prefix += f"\\fn{box.face.family}\\b{1 if box.face.bold else 0}"
        if box.size != style.size:
            prefix += f"\\fs{box.size}"
        prefix += "}"
        for k, word in enumerate(event.words):
            start = event.start if k == 0 else word.start
            end = event.words[k + 1].start if k + 1 < len(event.words) else event.end
            if _centis(end) <= _centis(start):
                continue
            text = "\\N".join(
                " ".join(
                    f"{{\\c{lit}}}{escape(event.words[j].text)}{{\\c{unlit}}}"
                    if j == k
                    else escape(event.words[j].text)
                    for j in line
                )
                for line in box.lines
            )
            lines.append(
                f"Dialogue: 0,{ass_time(start)},{ass_time(end)},Caption,,0,0,0,,{prefix}{text}"
            )
    return "\n".join(lines) + "\n"


def ass_color(hex_rgb: str) -> str:
    """ "#rrggbb" -> ASS "&H00BBGGRR" (alpha first, then blue-green-red)."""
    value = hex_rgb.strip().lstrip("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise bad_input(f"look colour {hex_rgb!r} is not #rrggbb")
    r, g, b = value[0:2], value[2:4], value[4:6]
    return f"&H00{b}{g}{r}".upper()


def drawn(text: str) -> str:
    """The characters libass will draw for `text`: it has no escape for a lone backslash, so
    the look-alike set-minus stands in (and keeps a spoken `\\N` from breaking the line)."""
    return text.replace("\\", "\u2216")


def escape(text: str) -> str:
    """Keep spoken words from being read as override blocks or line breaks."""
    text = drawn(" ".join(text.split()))
    return text.replace("{", "\\{").replace("}", "\\}")


def ass_time(seconds: float) -> str:
    cs = _centis(seconds)
    h, rem = divmod(cs, 360000)
    m, rem = divmod(rem, 6000)
    s, c = divmod(rem, 100)
    return f"{h}:{m:02d}:{s:02d}.{c:02d}"


def _centis(seconds: float) -> int:
    return max(0, round(seconds * 100))


def fonts_dir_for(look: LookConfig, scratch: Path) -> Path:
    """libass loads fonts from one folder: the shipped ones, plus the channel's own font."""
    if not look.caption_font or Path(look.caption_font).parent == FONTS_DIR:
        return FONTS_DIR
    fonts = scratch / "fonts"
    fonts.mkdir()
    for font in [*FONTS_DIR.glob("*.ttf"), Path(look.caption_font)]:
        os.symlink(font.resolve(), fonts / font.name)
    return fonts
