"""A fetch's figures land in the ledger row by row, each in its own column: a figure
ReelMetrics gains without a column of the same name would be dropped without a word (the
table ignores unknown fields), so this pins every one. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

from activities.ledger import Ledger
from activities.performance import ReelMetrics
from activities.performance.store import curve, record
from workflows.contracts import PublishedReel

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


def test_every_figure_of_a_fetch_is_read_back_from_its_row(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    reel = PublishedReel("reel/demo/2026-11-20/1", "youtube", "v1",
                         (NOW - timedelta(hours=6)).isoformat())
    figures = {f.name: n for n, f in enumerate(fields(ReelMetrics), start=3)
               if f.name not in ("reel_id", "external_id", "deleted", "raw")}
    record(ledger, "demo", "youtube", [reel],
           [ReelMetrics(reel.reel_id, "v1", deleted=True, raw={"views": "3"}, **figures)], NOW)
    [row] = curve(ledger, reel.reel_id)
    assert {name: getattr(row, name) for name in figures} == figures
    assert (row.external_id, row.status, row.raw_json, row.age_hours) == (
        "v1", "deleted", '{"views": "3"}', 6.0)
