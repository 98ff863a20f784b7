"""Alembic's environment for the ledger: always online, on the connection the caller holds.

`activities/ledger_schema.py` opens the connection, takes the migration lock on it and hands
it over in `config.attributes["connection"]`; nothing here reads an ini file or a URL.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import activities.ledger_tables  # noqa: F401  (registers the tables for autogenerate)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters a table by copying it; batch mode does that for add/alter column.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
