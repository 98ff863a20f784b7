"""The channel's ranked topic queue in the ledger (`topic_queue`, `scout_runs`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import func, select

from activities.ledger import Ledger, ScoutRunRow, TopicRow
from activities.trends.scoring import Scored, total
from workflows.contracts import SourceReport, Topic

KEEP_QUEUED = 200  # the best this many wait; the rest are dropped
MAX_AGE = timedelta(days=3)  # a queued story older than this is no longer news


def _key(title: str) -> str:
    return " ".join(title.casefold().split())


def taken_titles(ledger: Ledger, channel: str) -> list[str]:
    """Titles slots took from the queue: a scout run does not offer them again."""
    with ledger.session() as s:
        return list(s.exec(select(TopicRow.title).where(TopicRow.channel == channel,
                                                        TopicRow.status == "taken")))


def enqueue(ledger: Ledger, channel: str, ranked: list[Scored],
            performance_weight: float = 0.0) -> int:
    """Add new candidates, refresh the scores of waiting ones; returns how many were new.
    A waiting topic keeps its predicted performance until the next prediction."""
    new = 0
    with ledger.session() as s:
        for item in ranked:
            c = item.candidate
            row = s.exec(select(TopicRow).where(TopicRow.channel == channel,
                                                TopicRow.key == _key(c.title))).first()
            if row is not None and row.status != "queued":
                continue
            if row is None:
                new += 1
                row = TopicRow(channel=channel, key=_key(c.title), title=c.title[:300])
            row.summary, row.url, row.source = c.summary[:1000], c.url, c.source
            row.facts_json = json.dumps(c.facts)
            row.keywords_json = json.dumps(c.keywords)
            row.links_json = json.dumps(c.links)
            row.freshness, row.traffic = item.freshness, item.traffic
            row.relevance, row.novelty = item.relevance, item.novelty
            row.score = total(item.score, row.performance, performance_weight)
            s.add(row)
        s.flush()
        _prune(s, channel)
    return new


def _prune(s, channel: str) -> None:  # type: ignore[no-untyped-def]
    cutoff = datetime.now(UTC) - MAX_AGE
    queued = list(s.exec(select(TopicRow).where(TopicRow.channel == channel,
                                                TopicRow.status == "queued")
                         .order_by(TopicRow.score.desc())))  # type: ignore[attr-defined]
    for i, row in enumerate(queued):
        found = row.found_at if row.found_at.tzinfo else row.found_at.replace(tzinfo=UTC)
        if i >= KEEP_QUEUED or found < cutoff:
            s.delete(row)


def waiting(ledger: Ledger, channel: str) -> tuple[list[str], list[str]]:
    """The waiting topics' titles, and their titles with facts (what MiniLM embeds)."""
    with ledger.session() as s:
        rows = list(s.exec(select(TopicRow).where(TopicRow.channel == channel,
                                                  TopicRow.status == "queued")))
    return ([r.title for r in rows],
            [" ".join([r.title, *json.loads(r.facts_json)[:2]]) for r in rows])


def _score(row: TopicRow, performance_weight: float) -> float:
    parts = sum(w * getattr(row, k) for k, w in Scored.weights().items())
    return total(parts, row.performance, performance_weight)


def _set_term(ledger: Ledger, channel: str, term: str, titles: list[str],
              values: list[float], performance_weight: float) -> int:
    """Set one score term (clamped to 0..1) of the waiting topics with these titles, and
    their score; returns how many changed."""
    by_key = dict(zip((_key(t) for t in titles), values, strict=True))
    changed = 0
    with ledger.session() as s:
        for row in s.exec(select(TopicRow).where(TopicRow.channel == channel,
                                                 TopicRow.status == "queued")):
            if row.key in by_key:
                setattr(row, term, round(max(0.0, min(1.0, by_key[row.key])), 4))
                row.score = _score(row, performance_weight)
                s.add(row)
                changed += 1
    return changed


def rescore(ledger: Ledger, channel: str, titles: list[str], relevance: list[float],
            performance_weight: float = 0.0) -> int:
    """Replace the relevance of waiting topics and their score; returns how many changed."""
    return _set_term(ledger, channel, "relevance", titles, relevance, performance_weight)


def set_performance(ledger: Ledger, channel: str, titles: list[str], performance: list[float],
                    weight: float) -> int:
    """Store the predicted-performance term of waiting topics and their new score."""
    return _set_term(ledger, channel, "performance", titles, performance, weight)


def depth(ledger: Ledger, channel: str) -> int:
    with ledger.session() as s:
        return int(s.exec(select(func.count()).select_from(TopicRow).where(
            TopicRow.channel == channel, TopicRow.status == "queued")).one())


def record_runs(ledger: Ledger, channel: str, reports: list[SourceReport]) -> None:
    with ledger.session() as s:
        for r in reports:
            s.add(ScoutRunRow(channel=channel, source=r.source, candidates=r.candidates,
                              error=r.error[:1000]))


def _claim(s, row: TopicRow, slot: str) -> bool:  # type: ignore[no-untyped-def]
    """Mark `row` taken by `slot` if it is still queued. The condition is in the UPDATE: two
    takers that read the same queued row (workers on two hosts) cannot both have it."""
    now = datetime.now(UTC)
    claimed = s.execute(update(TopicRow).where(
        TopicRow.id == row.id, TopicRow.status == "queued",  # type: ignore[arg-type]
    ).values(status="taken", taken_by=slot, taken_at=now)).rowcount
    if claimed:
        row.status, row.taken_by, row.taken_at = "taken", slot, now
    return bool(claimed)


def take(ledger: Ledger, channel: str, slot: str, recent: list[str]) -> Topic | None:
    """The best waiting topic, marked taken by `slot`; the same one again for the same slot."""
    with ledger.session() as s:
        row = None
        if slot:
            row = s.exec(select(TopicRow).where(TopicRow.channel == channel,
                                                TopicRow.taken_by == slot)).first()
        if row is None:
            recent_keys = {_key(t) for t in recent}
            waiting = list(s.exec(select(TopicRow).where(
                TopicRow.channel == channel, TopicRow.status == "queued",
            ).order_by(TopicRow.score.desc(), TopicRow.id)))  # type: ignore[attr-defined]
            row = next((r for r in waiting if r.key not in recent_keys and _claim(s, r, slot)),
                       None)
            if row is None:
                return None
        return Topic(title=row.title, summary=row.summary, facts=json.loads(row.facts_json),
                     keywords=json.loads(row.keywords_json), source=row.source, url=row.url,
                     links=json.loads(row.links_json))


def listing(ledger: Ledger, channel: str, limit: int = 20) -> tuple[list[TopicRow],
                                                                     list[ScoutRunRow]]:
    """The waiting topics best first, and the last run of each source."""
    with ledger.session() as s:
        queued = list(s.exec(select(TopicRow).where(
            TopicRow.channel == channel, TopicRow.status == "queued")
            .order_by(TopicRow.score.desc()).limit(limit)))  # type: ignore[attr-defined]
        runs = list(s.exec(select(ScoutRunRow).where(ScoutRunRow.channel == channel)
                           .order_by(ScoutRunRow.id.desc()).limit(50)))  # type: ignore[union-attr]
    last: dict[str, ScoutRunRow] = {}
    for run in runs:
        last.setdefault(run.source, run)
    return queued, list(last.values())
