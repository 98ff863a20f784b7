import itertools
import json
import re

import pytest
from temporalio.exceptions import ApplicationError

from activities.captions import (
    HOLD_S,
    ass_color,
    ass_time,
    caption_style,
    group_captions,
    layout_event,
    load_words,
    safe_area,
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


ASPECTS = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}


def _look(aspect: str = "9:16", **kwargs) -> LookConfig:
    width, height = ASPECTS[aspect]
    return LookConfig(width=width, height=height, aspect=aspect, **kwargs)


def test_short_phrases_stay_on_one_line() -> None:
    # the default phrase is caption_words (2) words: at the default size they fit one line
    box = layout_event(["Octopuses", "have"], caption_style(_look()))
    assert box.lines == [[0, 1]]


def test_long_phrases_break_between_words_into_even_lines() -> None:
    texts = ["Octopuses", "have", "three", "extraordinarily", "beautiful"]
    style = caption_style(_look(caption_size=0.065))  # long phrases want smaller type
    box = layout_event(texts, style)
    assert len(box.lines) == 2
    assert [i for line in box.lines for i in line] == list(range(len(texts)))  # order, no loss
    x0, _, x1, _ = style.area
    for line in box.lines:
        assert style.face.width(" ".join(texts[i] for i in line), box.size) <= x1 - x0


def test_a_word_wider_than_the_frame_shrinks_instead_of_splitting() -> None:
    style = caption_style(_look())
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    box = layout_event([word], style)
    assert box.lines == [[0]]
    assert box.size < style.size
    x0, _, x1, _ = style.area
    assert style.face.width(word, box.size) <= x1 - x0
    text = to_ass(group_captions(_words(word), 3), _look())
    assert f"\\fs{box.size}" in text and word in text


@pytest.mark.parametrize("aspect", sorted(ASPECTS))
@pytest.mark.parametrize("position", [0.2, 0.63, 0.8])
def test_caption_blocks_stay_inside_the_safe_area(aspect: str, position: float) -> None:
    look = _look(aspect, caption_position=position)
    style = caption_style(look)
    area = safe_area(look)
    texts = [
        "Some",
        "octopuses",
        "carry",
        "coconut",
        "shells",
        "around",
        "as",
        "portable",
        "armour",
    ]
    for n in (1, 3, len(texts)):
        box = layout_event(texts[:n], style)
        assert area.left * look.width <= box.x - box.width / 2
        assert box.x + box.width / 2 <= area.right * look.width
        assert area.top * look.height <= box.y - box.height / 2
        assert box.y + box.height / 2 <= area.bottom * look.height


def test_vertical_safe_area_keeps_clear_of_the_app_ui() -> None:
    area = safe_area(_look("9:16"))
    assert area.top >= 0.12 and area.bottom <= 0.8 and area.right <= 0.9


def test_text_the_main_font_cannot_draw_switches_to_the_fallback_font() -> None:
    look = _look()
    text = to_ass(group_captions(_words("章鱼 有 三颗 心脏"), 4), look)
    assert "\\fnDroid Sans Fallback" in text
    latin = to_ass(group_captions(_words("Octopuses have hearts"), 4), look)
    assert "\\fn" not in latin


def test_dialogues_are_placed_explicitly_and_broken_with_hard_line_breaks() -> None:
    look = _look(caption_size=0.065)  # six words on two lines want smaller type
    words = _words("Octopuses have three beautiful blue hearts")
    text = to_ass(group_captions(words, 6), look)
    assert "WrapStyle: 2" in text  # libass must not re-wrap our lines
    dialogues = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert all("\\an5\\pos(" in line for line in dialogues)
    assert all(line.count("\\N") == 1 for line in dialogues)
