"""A published reel's figures from its platforms: one small fetcher module per platform.

Each platform module (youtube.py, instagram.py, ...) has a class that satisfies
`MetricsFetcher`: given a channel and its reels on that platform, it asks the platform for
their figures and returns one `ReelMetrics` per reel, or raises a typed `ApplicationError`
(activities/errors.py: AuthFailed for a token to renew, QuotaExceeded / RateLimited with the
wait the platform asked for, PlatformUnavailable). A new platform is one more module and one
more entry in the worker's `fetchers` map; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from workflows.contracts import PublishedReel


@dataclass
class ReelMetrics:
    """One reel's figures at one fetch. None: the platform did not give that figure."""

    reel_id: str
    external_id: str
    views: int | None = None
    watch_minutes: float | None = None
    avg_view_seconds: float | None = None
    avg_view_percentage: float | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    reach: int | None = None
    subscribers_gained: int | None = None
    deleted: bool = False  # the platform no longer has the video
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class FetchOutcome:
    metrics: list[ReelMetrics] = field(default_factory=list)
    skipped_metrics: list[str] = field(default_factory=list)  # retired by the platform


class MetricsFetcher(Protocol):
    platform: str

    def fetch(self, channel: str, reels: list[PublishedReel], now: datetime) -> FetchOutcome:
        ...


def as_int(value: Any) -> int | None:
    """A count as the platforms send it (YouTube's are strings), None if absent."""
    if value is None or value == "":
        return None
    return int(float(value))


def as_float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)
