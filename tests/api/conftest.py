"""The API tests' stack on the session's dev server (tests/api/stack.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.api.stack import Api, api_stack


@pytest_asyncio.fixture(scope="session")
async def api(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Api]:
    async with api_stack(dev_env, tmp_path_factory.mktemp("api")) as running:
        yield running
