"""A channel's week from its performance rows: the reels that earned the most and the fewest
views in the last 7 days, and the views it gained on each of its last days.

The Audience board's tables and the review page's chart read these; like the channel's
totals (store.channel_audience) they count what each fetch added, so a reel's old views do
not count again in a later week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from activities.ledger import Ledger
from activities.ledger_tables import ReelRow
from activities.performance.store import Fetches, fetches_by_publication, views_by

RANKED = 5  # reels per end of the ranking: the board's tables stay ten series per channel


@dataclass
class ReelWeek:
    reel_id: str
    platform: str
    title: str
    views_7d: int  # gained in the 7 days before `now`
    rank: str  # best | worst


def reels_of_the_week(ledger: Ledger, channel: str, now: datetime, ranked: int = RANKED,
                      fetches: Fetches | None = None) -> list[ReelWeek]:
    """The `ranked` publications that gained the most views in the last 7 days ("best",
    most first) and the `ranked` that gained the fewest of the others ("worst", fewest
    first). Only publications fetched in those 7 days count: a reel the fetch cadence has
    retired (90 days old) or that was deleted is not a reel of the week."""
    week_ago = now - timedelta(days=7)
    gains = []
    if fetches is None:
        fetches = fetches_by_publication(ledger, channel)
    for (reel_id, platform), rows in fetches.items():
        counted = [f for f in rows if f.views is not None and f.fetched_at <= now]
        if any(f.status == "deleted" for f in rows) or not counted \
                or counted[-1].fetched_at <= week_ago:
            continue
        gains.append((views_by(counted, now) - views_by(counted, week_ago), reel_id, platform))
    if not gains:
        return []
    with ledger.session() as s:
        titles = dict(s.exec(select(ReelRow.id, ReelRow.title).where(
            ReelRow.id.in_({g[1] for g in gains}))).all())  # type: ignore[attr-defined]
    gains.sort(key=lambda g: (-g[0], g[1], g[2]))
    best, rest = gains[:ranked], gains[ranked:]
    worst = sorted(rest, key=lambda g: (g[0], g[1], g[2]))[:ranked]
    return [ReelWeek(reel_id, platform, titles.get(reel_id) or reel_id, views, rank)
            for rank, part in (("best", best), ("worst", worst))
            for views, reel_id, platform in part]


@dataclass
class DayViews:
    day: str  # YYYY-MM-DD, UTC
    views: int  # gained that day (today: until now)


def daily_views(ledger: Ledger, channel: str, now: datetime, days: int = 14,
                fetches: Fetches | None = None) -> list[DayViews]:
    """The views the channel's reels gained on each of the last `days` UTC days, oldest first.

    A day's views are the difference of the channel's total between the day's two midnights,
    each reel counted at its last fetch before each: views that arrived between two fetches
    a day apart land on the day of the later fetch."""
    by_key = fetches if fetches is not None else fetches_by_publication(ledger, channel)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    edges = [today - timedelta(days=n) for n in range(days - 1, -1, -1)] + [now]
    totals = [0] * len(edges)
    for rows in by_key.values():
        counted = [(f.fetched_at, f.views) for f in rows if f.views is not None]
        i, last = 0, 0
        for n, edge in enumerate(edges):  # one walk along the fetches, edges in order
            while i < len(counted) and counted[i][0] <= edge:
                last = counted[i][1] or 0
                i += 1
            totals[n] += last
    return [DayViews(edges[i].strftime("%Y-%m-%d"), totals[i + 1] - totals[i])
            for i in range(days)]
