"""The ledger's schema version: Alembic migrations run under a lock, by whoever opens it first.

Every worker opens the ledger as it starts, and workers on several hosts start together, so
the upgrade takes a lock that every opener shares: an advisory lock on PostgreSQL (the
database is the one thing the hosts share), a file lock beside a SQLite file (SQLite is for one
host). Whoever gets the lock second finds the schema at head and does nothing.

A ledger made before migrations existed (tables, no `alembic_version`) is the baseline: it is
stamped, never created again, and upgraded from there with its rows.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

BASELINE = "0001_baseline"
# Any fixed 64-bit key: the ledger's upgrade is the only advisory lock this code takes.
_PG_LOCK_KEY = 0x6D6F6E6F6C617468  # "monolath"
_MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaError(RuntimeError):
    """The ledger's schema is one this code cannot use (newer than the code, unknown)."""


@dataclass
class SchemaVersion:
    database: str  # sqlite | postgresql | ...
    current: str | None  # None: an empty database
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def _config(connection: Connection | None = None, versions: Path | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if versions is not None:  # tests add a later migration in a folder of their own
        config.set_main_option("path_separator", "os")
        config.set_main_option(
            "version_locations", os.pathsep.join([str(_MIGRATIONS / "versions"), str(versions)]))
    config.attributes["connection"] = connection
    return config


def head_revision(versions: Path | None = None) -> str:
    heads = ScriptDirectory.from_config(_config(versions=versions)).get_heads()
    if len(heads) != 1:  # two migrations written on two branches: merge them before release
        raise SchemaError(f"activities/migrations: {len(heads)} heads {sorted(heads)}, expected 1")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def schema_version(engine: Engine, versions: Path | None = None) -> SchemaVersion:
    with engine.connect() as conn:
        current = current_revision(conn)
        if current is None and _has_ledger_tables(conn):
            current = f"{BASELINE} (unstamped)"
    return SchemaVersion(engine.dialect.name, current, head_revision(versions))


def _has_ledger_tables(conn: Connection) -> bool:
    return inspect(conn).has_table("reels")


def known_revision(revision: str, versions: Path | None = None) -> bool:
    script = ScriptDirectory.from_config(_config(versions=versions))
    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the ledger's migration lock until the block ends."""
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        lock_file = Path(f"{db}.migrate.lock") if db and db != ":memory:" else None
        with engine.connect() as conn:
            if lock_file is None:
                yield conn
                return
            with lock_file.open("a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield conn
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # No statement timeout here: a host waits for another's migration however long
            # it takes, and a migration rewriting a big table may outlast the ledger's limit.
            conn.execute(text("SET statement_timeout = 0"))
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            conn.commit()
        try:
            yield conn
        finally:
            if engine.dialect.name == "postgresql":
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                conn.execute(text("RESET statement_timeout"))  # the pool's default again
                conn.commit()


def upgrade_ledger(engine: Engine, versions: Path | None = None) -> SchemaVersion:
    """Bring the ledger to the code's head revision; a no-op when it is there already."""
    head = head_revision(versions)
    with engine.connect() as conn:
        if current_revision(conn) == head:  # the common case: no lock, one query
            return SchemaVersion(engine.dialect.name, head, head)
    with _migration_lock(engine) as conn:
        current = current_revision(conn)
        if current is not None and not known_revision(current, versions):
            raise SchemaError(
                f"the ledger's schema is at {current}, which this version of monolathe does"
                f" not know (its head is {head}): the ledger was upgraded by newer code")
        config = _config(conn, versions)
        if current is None and _has_ledger_tables(conn):
            command.stamp(config, BASELINE)
        if current != head:
            command.upgrade(config, "head")
        conn.commit()
        return SchemaVersion(engine.dialect.name, current_revision(conn), head)


def draft_migration(engine: Engine, message: str, rev_id: str) -> Path:
    """Write the draft of the next migration: what the table classes have that the ledger (at
    head) has not. For developers; the draft is read and edited before it is committed."""
    if not schema_version(engine).at_head:
        raise SchemaError("draft a migration against a ledger at head (monolathe db upgrade)")
    with engine.connect() as conn:
        config = _config(conn)
        config.set_main_option("file_template", "%%(rev)s")  # 0002_what.py: the id says it
        script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
    if script is None or isinstance(script, list):
        raise SchemaError("alembic wrote no single revision")
    return Path(script.path)
