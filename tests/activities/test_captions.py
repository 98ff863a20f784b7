import itertools
import json
import re

import pytest
from temporalio.exceptions import ApplicationError

from activities.captions import (
    HOLD_S,
    ass_color,
    ass_time,
    group_captions,
    load_words,
    to_ass,
)
from workflows.contracts import LookConfig, WordTiming


def _words(text: str, start: float = 0.0, step: float = 0.4, scene: int = 0) -> list[WordTiming]:
    return [
        WordTiming(
            text=w,
            start=round(start + i * step, 3),
            end=round(start + i * step + 0.3, 3),
            scene=scene,
        )
        for i, w in enumerate(text.split())
    ]


def test_groups_respect_max_words_and_keep_every_word_whole() -> None:
    words = _words("one two three four five six seven eight nine ten")
    events = group_captions(words, max_words=3)
    assert all(1 <= len(e.words) <= 3 for e in events)
    assert [w.text for e in events for w in e.words] == [w.text for w in words]


def test_groups_break_early_at_sentence_end_and_scene_change() -> None:
    words = _words("Hi there. Octopuses have three hearts") + _words("Wow", start=5.0, scene=1)
    texts = [[w.text for w in e.words] for e in group_captions(words, max_words=3)]
    assert texts == [["Hi", "there."], ["Octopuses", "have", "three"], ["hearts"], ["Wow"]]


def test_events_follow_word_timing_without_overlap() -> None:
    words = _words("a b c d e f g")
    events = group_captions(words, max_words=2)
    for event, following in itertools.pairwise(events):
        assert event.start == event.words[0].start
        assert event.end == following.start  # held until the next phrase starts
        assert event.end <= following.start
    assert events[-1].end == pytest.approx(words[-1].end + HOLD_S)


def test_long_pause_clears_the_caption() -> None:
    words = _words("before pause") + _words("after", start=5.0)
    first, second = group_captions(words, max_words=3)
    assert first.end == pytest.approx(words[1].end + HOLD_S)
    assert second.start == 5.0


def test_ass_has_play_res_highlight_and_escaped_braces() -> None:
    look = LookConfig(width=1080, height=1920, highlight_color="#ffd23f")
    words = [
        WordTiming("say", 0.0, 0.4, 0),
        WordTiming("{hi}", 0.5, 0.9, 0),
        WordTiming("a\\N", 1.0, 1.4, 0),
    ]
    text = to_ass(group_captions(words, 3), look)
    assert "PlayResX: 1080" in text and "PlayResY: 1920" in text
    assert "&H3FD2FF&" in text  # #ffd23f as inline BGR
    assert "\\{hi\\}" in text
    assert "\\N" not in text  # a spoken backslash must not become a line break
    dialogues = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogues) == 3  # one highlight state per word
    for line, word in zip(dialogues, ["say", "\\{hi\\}", "a∖N"]):
        assert f"{{\\c&H3FD2FF&}}{word}{{" in line


def test_ass_places_captions_in_the_safe_area() -> None:
    look = LookConfig()
    text = to_ass([], look)
    style = next(line for line in text.splitlines() if line.startswith("Style:"))
    fields = style.split(",")
    size, alignment, margin_v = int(fields[2]), int(fields[18]), int(fields[21])
    assert alignment == 2
    bottom = look.height - margin_v
    assert 0.2 * look.height < margin_v  # clear of the bottom UI
    assert 0.58 * look.height < bottom - size / 2 < 0.68 * look.height


def test_ass_times_and_colours() -> None:
    assert ass_time(3723.456) == "1:02:03.46"
    assert ass_color("#112233") == "&H00332211"
    with pytest.raises(ApplicationError):
        ass_color("yellow")


def test_load_words_reads_alignment_json(tmp_path) -> None:
    path = tmp_path / "alignment.json"
    path.write_text(
        json.dumps(
            [
                {"text": "b", "start": 1.0, "end": 1.2, "scene": 0},
                {"text": "a", "start": 0.0, "end": 0.5, "scene": 0},
            ]
        )
    )
    assert [w.text for w in load_words(path)] == ["a", "b"]
    path.write_text(json.dumps([{"text": "x"}]))
    with pytest.raises(ApplicationError, match="word 0") as err:
        load_words(path)
    assert err.value.type == "BadInput"


def test_dialogue_times_are_contiguous() -> None:
    events = group_captions(_words("one two three four five"), 3)
    text = to_ass(events, LookConfig())
    spans = re.findall(r"Dialogue: 0,([\d:.]+),([\d:.]+)", text)
    assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
