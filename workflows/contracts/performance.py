"""Performance: what PerformanceWorkflow asks of the ledger and the platforms, and returns.

Times cross as ISO-8601 strings in UTC, so a history reads the same on every worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PerformanceCadence:
    """How often a reel's figures are fetched as it ages (all in hours)."""

    hourly_until_h: float = 48.0
    daily_until_h: float = 28 * 24.0
    weekly_until_h: float = 90 * 24.0
    # A fetch counts as on time this long before its interval is up: a Schedule's hourly
    # run lands a few seconds either side of the hour.
    slack_h: float = 5 / 60


@dataclass
class PerformanceInput:
    channel: str
    cadence: PerformanceCadence = field(default_factory=PerformanceCadence)
    queues: dict[str, str] = field(default_factory=dict)  # logical -> configured task queue


@dataclass
class PublishedReel:
    reel_id: str
    platform: str
    external_id: str
    published_at: str  # ISO-8601 UTC
    last_fetched_at: str = ""  # ISO-8601 UTC; "" = never


@dataclass
class PublishedReelsRequest:
    channel: str
    max_age_h: float  # reels older than this are past their last fetch
    now: str  # ISO-8601 UTC: the workflow's clock


@dataclass
class PublishedReels:
    reels: list[PublishedReel] = field(default_factory=list)


@dataclass
class FetchPerformanceRequest:
    channel: str
    platform: str
    reels: list[PublishedReel]
    now: str  # ISO-8601 UTC: the workflow's clock, the fetch's `fetched_at`


@dataclass
class FetchPerformanceResult:
    platform: str
    fetched: list[str] = field(default_factory=list)  # reel ids with a new row
    deleted: list[str] = field(default_factory=list)  # gone from the platform
    skipped_metrics: list[str] = field(default_factory=list)  # retired by the platform


@dataclass
class PerformanceResult:
    channel: str
    due: int = 0
    fetched: int = 0
    deleted: list[str] = field(default_factory=list)
    skipped_metrics: list[str] = field(default_factory=list)
    platforms_failed: list[str] = field(default_factory=list)  # "<platform>: why"
