"""The gpu activities inside the workflows: on the time-skipping server and a real dev server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.gpu import runtime
from activities.gpu.embeddings import EmbeddingActivities
from activities.gpu.llm_script import LlmScriptActivities
from tests.gpu.conftest import TOPIC, script_request
from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ReelInput, TopicConfig
from workflows.reel import ReelWorkflow

QUEUES = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}


@asynccontextmanager
async def gpu_worker(client: Client, doubles: Doubles, real: list[Any]) -> AsyncIterator[None]:
    """Doubles for the other stages, the real gpu activities under their own names."""
    names = {a.__temporal_activity_definition.name for a in real}
    acts = [a for a in doubles.activities()
            if a.__temporal_activity_definition.name not in names] + real
    with ThreadPoolExecutor(max_workers=2) as pool:
        async with Worker(client, task_queue=QUEUE, workflows=[ChannelWorkflow, ReelWorkflow],
                          activities=acts, activity_executor=pool,
                          max_heartbeat_throttle_interval=timedelta(seconds=1)):
            yield


def _reel(model: Path, max_tokens: int = 700) -> ReelInput:
    name = unique("mlx")
    channel = channel_config(name=name)
    channel.script = script_request(model, max_tokens).channel.script
    return ReelInput(f"reel/{name}/2026-01-01/1", channel, TOPIC, QUEUES)


async def test_reel_writes_its_script_with_the_local_model(time_env: WorkflowEnvironment,
                                                           scripted_model: Path):
    doubles = Doubles(channel_config())
    reel = _reel(scripted_model)
    async with gpu_worker(time_env.client, doubles, [LlmScriptActivities(0.0).write_script_mlx]):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, reel, id=reel.reel_id, task_queue=QUEUE)
    assert result.title == "Why octopuses have three hearts"
    assert result.costs[0].backend == "mlx"
    assert "write_script" not in doubles.calls and "write_script_mlx" in result.stage_seconds


async def test_template_channels_never_ask_the_gpu_writer(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config())
    reel = _reel(Path("/nonexistent"))
    reel.channel.script.writer = "template"
    async with gpu_worker(time_env.client, doubles, []):
        await time_env.client.execute_workflow(
            ReelWorkflow.run, reel, id=reel.reel_id, task_queue=QUEUE)
    assert doubles.calls["write_script"] == 1


async def test_channel_skips_a_topic_that_means_the_same_as_a_recent_one(
        time_env: WorkflowEnvironment, tmp_path: Path):
    feed = tmp_path / "feed.yaml"
    feed.write_text(
        "topics:\n"
        "  - {title: Octopuses have three hearts, facts: [A fact here., Another one.]}\n"
        "  - {title: An octopus has 3 hearts, facts: [A fact here., Another one.]}\n"
        "  - {title: Why the sky is blue, facts: [A fact here., Another one.]}\n")
    config = channel_config(name=unique("novel"), trends_feed=str(feed),
                            topics=TopicConfig(avoid_similar=True, max_similarity=0.8))
    doubles = Doubles(config)
    async with gpu_worker(time_env.client, doubles, [EmbeddingActivities(0.0).pick_novel_topic]):
        result = await time_env.client.execute_workflow(
            ChannelWorkflow.run, ChannelInput(channel=config.name, max_reels=2),
            id=f"channel/{config.name}", task_queue=QUEUE)
    assert [r.topic for r in result.reels] == ["Octopuses have three hearts",
                                               "Why the sky is blue"]
    assert "pick_topic" not in doubles.calls


@pytest.mark.integration
async def test_cancel_stops_generation_between_tokens(dev_env: WorkflowEnvironment,
                                                      endless_model: Path):
    doubles = Doubles(channel_config())
    reel = _reel(endless_model, max_tokens=200_000)  # minutes of tokens if never cancelled
    client = dev_env.client
    async with gpu_worker(client, doubles, [LlmScriptActivities(0.0).write_script_mlx]):
        handle = await client.start_workflow(ReelWorkflow.run, reel, id=reel.reel_id,
                                             task_queue=QUEUE)
        tokens = await _heartbeat_tokens(handle)
        assert tokens > 0 and runtime.compute_lock.locked()
        cancelled_at = time.monotonic()
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        while runtime.compute_lock.locked():  # the generating thread lets go of the model
            await asyncio.sleep(0.05)
        stopped_after = time.monotonic() - cancelled_at
    assert isinstance(failure.value.cause, CancelledError)
    assert stopped_after < 5.0
    assert not doubles.records  # a cancelled reel is not recorded as failed


async def _heartbeat_tokens(handle: Any) -> int:
    """Tokens the running activity reported in its heartbeats (waits for some)."""
    from temporalio.converter import DataConverter

    for _ in range(200):
        described = await handle.describe()
        for pending in described.raw_description.pending_activities:
            if pending.heartbeat_details.payloads:
                details = await DataConverter.default.decode(
                    pending.heartbeat_details.payloads)
                if details and details[0].get("tokens", 0) > 0:
                    return int(details[0]["tokens"])
        await asyncio.sleep(0.1)
    raise AssertionError("the activity never heartbeat its token count")
