"""The process's ledger: one engine (and one schema check) per URL, whoever asks first.

The workers, the telemetry figures and the footage estimate share it; it lives apart from
`workers.run` so that telemetry can reach it without importing the workers it observes.
"""

from __future__ import annotations

from functools import cache

from activities.ledger import Ledger


@cache
def ledger_for(url: str) -> Ledger:
    """One engine (and one schema check) per process, shared by the queues that write."""
    return Ledger(url)
