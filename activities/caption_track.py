"""Captions drawn once per change and overlaid on every frame.

ffmpeg's `ass` filter asks libass for the caption picture on every frame and blends its
shadow, outline and fill bitmaps into the frame, although the picture only changes when a
Dialogue starts or ends (one per spoken word, see `to_ass`). Here libass draws each caption
picture once, in a branch of compose's own graph, and overlay lays the latest one on every
frame with its SIMD row blending.

- Which frames (`change_frames`): those where the set of visible Dialogues changes, at the
  times libass is asked for. The branch runs at the reel's rate, so libass sees frame n at
  the time the filter saw it on a picture with exact timestamps.
- Where: a band of rows holding every caption, from the layout (`captions.ink_rows`); libass
  draws on a canvas the size of the band with the script's `\\pos` moved up by its top,
  which draws the same pixels as the full frame does.
- Looking the same: the `ass` filter's alpha mode is no use here: it blends the alpha plane
  like a colour, so the translucent shadow's coverage comes out squared, and it leaves the
  colour premultiplied. So libass draws each picture twice, on a band of 0 and on one of
  255 in every plane (stacked, in one call: `drawn_twice`); a pixel's coverage is what the
  second kept of its 255, its colour what it drew on 0 divided by that coverage. Both are
  drawn on yuv420p frames as the filter drew on the reel (the script's "TV.709" colours,
  chroma blended per 2x2), so overlay's X * (1 - a) + colour * a is the filter's result up
  to rounding (and, in chroma, to overlay averaging the four luma coverages).
- Colour space: the canvas is the picture's own first frame, overwritten. A picture
  labelled bt709 (footage) makes ffmpeg convert a second input of another label as it
  enters the overlay; the branch carries the picture's label, so nothing is converted, and
  the `ass` filter draws the same values whatever the label.
- When: a caption frame is stamped half a frame before its frame, so overlay switches on
  frame n although the reel's timestamps run a microsecond early after a join (concat rounds
  segment lengths to microseconds), and holds it to the next change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ffmpeg

from activities.captions import CaptionEvent, fonts_dir_for, ink_rows
from workflows.contracts import LookConfig

Stream = Any  # ffmpeg-python ships no type hints
BAND_SCRIPT = "captions-band.ass"  # in the compose's scratch folder
COVERAGE = "clip(255-x+y,0,255)"  # x: drawn on 255, y: drawn on 0
BLACK = 16  # video-range black: what `bbox` counts as unlit by default

_TIME = r"(\d+):(\d+):(\d+)\.(\d+)"
_DIALOGUE = re.compile(rf"^Dialogue:[^,]*,\s*{_TIME}\s*,\s*{_TIME}\s*,", re.MULTILINE)
_POS = re.compile(r"\\pos\(\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\)")


@dataclass(frozen=True)
class CaptionTrack:
    """What compose needs to draw the captions in its graph: the script for the stacked
    bands (`drawn_twice`), the fonts libass reads, the band's rows, and the frames on which
    the picture changes."""

    script: Path
    fonts: Path
    top: int
    height: int
    fps: int
    length: int  # frames in the reel
    changes: list[int]


def caption_track(
    captions: Path, events: list[CaptionEvent], look: LookConfig, total: float, scratch: Path
) -> CaptionTrack | None:
    """The track for the ASS file `to_ass` wrote for `events` (`captions`) on a picture of
    `total` seconds; None when nothing is ever shown. Writes the band's script, and links a
    channel's own font, in `scratch`."""
    script = captions.read_text(encoding="utf-8")
    spans = dialogue_spans(script)
    length = round(total * look.fps)
    changes = change_frames(spans, look.fps, length)
    if not spans or not changes:
        return None
    top, end = band(events, look)
    band_script = scratch / BAND_SCRIPT
    band_script.write_text(drawn_twice(script, top, end - top), encoding="utf-8")
    fonts = fonts_dir_for(look, scratch)
    return CaptionTrack(band_script, fonts, top, end - top, look.fps, length, changes)


def overlaid(picture: Stream, track: CaptionTrack) -> Stream:
    """`picture` (yuv420p, `track.length` frames) with the captions on it."""
    parts = picture.filter_multi_output("split", 2)
    # The canvas is the picture's first frame, so it carries the picture's colour space.
    first = (
        parts[1]
        .filter("trim", end_frame=1)
        .filter("crop", "iw", track.height, 0, track.top)
        .filter_multi_output("split", 2)
    )
    levels = [first[k].filter("lutyuv", y=v, u=v, v=v) for k, v in enumerate((0, 255))]
    drawn = (
        ffmpeg.filter(levels, "vstack")  # 0 above, 255 below
        .filter("loop", loop=track.length, size=1)
        .filter("settb", f"1/{track.fps}")
        .filter("setpts", "N")  # frame n at n/fps: the time the ass filter drew it at
        .filter("select", "+".join(f"eq(n,{n})" for n in [*track.changes, track.length]))
        .filter("ass", filename=str(track.script), fontsdir=str(track.fonts))
        .filter_multi_output("split", 4)
    )
    on_black = [drawn[k].filter("crop", "iw", track.height, 0, 0) for k in (0, 1)]
    # Where each picture's lit pixels land, for the quality stage's placement check: the
    # pixels it finds rendering the script alone on black (`quality.caption_boxes`).
    on_black[0] = on_black[0].filter("bbox", min_val=BLACK)
    on_white = [drawn[k].filter("crop", "iw", track.height, 0, track.height) for k in (2, 3)]
    colour = ffmpeg.filter(
        [on_white[0], on_black[0]], "lut2", c0=_unmixed(16), c1=_unmixed(128), c2=_unmixed(128)
    )
    coverage = ffmpeg.filter([on_white[1], on_black[1]], "lut2", c0=COVERAGE, c1=0, c2=0)
    planes = ffmpeg.filter(
        [colour, coverage], "mergeplanes", format="yuva420p",
        map0s=0, map0p=0, map1s=0, map1p=1, map2s=0, map2p=2, map3s=1, map3p=0,
    )  # fmt: skip
    # Half a frame early: pts n in 1/fps -> 2n - 1 in 1/(2 fps).
    captions = planes.filter("settb", f"1/{2 * track.fps}").filter("setpts", "max(PTS-1,0)")
    # Each caption frame holds until the next one's time. overlay copies the whole picture
    # before blending for as long as its second input syncs it (framesync: the next caption
    # is not known to come after the next picture), about 0.12 CPU s a reel at 1080x1920.
    # `eof_action=pass` makes the captions a non-syncing input: still waited for and laid
    # on by time, never a reason to copy. Its end then ends the captions (no repeat), so the
    # stream closes with frame `length`, half a frame after the reel's last: the last
    # change holds to the end.
    return ffmpeg.filter(
        [parts[0], captions], "overlay", x=0, y=track.top, format="yuv420", alpha="straight",
        eof_action="pass",
    )  # fmt: skip


