"""The hook experiment's verdict: which of a channel's two hook styles gets more views.

Each reel counts once, its platforms' views added up. The comparison is on 7-day views when
each style has enough reels that old, else on 24-hour views; never a mix. The test is
Mann-Whitney U (two-sided): it compares ranks, so one viral reel cannot decide it, and views
are far from normal. With up to 50,000 ways to split the reels between the styles the
p-value is exact (every split counted); beyond that the normal approximation with the tie
correction. The confidence is 1 - p: how unlikely a difference this large would be if the
style made none.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import select

from activities.ledger import Ledger
from activities.ledger_tables import PublicationRow, ReelRow
from activities.performance.store import fetches_by_publication, utc, view_points, views_at

MIN_REELS = 5  # per style, with the figure compared
EXACT_SPLITS = 50_000


@dataclass
class StyleFigures:
    style: str
    reels: int  # with the figure compared
    median_views: float | None
    mean_views: float | None


@dataclass
class HookVerdict:
    styles: list[str]
    metric: str = ""  # views_7d | views_24h
    figures: list[StyleFigures] = field(default_factory=list)
    winner: str = ""  # "" = not enough reels
    confidence: float | None = None  # 1 - p of the Mann-Whitney U test
    p_value: float | None = None
    verdict: str = ""


def _ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1, dtype=float)
    for value in np.unique(values):  # ties share their mean rank
        same = values == value
        ranks[same] = ranks[same].mean()
    return ranks


def mann_whitney(a: list[float], b: list[float]) -> tuple[float, float]:
    """U of `a` and the two-sided p-value."""
    n1, n2 = len(a), len(b)
    ranks = _ranks(np.asarray([*a, *b], dtype=float))
    u = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    centre = n1 * n2 / 2
    if math.comb(n1 + n2, n1) <= EXACT_SPLITS:
        far = count = 0
        for chosen in itertools.combinations(range(n1 + n2), n1):
            split_u = ranks[list(chosen)].sum() - n1 * (n1 + 1) / 2
            count += 1
            # A split at least as far from the centre as the one observed (both sides).
            far += abs(split_u - centre) >= abs(u - centre) - 1e-9
        return u, far / count
    n = n1 + n2
    _, counts = np.unique(ranks, return_counts=True)
    ties = float(((counts ** 3) - counts).sum())
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return u, 1.0
    z = max(abs(u - centre) - 0.5, 0.0) / math.sqrt(variance)  # continuity correction
    return u, math.erfc(z / math.sqrt(2))


def _reel_views(ledger: Ledger, channel: str, styles: list[str],
                since: datetime) -> dict[str, list[tuple[float | None, float | None]]]:
    """Per style, each reel's (24-hour, 7-day) views summed over its platforms."""
    with ledger.session() as s:
        rows = s.exec(
            select(PublicationRow, ReelRow)
            .join(ReelRow, ReelRow.id == PublicationRow.reel_id)  # type: ignore[arg-type]
            .where(ReelRow.channel == channel, PublicationRow.status == "published",
                   ReelRow.hook_style.in_(styles))).all()  # type: ignore[attr-defined]
    every = fetches_by_publication(ledger, channel)
    per_reel: dict[str, tuple[str, float | None, float | None]] = {}
    for pub, reel in rows:
        if pub.published_at is None or utc(pub.published_at) < since:
            continue
        points = view_points(every.get((pub.reel_id, pub.platform), []))
        day, week = views_at(points, 24), views_at(points, 24 * 7)
        style, d0, w0 = per_reel.get(reel.id, (reel.hook_style, None, None))
        per_reel[reel.id] = (style, _add(d0, day), _add(w0, week))
    out: dict[str, list[tuple[float | None, float | None]]] = {s: [] for s in styles}
    for style, day, week in per_reel.values():
        out[style].append((day, week))
    return out


def _add(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else a + b


def hook_verdict(ledger: Ledger, channel: str, styles: list[str],
                 since: datetime) -> HookVerdict:
    views = _reel_views(ledger, channel, styles, since)
    week = {s: [w for _, w in views[s] if w is not None] for s in styles}
    day = {s: [d for d, _ in views[s] if d is not None] for s in styles}
    metric, samples = (("views_7d", week) if all(len(week[s]) >= MIN_REELS for s in styles)
                       else ("views_24h", day))
    verdict = HookVerdict(list(styles), metric, [
        StyleFigures(s, len(samples[s]),
                     float(np.median(samples[s])) if samples[s] else None,
                     float(np.mean(samples[s])) if samples[s] else None) for s in styles])
    short = [f for f in verdict.figures if f.reels < MIN_REELS]
    if short:
        verdict.verdict = "not enough reels: " + ", ".join(
            f"{f.style} has {f.reels} with {metric}" for f in short) + (
            f" (at least {MIN_REELS} each)")
        return verdict
    a, b = samples[styles[0]], samples[styles[1]]
    u, p = mann_whitney(a, b)
    verdict.p_value, verdict.confidence = round(p, 4), round(1 - p, 4)
    # U above its centre: the first style's reels rank above the second's more often.
    verdict.winner = styles[0] if u > len(a) * len(b) / 2 else styles[1]
    if u == len(a) * len(b) / 2:
        verdict.winner = ""
        verdict.verdict = f"no difference on {metric}"
    else:
        verdict.verdict = (f"{verdict.winner} wins on {metric} with confidence"
                           f" {verdict.confidence:.0%} (Mann-Whitney U, p = {p:.3f})")
    return verdict
