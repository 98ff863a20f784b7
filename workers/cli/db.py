"""`monolathe db upgrade | current | revision -m MSG`: the ledger's schema (Alembic).

Workers bring the ledger to head as they start; `db upgrade` does it ahead of them (before a
rollout to several hosts, say), `db current` says where the ledger is, and `db revision`
drafts the next migration for a developer from what the table classes have that the ledger
has not.
"""

from __future__ import annotations

import argparse
import re

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from activities.config import Settings
from activities.ledger_schema import SchemaError, SchemaVersion, draft_migration, schema_version
from workers.stack import CliError


def shown_url(url: str) -> str:
    """The ledger's URL as it may be printed: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<unparsable ledger_url>"


def ledger_engine(settings: Settings, upgrade: bool = False) -> Engine:
    """An engine on the ledger; `upgrade` brings its schema to head as a worker would."""
    from activities.ledger import make_engine

    try:
        return make_engine(settings.ledger_url, settings.ledger, upgrade=upgrade)
    except ModuleNotFoundError as exc:
        raise CliError(f"{settings.source}: data.ledger_url: no driver for"
                       f" {shown_url(settings.ledger_url)} ({exc}); for PostgreSQL install"
                       " the postgres extra: pip install -e '.[postgres]'") from None
    except SchemaError as exc:
        raise CliError(f"ledger {shown_url(settings.ledger_url)}: {exc}") from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CliError(f"ledger {shown_url(settings.ledger_url)}: cannot connect"
                       f" ({reason})") from None


def describe(version: SchemaVersion) -> str:
    if version.current is None:
        return f"empty (no schema yet; head is {version.head}: monolathe db upgrade)"
    if version.at_head:
        return f"{version.current} (head)"
    return f"{version.current}, not at head {version.head} (monolathe db upgrade)"


def read_version(engine: Engine, shown: str) -> SchemaVersion:
    try:
        return schema_version(engine)
    except SQLAlchemyError as exc:  # the first connection is made here, not by the engine
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CliError(f"ledger {shown}: cannot connect ({reason})") from None


def ledger_line(settings: Settings) -> str:
    """`monolathe check`'s line on the ledger: its database and schema revision, read without
    upgrading it (or creating a SQLite file that is not there yet). Raises CliError when the
    ledger cannot be reached or its schema is one this code does not know."""
    from activities.backup_db import sqlite_path
    from activities.ledger_schema import known_revision

    url = shown_url(settings.ledger_url)
    db_file = sqlite_path(settings.ledger_url)
    if db_file is not None and not db_file.exists():
        return f"ledger {url} (sqlite): not created yet (the first worker to start makes it)"
    engine = ledger_engine(settings)
    try:
        version = read_version(engine, url)
    finally:
        engine.dispose()
    if version.current and " " not in version.current and not known_revision(version.current):
        raise CliError(f"ledger {url} ({version.database}): schema {version.current}, which this"
                       f" version of monolathe does not know (its head is {version.head}): the"
                       " ledger was upgraded by newer code")
    return f"ledger {url} ({version.database}): schema {describe(version)}"


async def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    url = shown_url(settings.ledger_url)
    if args.action == "upgrade":
        version = read_version(ledger_engine(settings, upgrade=True), url)
        print(f"ledger {url} ({version.database}): schema {describe(version)}")
        return 0
    engine = ledger_engine(settings)
    if args.action == "current":
        version = read_version(engine, url)
        print(f"ledger {url} ({version.database}): schema {describe(version)}")
        return 0 if version.at_head else 1
    if not args.message:
        raise CliError("db revision: -m MESSAGE is required (what the migration changes)")
    rev_id = args.rev_id or next_rev_id(args.message)
    try:
        path = draft_migration(engine, args.message, rev_id)
    except SchemaError as exc:
        raise CliError(f"db revision: {exc}") from None
    print(f"drafted {path}: read and edit it before committing (autogenerate misses renames)")
    return 0


def next_rev_id(message: str) -> str:
    """`NNNN_words` after the highest numbered migration in activities/migrations/versions."""
    from activities.ledger_schema import _MIGRATIONS

    numbers = [int(m.group(1)) for p in (_MIGRATIONS / "versions").glob("*.py")
               if (m := re.match(r"(\d{4})_", p.name))]
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "change"
    return f"{max(numbers, default=0) + 1:04d}_{slug}"


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="the ledger's schema: upgrade, current, revision -m MSG")
    db.add_argument("action", choices=("upgrade", "current", "revision"))
    db.add_argument("-m", "--message", default="", help="revision: what the migration changes")
    db.add_argument("--rev-id", default="", help="revision: its id (default NNNN_message)")


COMMANDS = {"db": cmd_db}
