"""The ledger's migrations: the head matches the tables in code, old ledgers keep their rows."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from activities.ledger import Ledger, driver_url
from activities.ledger_schema import (
    BASELINE,
    SchemaError,
    _config,
    head_revision,
    schema_version,
    upgrade_ledger,
)

REEL_AT_BASELINE = "reel/demo/2026-11-23/1"

# Tables that migrations after the baseline create, and columns they add to older tables.
ADDED_BY_MIGRATIONS = {"reel_performance"}
COLUMNS_ADDED = {"reels": ["relevance", "scene_relevance"], "footage_jobs": ["shows"]}

# A later migration, as the next schema change will write one: a column on reels.
LATER = '''
import sqlalchemy as sa
from alembic import op

revision = "9001_reel_mood"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reels") as batch_op:
        batch_op.add_column(sa.Column("mood", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("reels") as batch_op:
        batch_op.drop_column("mood")
'''


def later_migration(tmp_path: Path) -> Path:
    folder = tmp_path / "later"
    folder.mkdir()
    (folder / "9001_reel_mood.py").write_text(LATER.format(head=head_revision()))
    return folder


def test_the_migrations_head_is_the_schema_the_code_declares(tmp_path: Path) -> None:
    """A column added to a table class without a migration fails here."""
    ledger = Ledger(f"sqlite:///{tmp_path}/l.db")
    with ledger.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_a_new_ledger_is_at_head(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/l.db")
    version = schema_version(ledger.engine)
    assert (version.database, version.current) == ("sqlite", head_revision())
    assert version.at_head


def test_a_ledger_made_before_migrations_is_stamped_and_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    # How ledgers were made before: the tables of that time, not those later migrations add.
    SQLModel.metadata.create_all(create_engine(url), tables=[
        t for t in SQLModel.metadata.sorted_tables if t.name not in ADDED_BY_MIGRATIONS])
    old = create_engine(url)
    with old.begin() as conn:
        for table, columns in COLUMNS_ADDED.items():
            for column in columns:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.exec_driver_sql(
            "INSERT INTO reels (id, channel, day, topic, title, status, error, video_uri,"
            " total_usd, updated_at) VALUES ('reel/demo/2026-11-23/1', 'demo', '2026-11-23',"
            " 'honey', 'Honey', 'published', '', '', 0.5, '2026-11-23 10:00:00')")
    assert schema_version(old).current == f"{BASELINE} (unstamped)"
    ledger = Ledger(url)
    assert schema_version(ledger.engine).at_head
    assert ledger.recent_topics("demo") == ["honey"]


BASELINE_ROWS = [
    ("INSERT INTO reels (id, channel, day, topic, title, status, error, video_uri, total_usd,"
    " updated_at) VALUES ('reel/demo/2026-11-23/1', 'demo', '2026-11-23', 'octopus hearts',"
    " 'Octopus Hearts', 'published', '', 'file:///out/1.mp4', 0.75, '2026-11-23 10:00:00')"),
    ("INSERT INTO costs (reel_id, channel, day, stage, backend, seconds, cpu_seconds, usd)"
    " VALUES ('reel/demo/2026-11-23/1', 'demo', '2026-11-23', 'voice', 'cpu', 1, 1, 0.25),"
    " ('reel/demo/2026-11-23/1', 'demo', '2026-11-23', 'compose', 'cpu', 1, 1, 0.5)"),
    ("INSERT INTO publications (reel_id, platform, status, external_id, url, created_at,"
    " published_at) VALUES ('reel/demo/2026-11-23/1', 'youtube', 'published', 'yt-1',"
    " 'https://youtu.be/yt-1', '2026-11-23 10:00:00', '2026-11-23 10:01:00')"),
]


def test_a_later_migration_adds_a_column_and_keeps_every_row(tmp_path: Path,
                                                             ledger_url: str) -> None:
    """A ledger made at the baseline, its rows written as that schema had them, brought
    through every later migration to one that adds a column: on SQLite (batch mode, the
    table copied) and on PostgreSQL (ALTER TABLE)."""
    engine = create_engine(driver_url(ledger_url))
    with engine.connect() as conn:
        command.upgrade(_config(conn), BASELINE)
        conn.commit()
    assert schema_version(engine).current == BASELINE
    with engine.begin() as conn:
        for sql in BASELINE_ROWS:
            conn.execute(text(sql))
    later = later_migration(tmp_path)
    version = upgrade_ledger(engine, versions=later)
    assert version.current == "9001_reel_mood"
    assert "mood" in {c["name"] for c in inspect(engine).get_columns("reels")}
    with engine.connect() as db:
        assert db.execute(text("SELECT id, topic, total_usd, video_uri, mood FROM reels")
                          ).all() == [(REEL_AT_BASELINE, "octopus hearts", 0.75,
                                       "file:///out/1.mp4", "")]
        assert db.execute(text("SELECT stage, usd FROM costs ORDER BY usd")).all() == [
            ("voice", 0.25), ("compose", 0.5)]
        assert db.execute(text("SELECT platform, status, external_id FROM publications")
                          ).all() == [("youtube", "published", "yt-1")]
    # The never-twice guard (one row per reel and platform) survived the upgrade.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO publications (reel_id, platform, status, external_id,"
                          " url, created_at) VALUES (:r, 'youtube', 'intent', '', '',"
                          " '2026-11-24 10:00:00')"), {"r": REEL_AT_BASELINE})
    engine.dispose()


def test_a_ledger_upgraded_by_newer_code_is_refused_with_its_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    ledger = Ledger(url)
    upgrade_ledger(ledger.engine, versions=later_migration(tmp_path))
    with pytest.raises(SchemaError, match="9001_reel_mood.*newer code"):
        Ledger(url)


def _upgrade_with(url: str, later: str, barrier: Any) -> None:
    barrier.wait()
    args = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    upgrade_ledger(create_engine(driver_url(url), **args), versions=Path(later))


def test_processes_upgrading_together_run_each_migration_once(tmp_path: Path,
                                                              ledger_url: str) -> None:
    """Workers on several hosts start together; without the lock two of them would add the
    same column and one would stop with "duplicate column". On SQLite the lock is a file
    beside the database, on PostgreSQL an advisory lock."""
    later = later_migration(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_upgrade_with, args=(ledger_url, str(later), barrier))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    engine = create_engine(driver_url(ledger_url))
    assert schema_version(engine, versions=later).current == "9001_reel_mood"
    engine.dispose()
