"""Topics: what pick_topic takes and gives, and the trend scout's ranked queue
(TrendScoutWorkflow keeps one per channel in the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.contracts.channel import TrendSource
from workflows.contracts.costs import StageCost


@dataclass
class TopicRequest:
    channel: str
    niche: str
    trends_feed: str
    rss_urls: list[str]
    recent_topics: list[str]
    max_similarity: float = 1.0  # pick_novel_topic: skip candidates closer than this
    slot: str = ""  # take_topic: the slot it fills, so a retried take returns the same topic


@dataclass
class Topic:
    title: str
    summary: str = ""
    hook: str = ""
    facts: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    source: str = ""  # feed path or URL
    url: str = ""
    links: list[str] = field(default_factory=list)  # further sources (news items, threads)


@dataclass
class ScoutInput:
    channel: str
    # How long relevance by meaning waits for a gpu worker before keyword relevance stands.
    relevance_wait_s: int = 120


@dataclass
class ScoutRequest:
    channel: str
    niche: str
    sources: list[TrendSource]
    recent_topics: list[str]  # what the channel published lately: novelty is scored against it
    relevance: str = "keywords"  # meaning: the result lists the waiting topics for MiniLM


@dataclass
class SourceReport:
    source: str  # e.g. "reddit:r/science", "google_trends:US"
    candidates: int
    error: str = ""  # why this source gave nothing this run; the others still count


@dataclass
class ScoutResult:
    channel: str
    sources: list[SourceReport]
    queued: int  # topics new to the queue this run
    queue_depth: int  # unused topics waiting after this run
    # The waiting topics (title, and title with facts for embedding), for meaning relevance.
    waiting: list[str] = field(default_factory=list)
    waiting_texts: list[str] = field(default_factory=list)


@dataclass
class RelevanceRequest:
    """rank_relevance (gpu): MiniLM cosine of each text with the channel's niche."""

    niche: str
    texts: list[str]


@dataclass
class RelevanceScores:
    scores: list[float]  # 0..1, one per text, in order
    cost: StageCost | None = None


@dataclass
class RelevanceUpdate:
    """rescore_topics (reels): the queue's relevance by meaning replaces the keyword one."""

    channel: str
    titles: list[str]
    relevance: list[float]
