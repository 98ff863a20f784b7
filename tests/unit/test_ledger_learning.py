"""Migration 0004_learning on SQLite and PostgreSQL: a queued topic's predicted performance
and a reel's hook style are added to ledgers that have rows, and taken away again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from activities.ledger import driver_url
from activities.ledger_schema import _config, head_revision, upgrade_ledger

BEFORE = "0003_scene_relevance"


def _columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_the_learning_columns_arrive_on_a_ledger_with_rows_and_leave_again(
        ledger_url: str) -> None:
    engine = create_engine(driver_url(ledger_url))
    with engine.connect() as conn:
        command.upgrade(_config(conn), BEFORE)
        conn.commit()
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO reels (id, channel, day, topic, title, status, error, video_uri,"
            " total_usd, updated_at) VALUES ('reel/demo/2026-11-23/1', 'demo', '2026-11-23',"
            " 'octopus hearts', 'Octopus Hearts', 'published', '', '', 0.75,"
            " '2026-11-23 10:00:00')"))
        conn.execute(text(
            "INSERT INTO topic_queue (channel, key, title, summary, facts_json, keywords_json,"
            " links_json, url, source, score, freshness, traffic, relevance, novelty, status,"
            " taken_by, found_at) VALUES ('demo', 'squid', 'Squid', '', '[]', '[]', '[]', '',"
            " 'feed:x', 0.6, 0.5, 0, 0.5, 1, 'queued', '', '2026-11-23 10:00:00')"))
    assert upgrade_ledger(engine).current == head_revision()
    assert "hook_style" in _columns(engine, "reels")
    assert "performance" in _columns(engine, "topic_queue")
    with engine.connect() as db:
        assert db.execute(text("SELECT id, topic, total_usd, hook_style FROM reels")).all() == [
            ("reel/demo/2026-11-23/1", "octopus hearts", 0.75, "")]
        assert db.execute(text("SELECT title, score, performance FROM topic_queue")).all() == [
            ("Squid", 0.6, None)]
    with engine.begin() as conn:  # the new columns take values
        conn.execute(text("UPDATE reels SET hook_style = 'question'"))
        conn.execute(text("UPDATE topic_queue SET performance = 0.8"))
    with engine.connect() as conn:
        command.downgrade(_config(conn), BEFORE)
        conn.commit()
    assert "hook_style" not in _columns(engine, "reels")
    assert "performance" not in _columns(engine, "topic_queue")
    with engine.connect() as db:
        assert db.execute(text("SELECT id, total_usd FROM reels")).all() == [
            ("reel/demo/2026-11-23/1", 0.75)]
        assert db.execute(text("SELECT title FROM topic_queue")).all() == [("Squid",)]
    engine.dispose()
