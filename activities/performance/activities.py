"""The performance activities, on the `publish` queue (where the platform tokens are).

list_published_reels reads the ledger; fetch_performance asks one platform for a batch of
reels and writes one ledger row per reel at the workflow's `now`, so the curve's times are
the workflow's, replayable and right on a server that skips time.
"""

from __future__ import annotations

import logging
from datetime import datetime

from temporalio import activity

from activities.errors import bad_input
from activities.ledger import Ledger
from activities.performance import MetricsFetcher
from activities.performance import store as perf_store
from workflows.contracts import (
    FetchPerformanceRequest,
    FetchPerformanceResult,
    PublishedReels,
    PublishedReelsRequest,
)

log = logging.getLogger("monolathe.performance")


class PerformanceActivities:
    def __init__(self, ledger: Ledger, fetchers: dict[str, MetricsFetcher]) -> None:
        self.ledger = ledger
        self.fetchers = fetchers

    @activity.defn(name="list_published_reels")
    def list_published_reels(self, req: PublishedReelsRequest) -> PublishedReels:
        now = datetime.fromisoformat(req.now)
        return PublishedReels(perf_store.published_reels(self.ledger, req.channel, now,
                                                         req.max_age_h))

    @activity.defn(name="fetch_performance")
    def fetch_performance(self, req: FetchPerformanceRequest) -> FetchPerformanceResult:
        fetcher = self.fetchers.get(req.platform)
        if fetcher is None:
            raise bad_input(f"channel {req.channel}: platform {req.platform!r} has no"
                            f" performance fetcher (known: {', '.join(sorted(self.fetchers))})")
        now = datetime.fromisoformat(req.now)
        outcome = fetcher.fetch(req.channel, req.reels, now)
        written = perf_store.record(self.ledger, req.channel, req.platform, req.reels,
                                    outcome.metrics, now)
        deleted = [m.reel_id for m in outcome.metrics if m.deleted]
        if deleted:
            log.warning("%s: %s no longer on %s", req.channel, ", ".join(deleted), req.platform)
        return FetchPerformanceResult(req.platform, written, deleted, outcome.skipped_metrics)
