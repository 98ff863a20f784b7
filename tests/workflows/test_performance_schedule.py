"""The channel's performance Schedule on a real dev server: made hourly with the channel's
queues, brought up to date (not duplicated) when the channel starts again."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from workers.performance_schedule import ensure_performance_schedule
from workflows.contracts import PerformanceCadence
from workflows.performance import schedule_id

REPO = Path(__file__).resolve().parents[2]


async def test_the_schedule_is_hourly_and_updated_in_place(dev_env: WorkflowEnvironment) -> None:
    settings = load_settings(REPO / "temporal.yaml")
    channel = f"perf-{uuid.uuid4().hex[:6]}"
    client = dev_env.client
    assert await ensure_performance_schedule(client, settings, channel) == "created"
    handle = client.get_schedule_handle(schedule_id(channel))
    try:
        described = await handle.describe()
        assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "PerformanceWorkflow"
        assert action.task_queue == settings.queues.reels
        brisk = PerformanceCadence(hourly_until_h=6)
        assert await ensure_performance_schedule(client, settings, channel, brisk) == "updated"
        action = (await handle.describe()).schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        [arg] = action.args  # a described schedule keeps its arguments as payloads
        sent = json.loads(arg.data)
        assert sent["channel"] == channel and sent["cadence"]["hourly_until_h"] == 6
        # An operator's pause outlives the next worker start.
        await handle.pause(note="quota review")
        assert await ensure_performance_schedule(client, settings, channel) == "updated"
        assert (await handle.describe()).schedule.state.paused
    finally:
        await handle.delete()
