"""Database copies for backups: SQLite live through its backup API, PostgreSQL by pg_dump."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path


class BackupError(Exception):
    """A backup or restore cannot go on; the message names the file and the reason."""


def copy_sqlite_live(src: Path, dst: Path) -> None:
    """Copy a database another process may be writing, through SQLite's backup API."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target)  # one step: a consistent snapshot; in WAL it blocks no writer
        # The copy inherits WAL mode; a single self-contained file is what an archive wants.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"{src}: cannot back up this SQLite database ({exc})") from None
    finally:
        target.close()
        source.close()
    check_sqlite(dst, shown=str(src))


def check_sqlite(path: Path, shown: str = "") -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = [r[0] for r in db.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        raise BackupError(f"{shown or path}: not a readable SQLite database ({exc})") from None
    if rows != ["ok"]:
        raise BackupError(f"{shown or path}: PRAGMA integrity_check failed: {'; '.join(rows[:5])}")


def sqlite_path(url: str) -> Path | None:
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """(a libpq URL without the password, the environment that carries it): a command line
    is visible to every user of the host in `ps`, a process's environment only to its owner."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed._replace(drivername="postgresql", password=None)  # set() keeps a None
    return bare.render_as_string(hide_password=False), env


def pg_dump(url: str, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError("data.ledger_url is PostgreSQL but pg_dump is not on PATH"
                          " (apt-get install postgresql-client)")
    dbname, env = libpq_target(url)
    run = subprocess.run([exe, "--format=custom", "--file", str(dst), "--dbname", dbname],
                         capture_output=True, text=True, check=False, timeout=3600, env=env)
    if run.returncode != 0:
        raise BackupError(f"pg_dump of data.ledger_url failed: {run.stderr.strip()[-500:]}")


def ledger_schema() -> str:
    """The ledger's schema version: a hash of every table's columns and their types."""
    from sqlmodel import SQLModel

    import activities.ledger  # noqa: F401  (registers the tables)

    parts = sorted(f"{t.name}.{c.name}:{c.type}" for t in SQLModel.metadata.tables.values()
                   for c in t.columns)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def ledger_revision(url: str) -> str:
    """The ledger's Alembic revision ("" for an empty database), read without changing it."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from activities.ledger import driver_url

    engine = create_engine(driver_url(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision() or ""
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise BackupError(f"data.ledger_url: cannot read the ledger's schema revision"
                          f" ({reason})") from None
    finally:
        engine.dispose()


def check_revision(revision: str, shown: str) -> None:
    """Refuse a ledger whose schema revision this code does not know: it was upgraded by a
    newer version of monolathe, and this one would write rows that schema does not expect."""
    from activities.ledger_schema import head_revision, known_revision

    if revision and not known_revision(revision):
        raise BackupError(
            f"{shown}: the ledger in it is at schema revision {revision}, newer than this"
            f" version of monolathe (its head is {head_revision()}); restore it with the"
            " version that made it, or upgrade monolathe first")


def temporal_cli_version() -> str:
    from workers.devserver import DevServerError, temporal_exe

    try:
        run = subprocess.run([temporal_exe(), "--version"], capture_output=True, text=True, check=False,
                             timeout=30)
    except (DevServerError, OSError):
        return "unknown"
    return run.stdout.strip() or "unknown"


