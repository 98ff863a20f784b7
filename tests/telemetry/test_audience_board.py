"""The Audience board against a real Prometheus: performance rows written to a SQLite ledger
with the store's own functions, the reels worker's real exporter (start_telemetry), scraped
every second, then every panel's query must return data and the figures be the ledger's."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from activities.config import load_settings
from activities.ledger import Ledger
from activities.performance import ReelMetrics
from activities.performance.store import record
from tests.fakes.ledger_rows import published_reel
from tests.telemetry.prom import REPO, Prometheus, free_port, need_binary, scrape_config
from workers.telemetry.dashboards import panel_queries
from workers.telemetry.setup import start_telemetry
from workflows.contracts import PublishedReel

pytestmark = pytest.mark.integration
REELS = 12  # more than the 5 best and 5 worst: two are in neither table
NOW = datetime.now(UTC)


def _publish(ledger: Ledger, channel: str, platform: str, n: int, at: datetime,
             usd: float) -> PublishedReel:
    return published_reel(ledger, channel, n, at, platform=platform, title=f"Fact {n}",
                          total_usd=usd)


def seed(ledger: Ledger) -> None:
    """cats: 12 YouTube reels, reel i at 10i views 8 days ago, 60i 30 h ago and 110i 2 h
    ago (so 100i in the week, 50i in the last day), retention 40+i %, cost $0.01i; a 13th
    reel deleted on the platform. dogs: two Instagram reels, no retention figure."""
    published = NOW - timedelta(days=9)
    cats = [_publish(ledger, "cats", "youtube", i, published, 0.01 * i)
            for i in range(1, REELS + 1)]
    for ago, per in ((timedelta(days=8), 10), (timedelta(hours=30), 60),
                     (timedelta(hours=2), 110)):
        record(ledger, "cats", "youtube", cats,
               [ReelMetrics(r.reel_id, r.external_id, views=per * i,
                            avg_view_percentage=40.0 + i)
                for i, r in enumerate(cats, start=1)], NOW - ago)
    gone = _publish(ledger, "cats", "youtube", 13, published, 0.5)
    record(ledger, "cats", "youtube", [gone], [ReelMetrics(gone.reel_id, "v13", views=9000)],
           NOW - timedelta(days=3))
    record(ledger, "cats", "youtube", [gone], [ReelMetrics(gone.reel_id, "v13", deleted=True)],
           NOW - timedelta(hours=1))
    dogs = [_publish(ledger, "dogs", "instagram", i, NOW - timedelta(days=2), 0.02)
            for i in (1, 2)]
    record(ledger, "dogs", "instagram", dogs,
           [ReelMetrics(r.reel_id, r.external_id, views=300 * i)
            for i, r in enumerate(dogs, start=1)], NOW - timedelta(hours=3))


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Iterator[SimpleNamespace]:
    need_binary("prometheus")
    folder = tmp_path_factory.mktemp("audience")
    (folder / "channels").mkdir()
    (folder / "temporal.yaml").write_text(
        "data: {var_dir: var, ledger_url: 'sqlite:///var/l.db', channels_dir: channels}\n"
        "metrics: {host: 127.0.0.1, port: 0, sdk_port: 0}\nlogs: {json_file: ''}\n")
    settings = load_settings(folder / "temporal.yaml")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    seed(Ledger(settings.ledger_url))
    telemetry = start_telemetry(settings, ["reels"])
    prom = Prometheus.start(folder / "prometheus", scrape_config(
        f"127.0.0.1:{telemetry.metrics_port}", f"127.0.0.1:{free_port()}"))
    try:
        deadline = time.monotonic() + 30
        while not prom.query("monolathe_audience_reel_views_7d"):
            assert time.monotonic() < deadline, prom.log.read_text()[-2000:]
            time.sleep(0.3)
        yield SimpleNamespace(prom=prom)
    finally:
        prom.stop()
        telemetry.shutdown()


def _expr(expr: str) -> str:
    return expr.replace('"$channel"', '".*"')


def test_every_audience_panel_query_returns_data(board):
    panels = panel_queries(json.loads((REPO / "dashboards" / "audience.json").read_text()))
    assert len(panels) == 7
    missing = [f"{title}: {expr}" for title, _description, expr in panels
               if not any(math.isfinite(float(r["value"][1]))
                          for r in board.prom.query(_expr(expr)))]
    assert not missing, "\n".join(missing)


def _values(prom: Prometheus, expr: str) -> dict[str, float]:
    return {r["metric"]["channel"]: float(r["value"][1]) for r in prom.query(expr)}


def test_the_channel_figures_are_the_ledger_s(board):
    prom, total = board.prom, REELS * (REELS + 1) // 2  # the sum of i
    assert _values(prom, "monolathe_audience_views_24h") == {"cats": 50 * total, "dogs": 900}
    # the deleted reel's views stay in the totals (3 days ago: in the week, not the day)
    assert _values(prom, "monolathe_audience_views_7d") == {"cats": 100 * total + 9000,
                                                            "dogs": 900}
    assert _values(prom, "monolathe_audience_avg_view_percentage") == {
        "cats": pytest.approx(40 + total / REELS)}  # dogs: Instagram gives none
    per_1k = _values(prom, "monolathe_audience_usd_per_1k_views")
    assert per_1k["cats"] == pytest.approx((0.01 * total + 0.5) / (110 * total + 9000) * 1000)


def test_the_week_tables_hold_five_best_and_five_worst_reels_by_title(board):
    def rows(rank: str) -> list[tuple[str, float]]:
        expr = ('sort_desc' if rank == "best" else 'sort') + \
            f'(monolathe_audience_reel_views_7d{{channel="cats",rank="{rank}"}})'
        return [(r["metric"]["title"], float(r["value"][1])) for r in board.prom.query(expr)]

    assert rows("best") == [(f"Fact {i}", 100.0 * i) for i in (12, 11, 10, 9, 8)]
    assert rows("worst") == [(f"Fact {i}", 100.0 * i) for i in (1, 2, 3, 4, 5)]
    # the deleted reel's 9,000 views are in no table; dogs' two reels are both "best"
    assert len(board.prom.query('monolathe_audience_reel_views_7d{channel="cats"}')) == 10
    assert {r["metric"]["title"] for r in board.prom.query(
        'monolathe_audience_reel_views_7d{channel="dogs"}')} == {"Fact 1", "Fact 2"}
