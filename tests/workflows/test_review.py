"""Human review in ReelWorkflow on the time-skipping server, with activity doubles."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import temporalio.api.sdk.v1
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    ChannelInput,
    ReelInput,
    ReelProgress,
    ReelResult,
    ReviewAnswer,
    ReviewConfig,
    Topic,
)
from workflows.reel import ReelWorkflow

QUEUES = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}


def _reviewed(name: str, **review) -> ReelInput:
    config = channel_config(name=name, review=ReviewConfig(mode="required", **review))
    return ReelInput(f"reel/{name}/2026-01-01/1", config, Topic("topic", facts=["a.", "b."]),
                     QUEUES)


async def _start(env: WorkflowEnvironment, input: ReelInput) -> WorkflowHandle:
    return await env.client.start_workflow(ReelWorkflow.run, input, id=input.reel_id,
                                           task_queue=QUEUE)


async def _waiting(handle: WorkflowHandle) -> ReelProgress:
    for _ in range(400):
        progress = await handle.query(ReelWorkflow.progress)
        if progress.review and progress.review.status == "waiting":
            return progress
        await asyncio.sleep(0.05)
    raise AssertionError(f"never waited for review: {progress}")


async def test_approved_reel_is_published_after_the_wait(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config())
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, _reviewed(unique("approve")))
        progress = await _waiting(handle)
        assert progress.stage == "review"
        # the Temporal Web UI shows a workflow's current details (its metadata query)
        metadata = await handle.query("__temporal_workflow_metadata",
                                      result_type=temporalio.api.sdk.v1.WorkflowMetadata)
        assert metadata.current_details.startswith("waiting for review since")
        assert "publish_reel" not in doubles.calls  # nothing uploaded before the answer
        manifest = await handle.query(ReelWorkflow.manifest)
        assert manifest.script and manifest.quality and manifest.composed
        state = await handle.execute_update(ReelWorkflow.approve, ReviewAnswer(by="ana"))
        assert state.status == "approved" and state.by == "ana"
        result = await handle.result()
    assert result.status == "published" and doubles.calls["publish_reel"] == 1
    assert doubles.records[-1].status == "published"


async def test_rejected_reel_is_recorded_with_reason_and_cost_never_published(
        time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(), reel_usd=0.02)
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, _reviewed(unique("reject")))
        await _waiting(handle)
        await handle.execute_update(ReelWorkflow.reject, ReviewAnswer("off-brand music"))
        result: ReelResult = await handle.result()
    assert result.status == "rejected" and result.reason == "off-brand music"
    assert result.total_usd == 0.02 and result.publications == []
    assert "publish_reel" not in doubles.calls
    record = doubles.records[-1]
    assert record.status == "rejected" and "off-brand music" in record.error
    assert record.costs  # what making it cost is kept


async def test_revise_writes_the_script_again_with_the_notes(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config())
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, _reviewed(unique("revise"), max_revisions=1))
        await _waiting(handle)
        state = await handle.execute_update(ReelWorkflow.revise,
                                            ReviewAnswer("hook: Shorter hook."))
        assert state.status == "revising"
        progress = await _waiting(handle)
        assert progress.review.revisions == 1
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(ReelWorkflow.revise, ReviewAnswer("again"))
        assert "limit" in str(refused.value.cause)
        await handle.execute_update(ReelWorkflow.approve, ReviewAnswer())
        result = await handle.result()
    assert result.status == "published"
    assert doubles.script_notes == ["", "hook: Shorter hook."]
    assert doubles.calls["compose_reel"] == 2


@pytest.mark.parametrize("on_timeout", ["reject", "approve"])
async def test_no_answer_within_the_timeout(time_env: WorkflowEnvironment, on_timeout: str):
    doubles = Doubles(channel_config())
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, _reviewed(unique(f"timeout-{on_timeout}"),
                                                  timeout_s=3600, on_timeout=on_timeout))
        result = await handle.result()  # the time-skipping server jumps the hour
        progress = await handle.query(ReelWorkflow.progress)
    assert progress.review.decision == f"timeout-{on_timeout}"
    assert progress.review.latency_s >= 3600
    if on_timeout == "reject":
        assert result.status == "rejected" and "publish_reel" not in doubles.calls
    else:
        assert result.status == "published" and doubles.calls["publish_reel"] == 1


async def test_a_second_answer_and_an_answer_to_a_reel_not_waiting_are_refused(
        time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(), block_compose=True)
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, _reviewed(unique("twice")))
        await asyncio.sleep(0.5)  # still composing: not waiting yet
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await handle.execute_update(ReelWorkflow.approve, ReviewAnswer())
        assert "not under review" in str(early.value.cause)
        doubles.block_compose = False
        await handle.cancel()
    doubles = Doubles(channel_config())
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, _reviewed(unique("twice2")))
        await _waiting(handle)
        with pytest.raises(WorkflowUpdateFailedError) as empty:
            await handle.execute_update(ReelWorkflow.reject, ReviewAnswer("  "))
        assert "reason" in str(empty.value.cause)
        await handle.execute_update(ReelWorkflow.approve, ReviewAnswer(by="ana"))
        with pytest.raises(WorkflowUpdateFailedError) as second:
            await handle.execute_update(ReelWorkflow.reject, ReviewAnswer("too late", by="bo"))
        assert "approve already answered" in str(second.value.cause)
        result = await handle.result()
    assert result.status == "published"


async def test_channel_lists_reels_awaiting_review_and_counts_rejections(
        time_env: WorkflowEnvironment):
    name = unique("chreview")
    doubles = Doubles(channel_config(name=name, review=ReviewConfig(mode="required")))
    async with worker(time_env.client, doubles):
        handle = await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=name, max_reels=1), id=f"channel/{name}",
            task_queue=QUEUE)
        for _ in range(400):
            status = await handle.query(ChannelWorkflow.status)
            if status.awaiting_review:
                break
            await asyncio.sleep(0.05)
        reel_id = next(iter(status.awaiting_review))
        reel = time_env.client.get_workflow_handle(reel_id)
        await reel.execute_update(ReelWorkflow.reject, ReviewAnswer("wrong facts"))
        result = await handle.result()
        status = await handle.query(ChannelWorkflow.status)
    assert result.published == 0 and status.rejected == 1 and not status.awaiting_review
    assert result.reels[0].status == "rejected" and result.reels[0].error == "wrong facts"
    assert doubles.calls.get("pick_topic") == 1  # the slot is not retried


async def test_unreviewed_channel_never_waits(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config())
    name = unique("noreview")
    config = channel_config(name=name, review=ReviewConfig(mode="none"))
    async with worker(time_env.client, doubles):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run,
            ReelInput(f"reel/{name}/1", config, Topic("t", facts=["a.", "b."]), QUEUES),
            id=f"reel/{name}/1", task_queue=QUEUE, execution_timeout=timedelta(minutes=5))
    assert result.status == "published"


async def test_review_metrics_reach_the_sdk_prometheus_endpoint(time_env: WorkflowEnvironment):
    import socket
    import urllib.request

    from temporalio.client import Client
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runtime = Runtime(telemetry=TelemetryConfig(
        metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}")))
    client = await Client.connect(time_env.client.service_client.config.target_host,
                                  namespace=time_env.client.namespace, runtime=runtime)
    doubles = Doubles(channel_config())
    name = unique("metrics")
    async with worker(client, doubles):
        handle = await client.start_workflow(ReelWorkflow.run, _reviewed(name), id=f"m/{name}",
                                             task_queue=QUEUE)
        await _waiting(handle)
        await handle.execute_update(ReelWorkflow.approve, ReviewAnswer())
        await handle.result()
    text = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode())
    lines = [line for line in text.splitlines() if name in line]
    assert any(line.startswith("monolathe_review_requests") for line in lines), text[-2000:]
    assert any(line.startswith("monolathe_review_answers") and 'decision="approve"' in line
               for line in lines)
    assert any(line.startswith("monolathe_review_latency") for line in lines)
