"""What the Temporal Web UI and `temporal workflow list --query` show of our workflows.

Search attributes (Keyword): `Channel` on channels and reels, `Topic` on reels, `Outcome`
(published | failed) upserted on a reel when it ends; summaries name the topic and channel.
A server must know the attributes before a workflow sets them: the embedded dev server is
started with `--search-attribute` flags (`dev_server_flags()`), any other server gets them
once with `temporal operator search-attribute create` (see docs/operator-view.md).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

CHANNEL = SearchAttributeKey.for_keyword("Channel")
TOPIC = SearchAttributeKey.for_keyword("Topic")
OUTCOME = SearchAttributeKey.for_keyword("Outcome")
KEYS = (CHANNEL, TOPIC, OUTCOME)
# A Keyword holds at most 2 KB on most stores; a topic is a headline, cut just in case.
MAX_KEYWORD = 250
# The server's limits on user metadata: a summary is one line of at most 200 bytes, details
# at most 20 KB (Markdown).
SUMMARY_BYTES = 200
DETAILS_BYTES = 20_000
# Channels and reels upsert their attributes, reels their outcome; children get a summary.
PATCH = "visibility-v1"


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` arguments that register every attribute."""
    return [arg for key in KEYS for arg in ("--search-attribute", f"{key.name}=Keyword")]


def channel_updates(channel: str) -> list[SearchAttributeUpdate]:
    return [CHANNEL.value_set(channel)]


def reel_updates(channel: str, topic: str) -> list[SearchAttributeUpdate]:
    return [CHANNEL.value_set(channel), TOPIC.value_set(topic[:MAX_KEYWORD])]


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-8 bytes, whole characters only, with an ellipsis if cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def channel_summary(channel: str, niche: str = "") -> str:
    return fit(f"channel {channel}: {niche}" if niche else f"channel {channel}", SUMMARY_BYTES)


def reel_summary(channel: str, topic: str) -> str:
    """The one line the Web UI shows beside a reel's id."""
    return fit(f"{' '.join(topic.split())} ({channel})", SUMMARY_BYTES)


def reel_details(channel: str, topic: str, source: str, url: str) -> str:
    """The Web UI's details pane (Markdown): where the topic came from."""
    lines = [f"**{topic}**", "", f"channel `{channel}`, topic from {source or 'the feed'}"]
    return fit("\n".join([*lines, url] if url else lines), DETAILS_BYTES)
