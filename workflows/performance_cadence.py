"""When a published reel's figures are due: a pure function of its age and its last fetch.

A reel's views move fast in its first hours and barely at all after a few weeks, so the
fetch interval grows with age: hourly while young, then daily, then weekly, then never.
PerformanceWorkflow runs hourly and fetches only the reels this says are due, so the
Schedule stays one simple interval and the cadence lives (and is tested) here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.contracts import PerformanceCadence, PublishedReel

HOUR = timedelta(hours=1)


def interval(age: timedelta, cadence: PerformanceCadence) -> timedelta | None:
    """The fetch interval at this age, None past the last one."""
    hours = age / HOUR
    if hours < 0:
        return None  # scheduled for later: nothing to watch yet
    if hours < cadence.hourly_until_h:
        return HOUR
    if hours < cadence.daily_until_h:
        return 24 * HOUR
    if hours < cadence.weekly_until_h:
        return 7 * 24 * HOUR
    return None


def is_due(published_at: datetime, last_fetched_at: datetime | None, now: datetime,
           cadence: PerformanceCadence) -> bool:
    every = interval(now - published_at, cadence)
    if every is None:
        return False
    if last_fetched_at is None:
        return True
    return now - last_fetched_at >= every - cadence.slack_h * HOUR


def due_reels(reels: list[PublishedReel], now: datetime,
              cadence: PerformanceCadence) -> list[PublishedReel]:
    return [r for r in reels if is_due(
        datetime.fromisoformat(r.published_at),
        datetime.fromisoformat(r.last_fetched_at) if r.last_fetched_at else None, now, cadence)]
