"""temporal.yaml's `ledger`: each worker process's connections to a PostgreSQL ledger.

Every worker process keeps its own pool, so a PostgreSQL server sees up to
(pool_size + max_overflow) connections per process; with the stack's processes on several
hosts that sum must stay under the server's `max_connections` (100 by default). SQLite
ignores the pool (one file, one host) but keeps the busy timeout below.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from activities.config.common import Strict


class _Ledger(Strict):
    # A worker runs up to max_concurrent_activities at once, most of them writing a row or
    # two and letting go; 5 kept connections serve the reels worker's 8 without a wait.
    pool_size: int = Field(5, ge=1, le=100)
    max_overflow: int = Field(5, ge=0, le=100)  # opened beyond pool_size under a burst
    pool_timeout_s: float = Field(30, gt=0, le=600)  # wait for a free connection, then fail
    # PostgreSQL cancels a statement running longer (a lock held by a stuck peer): the
    # activity fails and retries instead of hanging until its own timeout. 0 = no limit.
    statement_timeout_s: float = Field(30, ge=0, le=3600)


@dataclass(frozen=True)
class LedgerSettings:
    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout_s: float = 30.0
    statement_timeout_s: float = 30.0


def ledger_settings(raw: _Ledger) -> LedgerSettings:
    return LedgerSettings(**raw.model_dump())
