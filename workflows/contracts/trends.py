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
    # The predicted-performance term's weight: above 0 the result lists the waiting topics too.
    performance_weight: float = 0.0


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
    performance: str = ""  # how the predicted-performance term was set this run, or why not


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
    performance_weight: float = 0.0  # the score keeps the predicted-performance term's share


@dataclass
class PastReelsRequest:
    """list_past_reels (reels): the channel's reels with a 7-day view count, for learning."""

    channel: str
    now: str  # ISO-8601 UTC: the workflow's clock; reels younger than 7 days are left out


@dataclass
class PastReels:
    topics: list[str] = field(default_factory=list)
    views_7d: list[float] = field(default_factory=list)  # one per topic, in order


@dataclass
class PerformanceRequest:
    """predict_performance (gpu): a k-nearest-neighbours estimate of each waiting title's
    views from the past reels closest in meaning (MiniLM)."""

    titles: list[str]
    past_topics: list[str]
    past_views: list[float]
    k: int = 5


@dataclass
class PredictedPerformance:
    scores: list[float]  # 0..1, one per title, in order
    cost: StageCost | None = None


@dataclass
class PerformanceUpdate:
    """rescore_performance (reels): the predicted-performance term of waiting topics."""

    channel: str
    titles: list[str]
    performance: list[float]
    weight: float
