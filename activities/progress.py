"""Heartbeats and cancellation for sync activities, harmless when called outside one.

Stage code runs both inside activities and directly in tests and benchmarks; these helpers
let it report progress and stop on cancellation without caring which.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from temporalio import activity
from temporalio.exceptions import CancelledError

HEARTBEAT_EVERY_S = 2.0


def heartbeat(*details: Any) -> None:
    if activity.in_activity():
        activity.heartbeat(*details)


def cancelled() -> bool:
    return activity.in_activity() and activity.is_cancelled()


def raise_if_cancelled() -> None:
    """Sync activities learn of cancellation through heartbeats; they must raise themselves."""
    if cancelled():
        raise CancelledError("activity cancelled")


@contextmanager
def heartbeating(details: Callable[[], Any], every_s: float = HEARTBEAT_EVERY_S) -> Iterator[None]:
    """Heartbeat from a helper thread while the body runs.

    One model load, one generation step or one measuring pass can outlast the heartbeat
    timeout; the helper keeps the activity alive meanwhile, and its heartbeats are what
    deliver a cancellation, which the body then notices between steps (raise_if_cancelled).
    """
    stop = threading.Event()
    context = contextvars.copy_context()  # the activity's context: heartbeat() needs it

    def beat() -> None:
        while not stop.wait(every_s):
            context.run(heartbeat, details())

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    heartbeat(details())
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
