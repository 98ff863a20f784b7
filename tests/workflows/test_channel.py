"""ChannelWorkflow on the time-skipping server, with activity doubles."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import BudgetUpdate, ChannelInput, ChannelResult, ChannelStatus


async def _status(handle) -> ChannelStatus:
    return await handle.query(ChannelWorkflow.status)


async def _until(handle, predicate, tries: int = 200) -> ChannelStatus:
    for _ in range(tries):
        status = await _status(handle)
        if predicate(status):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never met; last status {status}")


async def _start(env: WorkflowEnvironment, doubles: Doubles, **input_fields):
    name = doubles.config.name
    return await env.client.start_workflow(
        ChannelWorkflow.run,
        ChannelInput(channel=name, **input_fields),
        id=f"channel/{name}",
        task_queue=QUEUE,
    )


async def test_slots_start_reels_with_deterministic_ids(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(name=unique("slots")))
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, doubles, max_reels=3)
        result = await handle.result()
    assert result.reason == "done"
    assert result.published == 3
    ids = [r.reel_id for r in result.reels]
    day = ids[0].split("/")[2]
    assert ids == [f"reel/{doubles.config.name}/{day}/{n}" for n in (1, 2, 3)]
    # each slot picked a different topic
    assert len(set(doubles.topics_served)) == 3


async def test_per_day_cadence_waits_for_the_next_slot(time_env: WorkflowEnvironment):
    config = channel_config(name=unique("perday"))
    config.cadence.slot_seconds = None
    config.cadence.per_day = 4  # a slot every 6 hours from midnight UTC
    doubles = Doubles(config)
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, doubles, max_reels=2)
        result = await handle.result()
        history = await handle.fetch_history()
    assert result.published == 2
    timers = [e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
              for e in history.events if e.HasField("timer_started_event_attributes")]
    assert timers and all(t <= timedelta(hours=6) for t in timers)
    assert any(t > timedelta(hours=5, minutes=59) for t in timers[1:] or timers)


async def test_pause_stops_new_slots_and_resume_continues(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(name=unique("pause")))
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, doubles, slot_seconds=3600, max_reels=3)
        await _until(handle, lambda s: s.published == 1)
        await handle.signal(ChannelWorkflow.pause)
        await _until(handle, lambda s: s.waiting_for == "paused")
        await time_env.sleep(timedelta(hours=5))
        status = await _status(handle)
        assert status.paused and status.published == 1 and not status.in_flight
        await handle.signal(ChannelWorkflow.resume)
        result = await handle.result()
    assert result.published == 3


async def test_kill_cancels_reels_in_flight(dev_env: WorkflowEnvironment):
    # On the real dev server. The compose double blocks until cancelled, so a result at all
    # shows the kill did not wait for the reel in flight (no wall-time bound: load moves it).
    doubles = Doubles(channel_config(name=unique("kill")), block_compose=True)
    async with worker(dev_env.client, doubles):
        handle = await _start(dev_env, doubles)
        status = await _until(handle, lambda s: bool(s.in_flight) and
                              doubles.calls.get("compose_reel", 0) > 0)
        reel_id = next(iter(status.in_flight))
        await handle.signal(ChannelWorkflow.kill)
        result: ChannelResult = await asyncio.wait_for(handle.result(), 120)
        reel = await dev_env.client.get_workflow_handle(reel_id).describe()
        await asyncio.wait_for(doubles.compose_cancelled.wait(), 10)
    assert result.reason == "killed"
    assert reel.status == WorkflowExecutionStatus.CANCELED
    assert result.reels[-1].status == "cancelled"


async def test_budget_stop_holds_new_reels_until_raised(time_env: WorkflowEnvironment):
    config = channel_config(name=unique("budget"), daily_budget_usd=1.0)
    doubles = Doubles(config, reel_usd=0.6)
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, doubles, slot_seconds=1, max_reels=3)
        status = await _until(handle, lambda s: s.waiting_for == "budget")
        assert status.published == 2 and status.spend_today_usd == pytest.approx(1.2)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(ChannelWorkflow.set_budget, BudgetUpdate(0))
        status = await handle.execute_update(ChannelWorkflow.set_budget, BudgetUpdate(5.0))
        assert status.daily_budget_usd == 5.0
        result = await handle.result()
    assert result.published == 3


async def test_continue_as_new_keeps_state(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(name=unique("can")))
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, doubles, max_reels=5, reels_per_run=2)
        result = await handle.result()
        # the handle names the first run; the status lives in the last one
        status = await _status(time_env.client.get_workflow_handle(handle.id))
    assert result.published == 5
    assert status.runs == 3  # 2 + 2 + 1 reels over three runs
    # numbering and topic memory survived both continue-as-new hand-overs
    assert sorted(int(r.reel_id.rsplit("/", 1)[1]) for r in result.reels) == [1, 2, 3, 4, 5]
    assert len(set(doubles.topics_served)) == 5
    assert doubles.calls["load_channel"] == 3


async def test_failed_reel_is_counted_and_the_channel_goes_on(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(name=unique("fail")), fail_voice="voice.model: missing")
    async with worker(time_env.client, doubles):
        handle = await _start(time_env, doubles, max_reels=2)
        result = await handle.result()
    assert result.failed == 2 and result.published == 0
    assert "synthesize_voice" in result.reels[0].error
    assert "voice.model: missing" in result.reels[0].error
    assert [r.status for r in doubles.records] == ["failed", "failed"]
    assert doubles.calls["synthesize_voice"] == 2  # BadInput is not retried


async def test_invalid_channel_fails_the_workflow_with_the_reason(time_env: WorkflowEnvironment):
    from temporalio import activity
    from temporalio.exceptions import ApplicationError
    from temporalio.worker import Worker

    @activity.defn(name="load_channel")
    async def load_channel(ref) -> None:
        raise ApplicationError("channels/bad.yaml: cadence.per_day: must be >= 1",
                               type="BadInput", non_retryable=True)

    async with Worker(time_env.client, task_queue=QUEUE, workflows=[ChannelWorkflow],
                      activities=[load_channel]):
        handle = await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="bad"), id=unique("channel/bad"),
            task_queue=QUEUE)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert "cadence.per_day" in str(failure.value.cause.cause)
