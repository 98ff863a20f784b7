"""The ledger's migrations: the head matches the tables in code, old ledgers keep their rows."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from activities.ledger import Ledger
from activities.ledger_schema import (
    BASELINE,
    SchemaError,
    head_revision,
    schema_version,
    upgrade_ledger,
)
from tests.unit.test_ledger import REEL, record

# Tables that migrations after the baseline create.
ADDED_BY_MIGRATIONS = {"reel_performance"}

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
        conn.exec_driver_sql(
            "INSERT INTO reels (id, channel, day, topic, title, status, error, video_uri,"
            " total_usd, updated_at) VALUES ('reel/demo/2026-11-23/1', 'demo', '2026-11-23',"
            " 'honey', 'Honey', 'published', '', '', 0.5, '2026-11-23 10:00:00')")
    assert schema_version(old).current == f"{BASELINE} (unstamped)"
    ledger = Ledger(url)
    assert schema_version(ledger.engine).at_head
    assert ledger.recent_topics("demo") == ["honey"]


def test_a_later_migration_adds_a_column_and_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    ledger = Ledger(url)
    record(ledger, REEL, topic="octopus hearts", usd=(0.25, 0.5))
    ledger.publication_intent(REEL, "youtube")
    later = later_migration(tmp_path)
    version = upgrade_ledger(ledger.engine, versions=later)
    assert version.current == "9001_reel_mood"
    columns = {c["name"] for c in inspect(ledger.engine).get_columns("reels")}
    assert "mood" in columns
    with sqlite3.connect(tmp_path / "l.db") as db:
        assert db.execute("SELECT topic, total_usd, mood FROM reels").fetchall() == [
            ("octopus hearts", 0.75, "")]
        assert db.execute("SELECT count(*) FROM costs").fetchone() == (2,)
        assert db.execute("SELECT platform FROM publications").fetchall() == [("youtube",)]


def test_a_ledger_upgraded_by_newer_code_is_refused_with_its_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    ledger = Ledger(url)
    upgrade_ledger(ledger.engine, versions=later_migration(tmp_path))
    with pytest.raises(SchemaError, match="9001_reel_mood.*newer code"):
        Ledger(url)


def _upgrade_with(url: str, later: str, barrier: Any) -> None:
    barrier.wait()
    upgrade_ledger(create_engine(url, connect_args={"timeout": 30}), versions=Path(later))


def test_processes_upgrading_together_run_each_migration_once(tmp_path: Path) -> None:
    """Workers on several hosts start together; without the lock two of them would add the
    same column and one would stop with "duplicate column"."""
    url = f"sqlite:///{tmp_path}/l.db"
    later = later_migration(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_upgrade_with, args=(url, str(later), barrier))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert schema_version(create_engine(url), versions=later).current == "9001_reel_mood"
