"""The reels table keeps each reel's relevance: migration 0003 on a ledger with rows, and
record_reel writing the mean and the per-scene values, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text

from activities.ledger import Ledger, ReelRow, driver_url
from activities.ledger_schema import _config, head_revision, schema_version, upgrade_ledger
from workflows.contracts import ReelRecord, StageCost

REEL = "reel/demo/2026-12-01/1"
AT_0002 = [
    ("INSERT INTO reels (id, channel, day, topic, title, status, error, video_uri, total_usd,"
     " updated_at) VALUES ('reel/demo/2026-12-01/1', 'demo', '2026-12-01', 'octopus hearts',"
     " 'Octopus Hearts', 'published', '', 'file:///out/1.mp4', 0.75, '2026-12-01 10:00:00')"),
    ("INSERT INTO footage_jobs (reel_id, scene, source, variant, job_id, status, submitted_at,"
     " uri, usd, submissions, note, what, attribution) VALUES ('reel/demo/2026-12-01/1', 0,"
     " 'pexels', 0, 'video:102', 'done', '2026-12-01 10:00:00', 'file:///f.mp4', 0, 1, '',"
     " 'video 102', 'Video by A on Pexels')"),
]


def test_a_ledger_at_0002_keeps_its_rows_and_reads_them_unscored(ledger_url: str) -> None:
    engine = create_engine(driver_url(ledger_url))
    with engine.connect() as conn:
        command.upgrade(_config(conn), "0002_reel_performance")
        conn.commit()
    with engine.begin() as conn:
        for sql in AT_0002:
            conn.execute(text(sql))
    assert upgrade_ledger(engine).current == head_revision()
    with engine.connect() as db:
        assert db.execute(text("SELECT id, total_usd, relevance, scene_relevance FROM reels")
                          ).all() == [(REEL, 0.75, -1.0, "[]")]
        assert db.execute(text("SELECT job_id, what, shows FROM footage_jobs")).all() == [
            ("video:102", "video 102", "")]
    engine.dispose()
    ledger = Ledger(ledger_url)
    assert schema_version(ledger.engine).at_head
    with ledger.session() as s:
        row = s.get(ReelRow, REEL)
        assert row is not None and (row.relevance, row.scene_relevance) == (-1.0, "[]")


def test_record_reel_writes_the_mean_and_each_scenes_relevance(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    record = ReelRecord(REEL, "demo", "octopus hearts", "Octopus Hearts", "published",
                        "file:///out/1.mp4", {}, [StageCost("voice", "cpu", 1, 1, 0.25)], [],
                        relevance=0.4567, scene_relevance=[0.62, -1.0, 0.2934])
    ledger.record_reel(record)
    ledger.record_reel(record)  # a retry writes the same row again
    with ledger.session() as s:
        row = s.get(ReelRow, REEL)
        assert row is not None
        assert row.relevance == 0.4567
        assert json.loads(row.scene_relevance) == [0.62, -1.0, 0.2934]
