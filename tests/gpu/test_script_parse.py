"""The tolerant parser: what small models get wrong, repaired or refused with a reason."""

from __future__ import annotations

import json

import pytest

from activities.gpu.script_parse import ScriptUnusable, parse_script
from tests.gpu.conftest import ANSWER, TOPIC


def _parse(answer: str):
    return parse_script(answer, TOPIC, ["science"])


def test_clean_json():
    script = _parse(json.dumps(ANSWER))
    assert len(script.scenes) == 5 and script.title == ANSWER["title"]


def test_prose_fences_smart_quotes_and_trailing_commas():
    body = json.dumps(ANSWER).replace('"title"', "“title”").replace("}]", "},]")
    script = _parse(f"Sure! Here is your script:\n```json\n{body}\n```\nEnjoy!")
    assert script.title == ANSWER["title"] and len(script.scenes) == 5


def test_answer_cut_off_at_the_token_limit_keeps_the_complete_scenes():
    text = json.dumps(ANSWER)
    cut = text[: text.index("Their blood") + 20]  # mid-way through the fourth scene
    script = _parse(cut)
    assert [s.text for s in script.scenes][:3] == [ANSWER["hook"], ANSWER["scenes"][0]["text"],
                                                   ANSWER["scenes"][1]["text"]]


def test_python_literal_with_single_quotes():
    script = _parse(repr(ANSWER))
    assert script.scenes[-1].text == ANSWER["scenes"][-1]["text"]


def test_labelled_lines_when_there_is_no_json():
    lines = [f"Title: {ANSWER['title']}", f"Hook: {ANSWER['hook']}"]
    lines += [f"Scene {i}: {s['text']}" for i, s in enumerate(ANSWER["scenes"], 1)]
    lines += ["Hashtags: #octopus, #sea"]
    script = _parse("\n".join(lines))
    assert len(script.scenes) == 5 and "#sea" in script.hashtags
    assert script.scenes[1].keywords  # derived from the scene's words


def test_scenes_as_plain_strings_and_missing_keywords():
    data = {"title": "T", "scenes": [s["text"] for s in ANSWER["scenes"]] + [ANSWER["hook"]]}
    script = _parse(json.dumps(data))
    assert all(s.keywords for s in script.scenes)


@pytest.mark.parametrize(("answer", "reason"), [
    ("I cannot help with that.", "no JSON object"),
    ('{"title": "x", "scenes": "none"}', "scenes: missing or not a list"),
    ('{"title": "x", "scenes": [{"text": "Too short."}]}', "usable"),
    ('{"scenes": ["One two three four five.", "Six seven eight nine ten."]}', "under 15 s"),
])
def test_unusable_answers_say_why(answer: str, reason: str):
    with pytest.raises(ScriptUnusable, match=reason):
        _parse(answer)


def test_overlong_script_drops_middle_scenes_to_fit_a_minute():
    long = {"scenes": [{"text": " ".join(["word"] * 40)} for _ in range(6)]}
    script = _parse(json.dumps(long))
    assert sum(len(s.text.split()) for s in script.scenes) <= 150
    assert len(script.scenes) == 3


def test_a_shot_the_model_wrote_is_kept_and_missing_ones_are_filled():
    answer = json.loads(json.dumps(ANSWER))
    answer["scenes"][0]["visual_prompt"] = "An octopus   pulsing in dark water."
    script = _parse(json.dumps(answer))
    first = next(s for s in script.scenes if s.text == answer["scenes"][0]["text"])
    assert first.visual_prompt == "An octopus pulsing in dark water."
    assert all(s.visual_prompt for s in script.scenes)
    assert all(s.visual_prompt.endswith("no text on screen.")
               for s in script.scenes if s is not first)