def _unmixed(clear: int) -> str:
    """A plane's colour from its values drawn on 255 (x) and on 0 (y): what was drawn on 0,
    divided by the coverage, rounded; `clear` where nothing was drawn."""
    cover = "(255-x+y)"
    return f"if(gt({cover},0),min(255,(255*y+{cover}/2)/{cover}),{clear})"


def dialogue_spans(script: str) -> list[tuple[int, int]]:
    """Each Dialogue's [start, end) in ms, read as libass reads `h:mm:ss.cc`: the digits
    after the point are hundredths."""
    spans = []
    for m in _DIALOGUE.finditer(script):
        h0, m0, s0, c0, h1, m1, s1, c1 = (int(g) for g in m.groups())
        start = ((h0 * 60 + m0) * 60 + s0) * 1000 + c0 * 10
        spans.append((start, ((h1 * 60 + m1) * 60 + s1) * 1000 + c1 * 10))
    return spans


def frame_times(n: int, fps: int) -> tuple[int, int]:
    """The ms libass is asked to draw for frame n at `fps` (pts n in 1/fps), two ways: ffmpeg
    9's `ass` filter computes n * (1/fps) * 1000 in doubles and truncates it (frame 111 at 30
    fps, 3.7 s, is drawn as 3699 ms); `av_rescale_q`, which other versions use, rounds to
    the nearest ms. The branch draws whichever its ffmpeg does; `change_frames` keeps the
    frames where either changes."""
    return int(n * (1 / fps) * 1000), (n * 1000 + fps // 2) // fps


def change_frames(spans: list[tuple[int, int]], fps: int, frames: int) -> list[int]:
    """The frames among 0..frames-1 on which the set of visible Dialogues (libass shows one
    while start <= t < end) differs from the frame before, by either reading of
    `frame_times`, and frame 0. Frames between two of these show what the earlier one does,
    so drawing these and holding each is drawing every frame."""
    if frames <= 0:
        return []
    candidates = {0}
    for ms in {edge for span in spans for edge in span}:
        for reading in (0, 1):
            n = max(0, ms * fps // 1000 - 1)  # a frame or two before it shows
            while frame_times(n, fps)[reading] < ms:
                n += 1
            candidates.add(n)
    return [
        n
        for n in sorted(c for c in candidates if c < frames)
        if n == 0 or _showing(spans, n, fps) != _showing(spans, n - 1, fps)
    ]


def _showing(spans: list[tuple[int, int]], n: int, fps: int) -> tuple[frozenset[int], ...]:
    return tuple(
        frozenset(i for i, (start, end) in enumerate(spans) if start <= t < end)
        for t in frame_times(n, fps)
    )


def band(events: list[CaptionEvent], look: LookConfig) -> tuple[int, int]:
    """The rows [top, end) the track covers: where layout says libass can draw, on even rows
    (overlay places chroma at top / 2), or the whole frame when layout cannot say."""
    rows = ink_rows(events, look) or (0, look.height)
    top, end = rows[0] // 2 * 2, min(look.height, (rows[1] + 1) // 2 * 2)
    return (top, end) if end > top else (0, look.height)


def drawn_twice(script: str, top: int, height: int) -> str:
    """The script for two bands of rows top..top+height stacked: every Dialogue in the upper
    one, moved up by `top`, and again in the lower one. The scale is the frame's (PlayResY is
    the canvas's height, as it was the frame's), so the pixels are those the frame gets, in
    one libass call. `to_ass` places every Dialogue with `\\pos` and nothing else (no
    `\\move`, `\\clip`, margins), and a positioned Dialogue never moves out of another's way."""
    resized = re.sub(r"^PlayResY:.*$", f"PlayResY: {2 * height}", script, flags=re.MULTILINE)
    lines = []
    for line in resized.splitlines():
        if not line.startswith("Dialogue:"):
            lines.append(line)
            continue
        for shift in (top, top - height):
            lines.append(_POS.sub(lambda m, d=shift: f"\\pos({m[1]},{Decimal(m[2]) - d})", line))
    return "\n".join(lines) + "\n"
