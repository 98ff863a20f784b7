"""Captions as libass actually draws them: where layout said, in the right font, readable."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from activities.assets import FONTS_DIR
from activities.captions import caption_style, group_captions, layout_event, to_ass
from activities.ffmpeg_run import ffmpeg_exe, filter_path
from workflows.contracts import LookConfig, WordTiming

LOOK = LookConfig()


def _ass(tmp_path: Path, words: list[str]) -> Path:
    timings = [WordTiming(w, 0.5 * i, 0.5 * i + 0.4, 0) for i, w in enumerate(words)]
    path = tmp_path / "c.ass"
    path.write_text(to_ass(group_captions(timings, len(words)), LOOK), encoding="utf-8")
    return path


def _render(ass: Path, background: str, at_s: float, *extra: str) -> subprocess.CompletedProcess:
    source = f"color=c={background}:s={LOOK.width}x{LOOK.height}:r=10:d=2"
    graph = f"ass=filename={filter_path(ass)}:fontsdir={filter_path(FONTS_DIR)}"
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-f", "lavfi", "-i", source, "-ss", str(at_s),
         "-vf", graph + (",bbox" if "null" in extra else ""), "-frames:v", "1", *extra],
        capture_output=True, check=True,
    )  # fmt: skip


def _bbox(ass: Path, at_s: float) -> tuple[int, int, int, int]:
    log = _render(ass, "black", at_s, "-f", "null", "-").stderr.decode()
    m = re.search(r"x1:(\d+) x2:(\d+) y1:(\d+) y2:(\d+)", log)
    assert m, "libass drew nothing"
    return int(m[1]), int(m[2]), int(m[3]), int(m[4])


@pytest.mark.parametrize(
    "words",
    [["Octopuses", "have", "three", "hearts"], ["章鱼", "有", "三颗", "心脏"]],
    ids=["latin", "cjk-fallback"],
)
def test_libass_draws_the_caption_where_layout_placed_it(tmp_path: Path, words: list[str]) -> None:
    ass = _ass(tmp_path, words)
    box = layout_event(words, caption_style(LOOK))
    x1, x2, y1, y2 = _bbox(ass, 0.5)
    # Ink is inside the advance box and fills most of it: real glyphs, not missing-glyph boxes.
    assert x2 - x1 == pytest.approx(box.width, rel=0.05)
    assert (x1 + x2) / 2 == pytest.approx(box.x, abs=6)
    assert box.y - box.height / 2 - 2 <= y1 < y2 <= box.y + box.height / 2 + 2


def _gray(ass: Path, background: str) -> bytes:
    return _render(ass, background, 0.5, "-f", "rawvideo", "-pix_fmt", "gray", "-").stdout


@pytest.mark.parametrize("background", ["white", "black"])
def test_captions_keep_dark_and_light_pixels_on_white_and_on_black(
    tmp_path: Path, background: str
) -> None:
    ass = _ass(tmp_path, ["Readable", "anywhere"])
    x1, x2, y1, y2 = _bbox(ass, 0.5)
    frame = _gray(ass, background)
    region = [frame[y * LOOK.width + x] for y in range(y1, y2 + 1) for x in range(x1, x2 + 1)]
    dark = sum(1 for v in region if v < 60) / len(region)
    light = sum(1 for v in region if v > 200) / len(region)
    # White letters with a dark outline: both tones are there whatever is behind them.
    assert dark > 0.05 and light > 0.05


def test_default_captions_are_phone_sized_on_the_rendered_frame(tmp_path: Path) -> None:
    # White capitals on black: bbox sees the letters' ink only (the outline is black too),
    # so its height is the cap height libass drew. Popular Shorts/Reels styles draw capitals
    # of about 5-7% of the frame's width; the old 70 px type drew 44 px (4.1%).
    ass = _ass(tmp_path, ["HEART", "BEAT"])
    x1, x2, y1, y2 = _bbox(ass, 0.5)
    cap_height = y2 - y1 + 1
    assert cap_height >= 0.05 * LOOK.width, cap_height
    # Two words at that size still sit on one line inside the safe area.
    left, top, right, bottom = caption_style(LOOK).area
    assert left <= x1 and x2 <= right and top <= y1 and y2 <= bottom
    assert cap_height < 0.1 * LOOK.width  # one line, not two


def test_a_long_token_of_backslashes_is_measured_as_drawn_and_stays_in_the_area(
        tmp_path: Path) -> None:
    # A trending title quoting a Windows path: libass draws each `\` as the wider `∖`.
    words = ["See", "C:\\Users\\Public\\Documents\\Reports\\Q3\\Final\\v2"]
    style = caption_style(LOOK)
    box = layout_event(words, style)
    x1, x2, _y1, _y2 = _bbox(_ass(tmp_path, words), 0.5)
    left, _top, right, _bottom = style.area
    assert left - 2 <= x1 < x2 <= right + 2, (x1, x2, style.area)
    assert x2 - x1 == pytest.approx(box.width, rel=0.05)
