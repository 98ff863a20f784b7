"""Which reels are reviewed, the answers' refusals, and the channel file's review options."""

from __future__ import annotations

import pytest

from activities.config import ConfigError, load_channel, load_settings
from activities.script import topic_with_notes
from tests.unit.test_config import SHIPPED_FEED, valid_with, write_channel
from workflows.contracts import ReviewConfig, ReviewState, Topic
from workflows.review import needs_review, refusal


def test_sample_reviews_a_stable_fraction_of_reels():
    config = ReviewConfig(mode="sample", sample=0.2)
    picked = [needs_review(config, f"reel/demo/2026-01-01/{n}") for n in range(2000)]
    assert 0.15 < sum(picked) / len(picked) < 0.25
    assert picked == [needs_review(config, f"reel/demo/2026-01-01/{n}") for n in range(2000)]
    assert needs_review(ReviewConfig(mode="required"), "x")
    assert not needs_review(ReviewConfig(mode="none"), "x")


def test_refusals_name_the_reason():
    assert "not under review" in refusal(None, "approve", "")
    waiting = ReviewState(status="waiting", revisions=2, max_revisions=2)
    assert refusal(waiting, "approve", "") == ""
    assert "reason" in refusal(waiting, "reject", "")
    assert "limit" in refusal(waiting, "revise", "more facts")
    answered = ReviewState(status="approved", decision="approve")
    assert "approve already answered" in refusal(answered, "reject", "no")


def test_template_notes_change_title_hook_and_facts():
    topic = Topic("Octopuses", hook="Old hook.", facts=["One.", "Two.", "Three."])
    revised, unknown = topic_with_notes(topic, "title: Eight arms\nhook: New hook.\n"
                                               "drop: 2\nfact: Four.\nmake it punchier")
    assert (revised.title, revised.hook) == ("Eight arms", "New hook.")
    assert revised.facts == ["One.", "Three.", "Four."]
    assert unknown == ["make it punchier"]


def _channel(folder, text: str):
    write_channel(folder, "rv", valid_with(text, "rv"))
    return load_channel(load_settings(folder / "temporal.yaml"), "rv")


@pytest.fixture
def settings(tmp_path):
    (tmp_path / "temporal.yaml").write_text("")
    (tmp_path / "channels" / "feeds").mkdir(parents=True)
    (tmp_path / "channels" / "feeds" / "science.yaml").write_bytes(SHIPPED_FEED.read_bytes())
    return tmp_path


def test_review_options_from_the_channel_file(settings):
    config = _channel(settings, "review: sample\nreview_sample: 0.5\nreview_timeout: 30m\n"
                                "review_on_timeout: approve\n")
    assert config.review == ReviewConfig("sample", 0.5, 1800, "approve", 2)
    assert _channel(settings, "").review.mode == "none"
    with pytest.raises(ConfigError, match="review_timeout.*30m, 24h"):
        _channel(settings, "review: required\nreview_timeout: soon\n")
    with pytest.raises(ConfigError, match="review_on_timeout"):
        _channel(settings, "review: required\nreview_on_timeout: publish\n")
