"""The template script writer: hook, one scene per fact, outro; keywords and hashtags."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.script import _STOP, ScriptActivities, keywords_of, template_script
from activities.topics import read_feed_file
from workflows.contracts import ChannelConfig, ScriptRequest, Topic

REPO = Path(__file__).resolve().parents[2]
FEED = read_feed_file(REPO / "channels" / "feeds" / "science.yaml")
OCTOPUS = FEED[0]


def words(n: int, word: str = "river") -> str:
    return " ".join([word] * n) + "."


def test_script_is_hook_then_one_scene_per_fact_then_outro() -> None:
    script = template_script(OCTOPUS, "science facts", [])

    texts = [s.text for s in script.scenes]
    assert texts == [OCTOPUS.hook, *OCTOPUS.facts, "Follow for more science facts like this."]
    assert script.title == "Octopuses have three hearts"
    assert script.backend == "template"


def test_hook_and_outro_use_the_topic_keywords() -> None:
    script = template_script(OCTOPUS, "science facts", [])

    assert script.scenes[0].keywords == ["octopus", "ocean"]
    assert script.scenes[-1].keywords == ["octopus"]


def test_fact_scene_keywords_come_from_its_own_words_longest_first() -> None:
    script = template_script(OCTOPUS, "science facts", [])

    # "Two small hearts push blood through the gills, and one big heart feeds the rest..."
    assert script.scenes[1].keywords == ["hearts", "small", "blood"]


def test_keywords_skip_stop_words_and_short_words() -> None:
    assert keywords_of("The enormous creature swims through the water with eight arms") == [
        "enormous",
        "creature",
        "swims",
    ]
    assert keywords_of("It is a cat on the mat, and the dog") == []
    assert keywords_of("Whales whales WHALES sing", limit=5) == ["whales", "sing"]


def test_no_scene_of_the_shipped_feed_gets_a_stop_word_as_keyword() -> None:
    for topic in FEED:
        script = template_script(topic, "science facts", [])
        for scene in script.scenes[1:-1]:
            assert 1 <= len(scene.keywords) <= 3, (topic.title, scene)
            for keyword in scene.keywords:
                assert keyword not in _STOP and len(keyword) > 3, (topic.title, keyword)
                assert keyword in scene.text.lower(), (topic.title, keyword)


def test_topic_without_hook_or_keywords_gets_a_default_hook() -> None:
    topic = Topic(
        title="Glaciers Move",
        facts=[
            "Glaciers slide downhill on a thin film of meltwater beneath their enormous weight.",
            "Some glaciers in Greenland travel more than forty metres every single day.",
        ],
    )

    script = template_script(topic, "nature", [])

    hook = script.scenes[0]
    assert hook.text == "Here is something about glaciers move you did not know."
    assert hook.keywords == ["something", "glaciers", "here"]
    outro = script.scenes[-1]
    assert (outro.text, outro.keywords) == ("Follow for more nature like this.", ["glaciers", "move"])


def test_hashtags_are_deduplicated_and_prefixed() -> None:
    topic = Topic(
        title=OCTOPUS.title,
        hook=OCTOPUS.hook,
        facts=OCTOPUS.facts,
        keywords=["Science", "octopus", ""],
    )

    script = template_script(topic, "science facts", ["science", "#Facts", "short-form", "facts"])

    assert script.hashtags == ["#science", "#facts", "#shortform", "#octopus"]


def test_too_few_words_is_bad_input() -> None:
    topic = Topic(title="Tiny", hook="Short hook.", facts=["Cats purr.", "Dogs bark."])

    with pytest.raises(ApplicationError) as caught:
        template_script(topic, "pets", [])

    assert caught.value.type == "BadInput"
    assert caught.value.non_retryable is True
    assert "topic 'Tiny': facts:" in caught.value.message
    assert "make a reel under 15 s" in caught.value.message


def test_fewer_than_two_facts_is_bad_input() -> None:
    topic = Topic(title="Lonely", facts=[words(30), "   "])

    with pytest.raises(ApplicationError) as caught:
        template_script(topic, "pets", [])

    assert caught.value.type == "BadInput"
    assert "need at least 2" in caught.value.message


def test_at_most_four_facts_become_scenes() -> None:
    facts = [f"Fact number {i} is about the long slow river valley." for i in range(6)]

    script = template_script(Topic(title="Rivers", facts=facts), "geography", [])

    assert [s.text for s in script.scenes[1:-1]] == facts[:4]
    assert len(script.scenes) == 6


def test_long_scripts_drop_facts_from_the_end_to_stay_under_150_words() -> None:
    facts = [words(40, w) for w in ("alpha", "bravo", "charlie", "delta")]
    topic = Topic(title="Long", hook=words(10, "hook"), facts=facts)

    script = template_script(topic, "tests", [])

    texts = [s.text for s in script.scenes]
    assert texts == [words(10, "hook"), *facts[:3], "Follow for more tests like this."]
    assert sum(len(t.split()) for t in texts) <= 150


def test_description_is_hook_first_fact_and_source() -> None:
    topic = Topic(
        title=OCTOPUS.title, hook=OCTOPUS.hook, facts=OCTOPUS.facts, url="https://example.org/octo"
    )

    script = template_script(topic, "science facts", [])

    assert script.description == (
        f"{OCTOPUS.hook} {OCTOPUS.facts[0]}\n\nSource: https://example.org/octo"
    )
    assert template_script(OCTOPUS, "x", []).description == f"{OCTOPUS.hook} {OCTOPUS.facts[0]}"


def test_title_is_cut_to_100_characters() -> None:
    topic = Topic(title="T" * 150, hook=OCTOPUS.hook, facts=OCTOPUS.facts)

    assert template_script(topic, "x", []).title == "T" * 100


def test_write_script_activity_meters_its_cost() -> None:
    channel = ChannelConfig(name="demo", niche="science facts", hashtags=["science"])
    script = ScriptActivities(cpu_second_usd=0.5).write_script(
        ScriptRequest(reel_id="reel/demo/2026-11-23/1", channel=channel, topic=OCTOPUS)
    )

    assert script.cost is not None
    assert (script.cost.stage, script.cost.backend) == ("script", "template")
    assert script.cost.usd == pytest.approx(script.cost.cpu_seconds * 0.5, abs=1e-3)
    assert script.hashtags == ["#science", "#octopus", "#ocean"]
    assert script.scenes[-1].text == "Follow for more science facts like this."


def test_every_scene_gets_a_one_sentence_shot_for_generators() -> None:
    script = template_script(OCTOPUS, "science facts", [])

    prompts = [s.visual_prompt for s in script.scenes]
    assert all(p.endswith(".") and p.count(". ") == 0 for p in prompts)
    assert all(OCTOPUS.title in p for p in prompts)
    for scene in script.scenes:
        assert ", ".join(scene.keywords) in scene.visual_prompt
    assert len({p.split(" ")[0] for p in prompts}) > 1  # the camera moves take turns
