"""Summaries fit the server's limits whatever a feed's titles look like."""

from __future__ import annotations

from workflows.visibility import SUMMARY_BYTES, dev_server_flags, reel_details, reel_summary


def test_a_long_title_is_cut_to_the_summary_limit_on_a_character_boundary():
    summary = reel_summary("demo", "Pourquoi les pieuvres ont trois cœurs " * 20)
    assert len(summary.encode()) <= SUMMARY_BYTES
    assert summary.endswith("…")
    assert reel_summary("demo", "Octopuses\nhave three hearts") == "Octopuses have three hearts (demo)"


def test_details_name_the_channel_source_and_link():
    details = reel_details("demo", "Octopuses", "https://example.org/feed", "https://example.org/a")
    assert "channel `demo`" in details and details.endswith("https://example.org/a")


def test_the_dev_server_registers_every_attribute_as_keyword():
    assert dev_server_flags() == ["--search-attribute", "Channel=Keyword",
                                  "--search-attribute", "Topic=Keyword",
                                  "--search-attribute", "Outcome=Keyword"]
