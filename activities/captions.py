"""Word-timed captions: group the voice's word timings into short events and write them as ASS.

Pure functions: the compose stage writes the returned text next to the reel and burns it in
with ffmpeg's `ass` filter, so everything here is testable without ffmpeg.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from activities.errors import bad_input
from workflows.contracts import LookConfig, WordTiming

SENTENCE_END = (".", "!", "?", "…", ";", ":")
HOLD_S = 0.35  # how long the last caption of a phrase stays after its last word
MAX_LINGER_S = 1.0  # a caption stays through a pause this long; longer pauses clear it
# Vertical placement: the text's middle at ~63% of the height keeps it out of the top 12%
# (status bar, channel name) and the bottom 20% (title, buttons) that the apps draw over.
TEXT_CENTER = 0.63
FONT_SCALE = 0.045


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


def to_ass(events: list[CaptionEvent], look: LookConfig, font_name: str = "DejaVu Sans") -> str:
    """A complete ASS script; each event becomes one Dialogue per spoken word, in which that
    word alone is drawn in the highlight colour (exact, unlike `\\k`, which keeps spoken words
    lit)."""
    size = round(FONT_SCALE * look.height)
    margin_v = max(0, round((1 - TEXT_CENTER) * look.height - size / 2))
    margin_h = round(0.08 * look.width)
    outline = max(2, round(size * 0.07))
    shadow = max(1, round(size * 0.035))
    primary = ass_color(look.caption_color)
    highlight = ass_color(look.highlight_color)
    # Inline \c takes &HBBGGRR& without the alpha byte the style lines carry.
    lit, unlit = f"&H{highlight[4:]}&", f"&H{primary[4:]}&"
    header = "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {look.width}",
            f"PlayResY: {look.height}",
            "WrapStyle: 0",
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
                f"Style: Caption,{font_name},{size},{primary},{highlight},&H00000000,&H96000000,"
                f"-1,0,0,0,100,100,0,0,1,{outline},{shadow},2,{margin_h},{margin_h},{margin_v},1"
            ),
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
    )
    lines = [header]
    for event in events:
        for k, word in enumerate(event.words):
            start = event.start if k == 0 else word.start
            end = event.words[k + 1].start if k + 1 < len(event.words) else event.end
            if _centis(end) <= _centis(start):
                continue
            text = " ".join(
                f"{{\\c{lit}}}{escape(w.text)}{{\\c{unlit}}}" if j == k else escape(w.text)
                for j, w in enumerate(event.words)
            )
            lines.append(f"Dialogue: 0,{ass_time(start)},{ass_time(end)},Caption,,0,0,0,,{text}")
    return "\n".join(lines) + "\n"


def ass_color(hex_rgb: str) -> str:
    """ "#rrggbb" -> ASS "&H00BBGGRR" (alpha first, then blue-green-red)."""
    value = hex_rgb.strip().lstrip("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise bad_input(f"look colour {hex_rgb!r} is not #rrggbb")
    r, g, b = value[0:2], value[2:4], value[4:6]
    return f"&H00{b}{g}{r}".upper()


def escape(text: str) -> str:
    """Keep spoken words from being read as override blocks or line breaks."""
    text = " ".join(text.split())
    # libass has no escape for a lone backslash; the look-alike set-minus keeps `\N` literal.
    text = text.replace("\\", "\u2216")
    return text.replace("{", "\\{").replace("}", "\\}")


def ass_time(seconds: float) -> str:
    cs = _centis(seconds)
    h, rem = divmod(cs, 360000)
    m, rem = divmod(rem, 6000)
    s, c = divmod(rem, 100)
    return f"{h}:{m:02d}:{s:02d}.{c:02d}"


def _centis(seconds: float) -> int:
    return max(0, round(seconds * 100))
