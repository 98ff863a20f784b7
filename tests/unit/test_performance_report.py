"""The performance figures read back from the ledger: views at 1 h / 24 h / 7 d between
fetches, retention, cost per 1,000 views per reel and per channel, deleted reels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from activities.ledger import Ledger
from activities.performance import ReelMetrics
from activities.performance.store import channel_audience, record, views_at
from tests.fakes.ledger_rows import published_reel
from workers.performance_report import performance_report, print_report
from workflows.contracts import PublishedReel

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)


def test_views_at_an_age_lie_on_the_line_between_two_fetches() -> None:
    points = [(0.5, 10), (1.5, 30), (30.0, 300)]
    assert views_at(points, 1) == 20.0
    assert views_at(points, 24) == pytest.approx(30 + 270 * (22.5 / 28.5))
    assert views_at(points, 24 * 7) is None  # not that old yet
    assert views_at([(2.0, 5)], 1) is None  # no fetch before the hour


def _ledger(tmp_path: Path) -> tuple[Ledger, list[PublishedReel]]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    reels = []
    for n, usd in ((1, 0.40), (2, 0.10)):
        reels.append(published_reel(ledger, "demo", n, T0, total_usd=usd))
    for age, first, second in ((0.5, 10, 5), (1.5, 30, 7), (200, 2000, None)):
        metrics = [ReelMetrics(reels[0].reel_id, "v1", views=first, avg_view_percentage=60.0)]
        metrics.append(ReelMetrics(reels[1].reel_id, "v2", views=second,
                                   deleted=second is None))
        record(ledger, "demo", "youtube", reels, metrics, T0 + age * H)
    return ledger, reels


def test_the_report_has_each_reel_s_figures_and_the_channel_totals(tmp_path: Path,
                                                                    capsys) -> None:
    ledger, _ = _ledger(tmp_path)
    report = performance_report(ledger, "demo", 28, now=T0 + 201 * H)
    first, second = sorted(report["reels"], key=lambda r: r["reel_id"])
    assert (first["views"], first["views_1h"], first["avg_view_percentage"]) == (2000, 20.0,
                                                                                60.0)
    assert first["views_7d"] == pytest.approx(30 + 1970 * (166.5 / 198.5))
    assert first["usd_per_1k_views"] == pytest.approx(0.40 / 2000 * 1000)
    assert second["deleted"] and second["views"] == 7
    totals = report["totals"]
    assert (totals["reels"], totals["views"]) == (2, 2007)
    assert totals["usd_per_1k_views"] == pytest.approx(0.50 / 2007 * 1000)
    print_report(report)
    out = capsys.readouterr().out
    assert "[deleted] Reel 2" in out and "2,007 views" in out


def test_views_in_the_last_seven_days_count_only_what_the_week_added(tmp_path: Path) -> None:
    ledger, _ = _ledger(tmp_path)
    audience = channel_audience(ledger, "demo", T0 + 190 * H)  # a week after the 1.5 h fetch
    assert audience.views_7d == (2000 - 30) + (7 - 7)
