"""The channel's week read back from the performance rows: views per UTC day as each fetch
added them, and the best and worst reels without a reel in both lists. Each test runs on
SQLite and on PostgreSQL (tests/pg.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activities.ledger import Ledger
from activities.performance import ReelMetrics
from activities.performance.store import channel_audience, record
from activities.performance.week import daily_views, reels_of_the_week
from tests.fakes.ledger_rows import published_reel
from workflows.contracts import PublishedReel

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


def _reels(ledger: Ledger, count: int, at: datetime) -> list[PublishedReel]:
    return [published_reel(ledger, "demo", n, at, total_usd=0.1) for n in range(1, count + 1)]


def test_each_day_gets_the_views_its_fetches_added(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    [reel] = _reels(ledger, 1, NOW - timedelta(days=4))
    for at, views in ((NOW - timedelta(days=3, hours=14), 100),  # 2026-11-17 01:00
                      (NOW - timedelta(days=3, hours=2), 250),  # 2026-11-17 13:00
                      (NOW - timedelta(days=1), 400),  # 2026-11-19 15:00
                      (NOW - timedelta(hours=1), 1000)):  # today
        record(ledger, "demo", "youtube", [reel], [ReelMetrics(reel.reel_id, "v1", views=views)],
               at)
    days = daily_views(ledger, "demo", NOW, days=5)
    assert [(d.day, d.views) for d in days] == [
        ("2026-11-16", 0), ("2026-11-17", 250), ("2026-11-18", 0), ("2026-11-19", 150),
        ("2026-11-20", 600)]
    assert sum(d.views for d in days) == channel_audience(ledger, "demo", NOW).views


def test_the_worst_are_the_fewest_of_the_reels_not_among_the_best(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    reels = _reels(ledger, 7, NOW - timedelta(days=20))
    record(ledger, "demo", "youtube", reels,
           [ReelMetrics(r.reel_id, r.external_id, views=5) for r in reels],
           NOW - timedelta(days=10))
    record(ledger, "demo", "youtube", reels[:6],  # reel 7 was last fetched 10 days ago
           [ReelMetrics(r.reel_id, r.external_id, views=5 + 10 * n)
            for n, r in enumerate(reels[:6], start=1)], NOW - timedelta(hours=3))
    week = reels_of_the_week(ledger, "demo", NOW)
    assert [(r.rank, r.title, r.views_7d) for r in week] == [
        ("best", "Reel 6", 60), ("best", "Reel 5", 50), ("best", "Reel 4", 40),
        ("best", "Reel 3", 30), ("best", "Reel 2", 20), ("worst", "Reel 1", 10)]
    assert reels_of_the_week(ledger, "nobody", NOW) == []
