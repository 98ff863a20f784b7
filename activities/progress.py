"""Heartbeats and cancellation for sync activities, harmless when called outside one.

Stage code runs both inside activities and directly in tests and benchmarks; these helpers
let it report progress and stop on cancellation without caring which.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import CancelledError


def heartbeat(*details: Any) -> None:
    if activity.in_activity():
        activity.heartbeat(*details)


def cancelled() -> bool:
    return activity.in_activity() and activity.is_cancelled()


def raise_if_cancelled() -> None:
    """Sync activities learn of cancellation through heartbeats; they must raise themselves."""
    if cancelled():
        raise CancelledError("activity cancelled")
