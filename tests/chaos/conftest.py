"""Fixtures of the chaos suite: a whole stack of real processes per test, torn down after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.chaos.harness import ChaosYouTube, Stack


@pytest.fixture
def chaos_youtube(fake_cert: tuple[Path, Path]):
    with ChaosYouTube(fake_cert) as fake:
        yield fake
        fake.release.set()  # never leave a held upload thread behind


@pytest_asyncio.fixture
async def stack(tmp_path: Path, chaos_youtube: ChaosYouTube,
                fake_cert: tuple[Path, Path]) -> AsyncIterator[Stack]:
    stack = Stack(tmp_path, chaos_youtube, fake_cert[0])
    try:
        yield stack
    finally:
        stack.stop()
