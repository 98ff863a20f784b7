"""Captions drawn once per change and overlaid: the frames libass drawing every frame makes.

The render tests draw a short clip both ways with real ffmpeg, the `ass` filter on every
yuv420p frame as compose did before and the track overlaid as compose does now, on a moving
background, and compare the two frame by frame.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from activities.caption_track import (
    band,
    caption_track,
    change_frames,
    dialogue_spans,
    drawn_twice,
    frame_times,
    overlaid,
)
from activities.captions import group_captions, ink_rows, to_ass
from activities.ffmpeg_run import run_ffmpeg
from workflows.contracts import LookConfig, WordTiming

FPS = 30


def test_frame_times_read_as_ffmpeg_9_and_as_av_rescale_q() -> None:
    assert frame_times(3, 30) == (100, 100)
    # 111 * (1/30) * 1000 is 3699.99... in doubles: the ass filter draws frame 111 as 3699 ms.
    assert frame_times(111, 30) == (3699, 3700)
    assert frame_times(1, 30) == (33, 33) and frame_times(2, 30) == (66, 67)
    assert frame_times(20, 29) == (689, 690)


def test_a_change_on_a_frame_time_lands_on_that_frame() -> None:
    # At 25 fps every frame is on a whole 40 ms: shown from frame 10 to frame 19.
    assert change_frames([(400, 800)], 25, 50) == [0, 10, 20]
    # Frame 0 is drawn even when a caption starts on it.
    assert change_frames([(0, 400)], 25, 50) == [0, 10]


def test_a_change_where_the_two_readings_differ_is_drawn_on_both_frames() -> None:
    # 3.7 s is frame 111 at 30 fps; ffmpeg 9 reads that frame as 3699 ms and shows the
    # caption from 112, av_rescale_q from 111. Drawing both frames is right either way.
    assert change_frames([(3700, 4000)], 30, 200) == [0, 111, 112, 120]


def test_gaps_clear_the_picture_and_touching_dialogues_change_once() -> None:
    assert change_frames([(0, 500), (1000, 1500)], 30, 90) == [0, 15, 30, 45]
    # One Dialogue ends where the next starts (a word's highlight moving on): one change.
    assert change_frames([(0, 500), (500, 1000)], 30, 90) == [0, 15, 30]


def test_overlapping_dialogues_change_at_every_start_and_end() -> None:
    assert change_frames([(0, 1000), (500, 1500)], 30, 90) == [0, 15, 30, 45]
    # An end inside another Dialogue's span still changes the picture.
    assert change_frames([(0, 1500), (500, 1000)], 30, 90) == [0, 15, 30, 45]


def test_a_dialogue_between_two_frames_is_never_drawn() -> None:
    assert change_frames([(10, 20)], 30, 90) == [0]


def test_changes_after_the_last_frame_are_left_out() -> None:
    assert change_frames([(500, 5000)], 30, 60) == [0, 15]
    assert change_frames([], 30, 60) == [0]
    assert change_frames([(0, 100)], 30, 0) == []


def test_dialogue_times_are_read_as_libass_reads_them() -> None:
    script = (
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:01.25,0:00:02.00,Caption,,0,0,0,,{\\an5\\pos(540,1210)}a, b\n"
        "Dialogue: 0,1:02:03.04,1:02:03.50,Caption,,0,0,0,,c\n"
        "Comment: 0,0:00:09.00,0:00:10.00,Caption,,0,0,0,,not shown\n"
    )
    assert dialogue_spans(script) == [(1250, 2000), (3723040, 3723500)]


def test_the_band_script_draws_every_dialogue_in_both_bands() -> None:
    script = (
        "PlayResX: 1080\nPlayResY: 1920\n"
        "Dialogue: 0,0:00:00.00,0:00:01.00,C,,0,0,0,,{\\an5\\pos(497,1210)}x\n"
        "Dialogue: 0,0:00:01.00,0:00:02.00,C,,0,0,0,,{\\an5\\pos(497,1200.5)}y\n"
    )
    twice = drawn_twice(script, 1100, 240)
    assert "PlayResY: 480\n" in twice and "PlayResX: 1080" in twice and "1920" not in twice
    # The upper band is the frame moved up by 1100 rows; the lower one 240 rows further down.
    assert twice.count("Dialogue:") == 4
    assert "\\pos(497,110)}x" in twice and "\\pos(497,350)}x" in twice
    assert "\\pos(497,100.5)}y" in twice and "\\pos(497,340.5)}y" in twice
    assert dialogue_spans(twice) == [(0, 1000), (0, 1000), (1000, 2000), (1000, 2000)]


def test_the_band_is_even_and_holds_every_line_libass_can_draw() -> None:
    look = LookConfig()
    one = group_captions(_timed("Octopuses have"), 2)
    three = group_captions(_timed("Incomprehensibilities notwithstanding extraordinarily"), 3)
    top, end = band(one, look)
    assert top % 2 == 0 and end % 2 == 0
    # One line of 97 px type with an 11 px outline, centred at 63% of the height.
    assert top < 0.63 * 1920 - 97 / 2 - 11 and end > 0.63 * 1920 + 97 / 2 + 11
    assert end - top < 0.12 * 1920
    three_top, three_end = band(three, look)
    assert three_end - three_top > 2.5 * 97  # every line of a three-line caption
    # A word no font of ours has: libass falls back to a font layout cannot measure.
    assert ink_rows(group_captions(_timed("🐙"), 2), look) is None
    assert band(group_captions(_timed("🐙"), 2), look) == (0, 1920)


# The render comparisons.


@dataclass
class Comparison:
    track_frames: int
    band: tuple[int, int]
    psnr: list[float]  # per frame, whole frame
    band_psnr: list[float]  # per frame, the track's rows
    outside_psnr: list[float]  # the `ass` render against the bare background, band blanked

    def overall(self, which: list[float]) -> float:
        mse = sum(255**2 / 10 ** (p / 10) for p in which) / len(which)
        return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def _timed(text: str, start: float = 0.0, step: float = 0.3) -> list[WordTiming]:
    return [
        WordTiming(w, round(start + i * step, 3), round(start + i * step + 0.8 * step, 3), 0)
        for i, w in enumerate(text.split())
    ]


def _compare(tmp_path: Path, look: LookConfig, words: list[WordTiming], seconds: float,
             colorspace: str = "") -> Comparison:  # fmt: skip
    events = group_captions(words, look.caption_words)
    captions = tmp_path / "captions.ass"
    captions.write_text(to_ass(events, look), encoding="utf-8")
    track = caption_track(captions, events, look, seconds, tmp_path)
    assert track is not None
    background = ffmpeg.input(
        f"testsrc2=s={look.width}x{look.height}:r={look.fps}:d={seconds}", f="lavfi"
    ).video.filter("format", "yuv420p")
    if colorspace:  # as footage (bt709) or photos (bt470bg) label the picture
        background = background.filter("setparams", colorspace=colorspace, range="tv")
    copies = background.filter_multi_output("split", 3)
    bare = copies[0]
    # The ass filter as compose ran it, reading the fonts the track reads (a channel's own
    # font is linked beside the shipped ones).
    old = copies[1].filter("ass", filename=str(captions), fontsdir=str(track.fonts))
    new = overlaid(copies[2], track)
    old_parts = old.filter_multi_output("split", 3)
    new_parts = new.filter_multi_output("split", 2)
    crop = {"w": look.width, "h": track.height, "x": 0, "y": track.top}
    blank = {"x": 0, "y": track.top, "w": look.width, "h": track.height, "color": "black",
             "t": "fill"}  # fmt: skip
    pairs = {
        "whole": (old_parts[0], new_parts[0]),
        "band": (old_parts[1].filter("crop", **crop), new_parts[1].filter("crop", **crop)),
        "outside": (old_parts[2].filter("drawbox", **blank), bare.filter("drawbox", **blank)),
    }
    outputs = [
        ffmpeg.output(
            ffmpeg.filter([a, b], "psnr", stats_file=str(tmp_path / f"{name}.log")), "-", f="null"
        )
        for name, (a, b) in pairs.items()
    ]
    run_ffmpeg(ffmpeg.merge_outputs(*outputs).get_args(), what="caption comparison")

    def per_frame(name: str) -> list[float]:
        text = (tmp_path / f"{name}.log").read_text()
        return [math.inf if v == "inf" else float(v) for v in re.findall(r"psnr_avg:(\S+)", text)]

    return Comparison(len(track.changes), (track.top, track.top + track.height), per_frame("whole"),
                      per_frame("band"), per_frame("outside"))  # fmt: skip


def _assert_same_pictures(result: Comparison, frames: int) -> None:
    assert len(result.psnr) == len(result.band_psnr) == frames
    assert result.overall(result.psnr) > 40
    # Inside the band the two are the same pictures up to rounding: a shadow drawn too
    # faint, a colour converted another way or a caption a frame early or late would not be.
    assert result.overall(result.band_psnr) > 50
    worst = min(range(frames), key=lambda n: result.band_psnr[n])
    assert result.band_psnr[worst] > 40, f"frame {worst}: {result.band_psnr[worst]:.1f} dB"
    # Not one pixel of any caption lies outside the band.
    assert all(p == math.inf for p in result.outside_psnr)


def test_the_track_matches_libass_on_every_frame(tmp_path: Path) -> None:
    # Words land on frame times (0.3 s steps at 30 fps), the highlight moves word by word,
    # and 3.7 s (frame 111, read as 3699 ms by ffmpeg 9) starts a word.
    words = _timed("Octopuses have three hearts and blue blood", start=0.1) + _timed(
        "Jellyfish glow quietly", start=3.7, step=0.4
    )
    result = _compare(tmp_path, LookConfig(), words, 5.0)
    _assert_same_pictures(result, 150)
    assert result.track_frames >= 11  # a picture per word, and the clears


def test_boxes_and_three_line_captions_fit_the_band(tmp_path: Path) -> None:
    look = LookConfig(caption_box=True, caption_words=3, caption_outline_color="#1d3fbf",
                      highlight_color="#ff3b30")  # fmt: skip
    words = _timed("Incomprehensibilities notwithstanding extraordinarily") + _timed(
        "Quickly jumping gymnasts", start=1.2
    ) + _timed("章鱼 有 三颗 心脏", start=2.4)  # fmt: skip
    result = _compare(tmp_path, look, words, 3.6)
    _assert_same_pictures(result, 108)
    top, end = result.band
    assert end - top > 3 * look.caption_size * look.width  # the three-line caption is in it


def test_a_channel_font_reaching_past_its_line_is_not_clipped(tmp_path: Path) -> None:
    # Glyphs that rise 60% above winAscent and sink well under winDescent: the band follows
    # the font's bounding box, not its line height.
    font = tall_font(tmp_path / "TallTest.ttf")
    look = LookConfig(caption_font=str(font), caption_words=2)
    result = _compare(tmp_path, look, _timed("Tall glyphs reach far"), 1.5)
    _assert_same_pictures(result, 45)


def tall_font(path: Path) -> Path:
    """A bold TrueType font whose every glyph is a bar from 450 units under the baseline to
    1250 over it, in a line of 800 + 200."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space", *letters])
    builder.setupCharacterMap({32: "space", **{ord(c): c for c in letters}})
    glyphs, metrics = {}, {}
    for name in [".notdef", "space", *letters]:
        pen = TTGlyphPen(None)
        if name != "space":
            pen.moveTo((60, -450))
            pen.lineTo((60, 1250))
            pen.lineTo((440, 1250))
            pen.lineTo((440, -450))
            pen.closePath()
        glyphs[name] = pen.glyph()
        metrics[name] = (500, 60 if name != "space" else 0)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Tall Test", "styleName": "Bold"})
    builder.setupOS2(usWinAscent=800, usWinDescent=200, sTypoAscender=800, sTypoDescender=-200,
                     usWeightClass=700, fsSelection=0x20)  # fmt: skip
    builder.updateHead(macStyle=1)  # bold, as fsSelection says
    builder.setupPost()
    builder.save(str(path))
    return path


@pytest.mark.parametrize("colour", ["#ffd23f", "#ffffff", "#000000"])
@pytest.mark.parametrize("colorspace", ["", "bt709", "bt470bg"])
def test_highlight_white_and_black_come_out_the_same(
    tmp_path: Path, colour: str, colorspace: str
) -> None:
    # Opaque boxes of one colour: inside them the values are the colour as each path
    # converts it, whatever is behind, and whatever colour space the picture is labelled
    # with (a second input labelled otherwise would be converted on its way into overlay).
    look = LookConfig(caption_box=True, caption_outline_color=colour, caption_color=colour,
                      highlight_color=colour)  # fmt: skip
    result = _compare(tmp_path, look, _timed("Colour test"), 1.0, colorspace)
    _assert_same_pictures(result, 30)
    assert result.overall(result.band_psnr) > 55
