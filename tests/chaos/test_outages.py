"""Outages around the workers: a network cut longer than the heartbeat timeout, a platform
answering 503 for a minute, the ledger locked by another writer, a full disk.

Each ends with the stack's invariants: the reel published or failed with its reason, nothing
posted twice or half-written, no ffmpeg left, the ledger agreeing with Temporal.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from tests.chaos.harness import Stack, await_for

pytestmark = [pytest.mark.chaos, pytest.mark.integration]
HEARTBEAT_S = 10  # compose_reel's heartbeat timeout (workflows/stages.py)


@pytest.mark.slow
async def test_network_cut_longer_than_the_heartbeat_timeout(stack: Stack):
    reel = await stack.reel_running(1, "compose_reel", ["local"])
    assert stack.proxy is not None
    stack.proxy.drop()
    await asyncio.sleep(HEARTBEAT_S * 1.5)  # the server gives the compose up for lost
    stack.proxy.restore()
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome
    _, attempts = await stack.activity_attempts(reel.reel_id, "compose_reel")
    assert attempts[-1] >= 2, attempts  # the lost attempt was retried, not counted as work


@pytest.mark.slow
async def test_platform_answering_503_for_a_minute(stack: Stack):
    await stack.start()
    stack.youtube.outage_until = time.monotonic() + 3600  # down until the reel gets there
    reel = stack.reel_input(2)
    await stack.start_reel(reel)
    await await_for(lambda: stack.youtube.outage_answers > 0, "the first 503", 600)
    stack.youtube.outage_until = time.monotonic() + 60
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome
    assert stack.youtube.outage_answers >= 2 and len(stack.youtube.videos) == 1


def _hold_ledger(path: str, seconds_max: float, release: asyncio.Event) -> None:
    writer = sqlite3.connect(path, timeout=5, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    deadline = time.monotonic() + seconds_max
    while time.monotonic() < deadline and not release.is_set():
        time.sleep(0.1)
    writer.execute("ROLLBACK")
    writer.close()


@pytest.mark.slow
async def test_ledger_locked_by_another_writer(stack: Stack):
    reel = await stack.reel_running(3, "compose_reel", ["local"])
    release = asyncio.Event()
    ledger = stack.settings.ledger_url.removeprefix("sqlite:///")
    holder = asyncio.create_task(asyncio.to_thread(_hold_ledger, ledger, 120, release))
    failures = await await_for_failure(stack, reel.reel_id, "publish_reel")
    release.set()
    await holder
    assert "database is locked" in failures, failures  # the reason, typed by the worker
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome


async def await_for_failure(stack: Stack, reel_id: str, activity: str) -> str:
    """Wait until `activity` of the reel has failed once; its failure's message."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        message = await stack.failure_of(reel_id, activity)
        if message:
            return message
        await asyncio.sleep(0.5)
    raise AssertionError(f"{activity} of {reel_id} never failed")


async def test_full_disk_fails_the_reel_with_the_reason(stack: Stack):
    # The media worker may write 300 kB per file: too little for a reel.
    await stack.start(fsize_limits={"media": 300 * 2**10})
    reel = stack.reel_input(4, platforms=["local", "youtube"])
    await stack.start_reel(reel)
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "FAILED", outcome
    assert "file size limit" in outcome.reason or "File too large" in outcome.reason, outcome.reason
    assert not stack.youtube.videos and not list(stack.settings.out_dir.glob("**/*.mp4"))
    assert stack.workers["media"].alive()


async def test_model_over_the_memory_limit_is_refused_and_the_worker_lives(
        tmp_path, chaos_youtube, fake_cert):
    from activities.ffmpeg_run import run_ffmpeg

    stack = Stack(tmp_path / "mlx", chaos_youtube, fake_cert[0], gpu_memory_limit_gb=0.01)
    try:
        await stack.start()
        media = tmp_path / "media"
        media.mkdir()
        run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=320x240", "-frames:v", "1",
                    str(media / "octopus.jpg")])
        # matching scenes to own media by meaning loads MiniLM (~90 MB) on the gpu worker
        reel = stack.reel_input(6, platforms=["local"])
        reel.channel.media_dir, reel.channel.media_match = str(media), "meaning"
        await stack.start_reel(reel)
        [outcome] = await stack.check_invariants()
        assert outcome.status.name == "FAILED", outcome
        assert "gpu.memory_limit_gb" in outcome.reason and "embeddings model" in outcome.reason
        assert await stack.activity_attempts(reel.reel_id, "match_media") == (1, [1])
        assert stack.workers["gpu"].alive()
        # the same gpu worker still voices the next reel
        await stack.start_reel(stack.reel_input(7, platforms=["local"]))
        outcomes = await stack.check_invariants()
        assert outcomes[-1].status.name == "COMPLETED", outcomes
    finally:
        stack.stop()
