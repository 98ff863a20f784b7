"""Audience gauges: what the platforms say about each channel's reels, from the ledger's
performance rows (PerformanceWorkflow writes them). Read once per scrape, cached briefly.

`monolathe_audience_views` is each channel's total of its reels' latest view counts; the
views of any window are its difference over that window, so the views-drop alert compares
`views - views offset 7d` with the 7 days before. `views_24h` is what the last 24 hours
added, from the ledger's own history, so the Audience board's views per day hold from the
first scrape (a Prometheus younger than a day has no `offset 1d`).

`monolathe_audience_reel_views_7d` is the one audience series per reel: the week's five best
and five worst publications per channel (activities/performance/week.py), labelled by reel
id, title and platform, so it stays ten series per channel however many reels there are.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from activities.config import Settings
from activities.ledger import Ledger
from activities.performance.store import (
    ChannelAudience,
    channel_audience,
    fetches_by_publication,
)
from activities.performance.week import ReelWeek, reels_of_the_week
from workers.telemetry.figures import channel_names

TITLE_CHARS = 80  # a label, not the reel's whole title


class AudienceCache:
    def __init__(self, settings: Settings, ledger: Ledger, ttl: float = 30.0) -> None:
        self.settings, self.ledger, self.ttl = settings, ledger, ttl
        self._lock = threading.Lock()
        self._at = -1e9
        self._figures: list[ChannelAudience] = []
        self._week: list[tuple[str, ReelWeek]] = []

    def _refresh(self) -> None:
        if time.monotonic() - self._at > self.ttl:
            now = datetime.now(UTC)
            names = channel_names(self.settings, self.ledger)
            self._figures, self._week = [], []
            for name in names:
                fetches = fetches_by_publication(self.ledger, name)  # once for both
                self._figures.append(channel_audience(self.ledger, name, now, fetches))
                self._week.extend((name, reel) for reel in reels_of_the_week(
                    self.ledger, name, now, fetches=fetches))
            self._at = time.monotonic()

    def get(self) -> list[ChannelAudience]:
        with self._lock:
            self._refresh()
            return self._figures

    def week(self) -> list[tuple[str, ReelWeek]]:
        """(channel, reel) of each channel's best and worst reels of the week."""
        with self._lock:
            self._refresh()
            return self._week


def register_audience_gauges(meter: Meter, cache: AudienceCache) -> None:
    def per_channel(value: Callable[[ChannelAudience], float | None]
                    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            return [Observation(v, {"channel": f.channel}) for f in cache.get()
                    if (v := value(f)) is not None]
        return callback

    for name, description, value in [
        ("monolathe.audience.views", "Views of the channel's reels, the latest count of each",
         lambda f: f.views),
        ("monolathe.audience.views_7d", "Views the channel's reels gained in the last 7 days",
         lambda f: f.views_7d),
        ("monolathe.audience.views_24h",
         "Views the channel's reels gained in the last 24 hours", lambda f: f.views_24h),
        ("monolathe.audience.reels", "Published reels with figures from their platform",
         lambda f: f.reels),
        ("monolathe.audience.avg_view_percentage",
         "Mean average-view-percentage of the channel's reels (YouTube)",
         lambda f: f.avg_view_percentage),
        ("monolathe.audience.usd_per_1k_views",
         "What a thousand views cost: the reels' cost over their views",
         lambda f: f.usd_per_1k_views),
    ]:
        meter.create_observable_gauge(name, [per_channel(value)], unit="",
                                      description=description)

    def week(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(r.views_7d, {"channel": channel, "rank": r.rank,
                                         "reel": r.reel_id, "title": r.title[:TITLE_CHARS],
                                         "platform": r.platform})
                for channel, r in cache.week()]

    meter.create_observable_gauge(
        "monolathe.audience.reel_views_7d", [week], unit="",
        description="Views gained in the last 7 days by each channel's 5 best and 5 worst"
                    " reels of the week (rank best|worst)")
