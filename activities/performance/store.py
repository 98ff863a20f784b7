"""The ledger's side of the performance figures: which reels are live, one row per fetch,
and the curves and figures read back from those rows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlmodel import func, select

from activities.ledger import Ledger
from activities.ledger_tables import PublicationRow, ReelPerformanceRow, ReelRow
from activities.performance import ReelMetrics
from workflows.contracts import PublishedReel


def utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; the ledger writes only UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def published_reels(ledger: Ledger, channel: str, now: datetime,
                    max_age_h: float) -> list[PublishedReel]:
    """The channel's live publications younger than max_age_h, with their last fetch."""
    since = now - timedelta(hours=max_age_h)
    with ledger.session() as s:
        last = (select(ReelPerformanceRow.reel_id, ReelPerformanceRow.platform,
                       func.max(ReelPerformanceRow.fetched_at).label("last"))
                .where(ReelPerformanceRow.channel == channel)
                .group_by(ReelPerformanceRow.reel_id, ReelPerformanceRow.platform).subquery())
        rows = s.exec(
            select(PublicationRow, last.c.last)
            .join(ReelRow, ReelRow.id == PublicationRow.reel_id)  # type: ignore[arg-type]
            .outerjoin(last, (last.c.reel_id == PublicationRow.reel_id)
                       & (last.c.platform == PublicationRow.platform))
            .where(ReelRow.channel == channel, PublicationRow.status == "published",
                   PublicationRow.published_at.is_not(None))  # type: ignore[union-attr]
            .order_by(PublicationRow.published_at, PublicationRow.reel_id)).all()
    gone = _deleted(ledger, channel)
    reels = []
    for pub, last_at in rows:
        published = utc(pub.published_at)
        if published < since or not pub.external_id:
            continue
        if (pub.reel_id, pub.platform) in gone:
            continue  # gone from the platform: nothing more to fetch
        reels.append(PublishedReel(pub.reel_id, pub.platform, pub.external_id,
                                   published.isoformat(),
                                   utc(last_at).isoformat() if last_at else ""))
    return reels


def _deleted(ledger: Ledger, channel: str) -> set[tuple[str, str]]:
    """(reel id, platform) of every publication a fetch found deleted, in one query."""
    t = ReelPerformanceRow
    with ledger.session() as s:
        return set(s.exec(select(t.reel_id, t.platform).distinct()
                          .where(t.channel == channel, t.status == "deleted")).all())


def record(ledger: Ledger, channel: str, platform: str, reels: list[PublishedReel],
           metrics: list[ReelMetrics], now: datetime) -> list[str]:
    """One row per reel fetched; the reel ids written."""
    published = {r.reel_id: datetime.fromisoformat(r.published_at) for r in reels}
    with ledger.session() as s:
        for m in metrics:
            age = (now - published[m.reel_id]) / timedelta(hours=1)
            s.add(performance_row(m, channel, platform, now, round(age, 4)))
    return [m.reel_id for m in metrics]


def performance_row(m: ReelMetrics, channel: str, platform: str, fetched_at: datetime,
                    age_hours: float) -> ReelPerformanceRow:
    """ReelMetrics' fields are the row's columns by the same names, but for `deleted` and
    `raw`, stored as `status` and `raw_json`."""
    figures = asdict(m)
    deleted, raw = figures.pop("deleted"), figures.pop("raw")
    return ReelPerformanceRow(
        **figures, channel=channel, platform=platform, fetched_at=fetched_at,
        age_hours=age_hours, status="deleted" if deleted else "ok",
        raw_json=json.dumps(raw, sort_keys=True, default=str))


def curve(ledger: Ledger, reel_id: str, platform: str = "") -> list[ReelPerformanceRow]:
    """Every fetch of a reel, oldest first."""
    with ledger.session() as s:
        query = select(ReelPerformanceRow).where(ReelPerformanceRow.reel_id == reel_id)
        if platform:
            query = query.where(ReelPerformanceRow.platform == platform)
        return list(s.exec(query.order_by(ReelPerformanceRow.fetched_at)))


@dataclass
class ReelFigures:
    reel_id: str
    title: str
    topic: str
    platform: str
    published_at: str
    views: int | None  # the latest fetch
    views_1h: float | None
    views_24h: float | None
    views_7d: float | None
    avg_view_percentage: float | None
    cost_usd: float
    usd_per_1k_views: float | None  # the reel's whole cost over its latest views
    deleted: bool = False


def views_at(points: list[tuple[float, int]], age_h: float) -> float | None:
    """Views at an age, between the two fetches around it (straight line); None before the
    reel was that old or with no fetch on each side."""
    before = [(a, v) for a, v in points if a <= age_h]
    after = [(a, v) for a, v in points if a >= age_h]
    if not before or not after:
        return None
    (a0, v0), (a1, v1) = before[-1], after[0]
    if a1 == a0:
        return float(v0)
    return v0 + (v1 - v0) * (age_h - a0) / (a1 - a0)


