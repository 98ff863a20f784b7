"""No TikTok secret enters Temporal: the histories of runs that refresh a token, retry a
lost init, wait out a rate limit and fail on an expired refresh token are exported from a
real dev server and searched, byte for byte, for the access, refresh and client secrets."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.fakes.fixtures import CHANNEL, World
from tests.fakes.server import Fault
from tests.fakes.tiktok_api import FakeTikTok
from tests.workflows.doubles import QUEUE, channel_config
from tests.workflows.test_publish_platforms import publishing_worker
from workflows.contracts import ReelInput, ReelResult, Topic
from workflows.reel import ReelWorkflow

TT_SECRET = "tt-cs-8f3Kq2LmZx9VbN4cR7wYp1KdJ6sHe0Ta"
TT_REFRESH = "rft.7Qm3vYt2CgYIARAAGBASNwF9IrQz8h4bW1mDxJ3tYkPzN7vEa"


async def test_histories_of_tiktok_runs_hold_no_secret(
        dev_env: WorkflowEnvironment, tiktok_world: World, tiktok_fake: FakeTikTok) -> None:
    tiktok_fake.client_secret, tiktok_fake.refresh_token = TT_SECRET, TT_REFRESH
    tiktok_world.secrets.save(CHANNEL, "tiktok", {
        "client_key": tiktok_fake.client_key, "client_secret": TT_SECRET,
        "access_token": "act.stale-token-0123456789", "refresh_token": TT_REFRESH})
    tiktok_fake.faults += [Fault("init", "commit-then-reset"),
                           Fault("status", 429, reason="rate_limit_exceeded", retry_after=1)]
    run = uuid.uuid4().hex[:8]
    config = channel_config(name="demo", platforms=["local", "tiktok"],
                            out_dir=str(tiktok_world.video.parent / "out"))

    def reel(n: int) -> ReelInput:
        return ReelInput(f"reel/demo/2026-11-25/{run}-{n}", config,
                         Topic("octopus", facts=["a.", "b."]),
                         {q: QUEUE for q in ("reels", "media", "gpu", "publish")})

    seen_tokens = []
    async with publishing_worker(dev_env.client, tiktok_world):
        first = reel(1)
        result = await dev_env.client.execute_workflow(
            ReelWorkflow.run, first, id=first.reel_id, task_queue=QUEUE, result_type=ReelResult)
        assert {p.platform for p in result.publications} == {"local", "tiktok"}
        assert tiktok_fake.refreshes == 1  # the stale token was refreshed on the way
        seen_tokens.append(tiktok_fake.token)
        tiktok_fake.token, tiktok_fake.refresh_expired = "act.revoked-elsewhere-42", True
        second = reel(2)
        with pytest.raises(WorkflowFailureError) as failed:
            await dev_env.client.execute_workflow(
                ReelWorkflow.run, second, id=second.reel_id, task_queue=QUEUE,
                result_type=ReelResult)
        assert "monolathe auth tiktok demo" in str(failed.value.cause)
    secrets = [TT_SECRET, TT_REFRESH, "act.stale-token-0123456789", *seen_tokens]
    exported = 0
    async for execution in dev_env.client.list_workflows():
        if run not in execution.id:
            continue
        history = await (dev_env.client.get_workflow_handle(
            execution.id, run_id=execution.run_id)).fetch_history()
        stored = b"".join(event.SerializeToString() for event in history.events)
        text = history.to_json()
        for secret in secrets:
            assert secret.encode() not in stored and secret not in text, (execution.id, secret)
        exported += 1
    assert exported == 2
