"""What the Temporal Web UI and `temporal workflow list --query` show of our workflows.

Search attributes (Keyword): `Channel` on channels and reels, `Topic` on reels, `Outcome`
(published | failed) upserted on a reel when it ends; summaries name the topic and channel.
A server must know the attributes before a workflow sets them: the embedded dev server is
started with `--search-attribute` flags (`dev_server_flags()`), any other server gets them
once with `temporal operator search-attribute create` (see docs/operator-view.md).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

CHANNEL = SearchAttributeKey.for_keyword("Channel")
TOPIC = SearchAttributeKey.for_keyword("Topic")
OUTCOME = SearchAttributeKey.for_keyword("Outcome")
KEYS = (CHANNEL, TOPIC, OUTCOME)
# A Keyword holds at most 2 KB on most stores; a topic is a headline, cut just in case.
MAX_KEYWORD = 250
# Reels started with their attributes and summary, and upserting their outcome.
PATCH = "reel-visibility-v1"


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` arguments that register every attribute."""
    return [arg for key in KEYS for arg in ("--search-attribute", f"{key.name}=Keyword")]


def channel_attributes(channel: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(CHANNEL, channel)])


def reel_attributes(channel: str, topic: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(CHANNEL, channel),
                                  SearchAttributePair(TOPIC, topic[:MAX_KEYWORD])])


def reel_summary(channel: str, topic: str) -> str:
    return f"{topic} ({channel})"