def reel_figures(ledger: Ledger, channel: str, since: datetime) -> list[ReelFigures]:
    """One line per reel and platform published since `since`, newest first."""
    with ledger.session() as s:
        pubs = s.exec(
            select(PublicationRow, ReelRow)
            .join(ReelRow, ReelRow.id == PublicationRow.reel_id)  # type: ignore[arg-type]
            .where(ReelRow.channel == channel, PublicationRow.status == "published")
            .order_by(PublicationRow.published_at.desc())).all()  # type: ignore[union-attr]
    every = fetches_by_publication(ledger, channel)
    lines = []
    for pub, reel in pubs:
        if pub.published_at is None or utc(pub.published_at) < since:
            continue
        rows = every.get((pub.reel_id, pub.platform), [])
        points = view_points(rows)
        latest = points[-1][1] if points else None
        retention = [r.avg_view_percentage for r in rows if r.avg_view_percentage is not None]
        lines.append(ReelFigures(
            pub.reel_id, reel.title, reel.topic, pub.platform, utc(pub.published_at).isoformat(),
            latest, views_at(points, 1), views_at(points, 24), views_at(points, 24 * 7),
            retention[-1] if retention else None, reel.total_usd,
            per_thousand(reel.total_usd, latest),
            deleted=any(r.status == "deleted" for r in rows)))
    return lines


def view_points(rows: list[Fetch]) -> list[tuple[float, int]]:
    """(age in hours, views) of the fetches that counted views, for views_at."""
    return [(r.age_hours, r.views) for r in rows if r.views is not None]


def per_thousand(usd: float, views: float | None) -> float | None:
    return usd / views * 1000 if views else None


@dataclass
class ChannelAudience:
    channel: str
    reels: int  # publications with at least one fetch
    views: int  # the latest count of each, summed
    views_7d: int  # gained in the last 7 days
    avg_view_percentage: float | None  # mean of the reels' latest, where the platform has it
    cost_usd: float  # of the reels counted
    usd_per_1k_views: float | None
    views_24h: int = 0  # gained in the last 24 hours


class Fetch(NamedTuple):
    """The columns of a performance row the channel's figures read."""

    fetched_at: datetime  # UTC
    views: int | None
    avg_view_percentage: float | None
    status: str
    age_hours: float  # the reel's age at the fetch


Fetches = dict[tuple[str, str], list[Fetch]]  # (reel id, platform) -> fetches, oldest first


def fetches_by_publication(ledger: Ledger, channel: str) -> Fetches:
    """Columns, not rows, in one query: a channel's history is tens of thousands of rows,
    read on every scrape and every report (a query per reel was a round trip each)."""
    t = ReelPerformanceRow
    with ledger.session() as s:
        rows = s.exec(select(t.reel_id, t.platform, t.fetched_at, t.views,
                             t.avg_view_percentage, t.status, t.age_hours)
                      .where(t.channel == channel).order_by(t.fetched_at, t.id)).all()
    by_key: Fetches = {}
    for reel_id, platform, fetched_at, views, retention, status, age in rows:
        by_key.setdefault((reel_id, platform), []).append(
            Fetch(utc(fetched_at), views, retention, status, age))
    return by_key


def views_by(fetches: list[Fetch], moment: datetime) -> int:
    """The publication's count at its last fetch at or before `moment` (0 before any)."""
    counted = [f.views for f in fetches if f.views is not None and f.fetched_at <= moment]
    return int(counted[-1]) if counted else 0


def channel_audience(ledger: Ledger, channel: str, now: datetime,
                     fetches: Fetches | None = None) -> ChannelAudience:
    """The channel's totals from each publication's fetches (`fetches`: already read)."""
    by_key = fetches if fetches is not None else fetches_by_publication(ledger, channel)
    with ledger.session() as s:
        costs = dict(s.exec(select(ReelRow.id, ReelRow.total_usd)
                            .where(ReelRow.channel == channel)).all())
    week_ago, day_ago = now - timedelta(days=7), now - timedelta(days=1)
    views = views_7d = views_24h = 0
    retention: list[float] = []
    reels: set[str] = set()
    for (reel_id, _platform), rows in by_key.items():
        counted = [r for r in rows if r.views is not None]
        if not counted:
            continue
        reels.add(reel_id)
        latest = counted[-1].views or 0
        views += latest
        views_7d += latest - views_by(counted, week_ago)
        views_24h += latest - views_by(counted, day_ago)
        kept = [r.avg_view_percentage for r in rows if r.avg_view_percentage is not None]
        if kept:
            retention.append(kept[-1])
    cost = sum(costs.get(r, 0.0) for r in reels)
    return ChannelAudience(channel, len(reels), views, views_7d,
                           sum(retention) / len(retention) if retention else None, cost,
                           per_thousand(cost, views), views_24h)


WEEK_H = 24 * 7.0


def seven_day_views(ledger: Ledger, channel: str, now: datetime) -> list[tuple[str, float]]:
    """Each published reel's topic and its views at 7 days (all its platforms together),
    oldest first. Reels younger than 7 days, or whose fetches do not reach that age, are
    left out: a younger count would read as a loser."""
    with ledger.session() as s:
        pubs = s.exec(
            select(PublicationRow, ReelRow)
            .join(ReelRow, ReelRow.id == PublicationRow.reel_id)  # type: ignore[arg-type]
            .where(ReelRow.channel == channel, PublicationRow.status == "published")
            .order_by(PublicationRow.published_at, PublicationRow.reel_id)).all()
    week_ago = now - timedelta(hours=WEEK_H)
    every = fetches_by_publication(ledger, channel)
    by_reel: dict[str, tuple[str, float]] = {}
    for pub, reel in pubs:
        if pub.published_at is None or utc(pub.published_at) > week_ago:
            continue
        week = views_at(view_points(every.get((pub.reel_id, pub.platform), [])), WEEK_H)
        if week is None:
            continue
        topic, views = by_reel.get(reel.id, (reel.topic or reel.title, 0.0))
        by_reel[reel.id] = (topic, views + week)
    return [entry for entry in by_reel.values() if entry[0]]
