"""The process's ledger: one engine (and one schema check) per URL, whoever asks first.

The workers, the telemetry figures and the footage estimate share it; it lives apart from
`workers.run` so that telemetry can reach it without importing the workers it observes.
"""

from __future__ import annotations

from functools import cache

from activities.config import LedgerSettings
from activities.ledger import Ledger


@cache
def ledger_for(url: str, pool: LedgerSettings | None = None) -> Ledger:
    """One engine (and one schema check) per process, shared by the queues that write: the
    pool temporal.yaml's `ledger` sizes is the process's, whichever queues it runs."""
    return Ledger(url, pool)
