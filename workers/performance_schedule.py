"""A channel's performance Schedule: PerformanceWorkflow every hour (the cadence per reel
is the workflow's), created or brought up to date when the channel starts."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from activities.config import Settings
from workers.schedules import ensure_schedule
from workflows.contracts import PerformanceCadence, PerformanceInput
from workflows.performance import PerformanceWorkflow, schedule_id

EVERY = timedelta(hours=1)


def performance_input(settings: Settings, channel: str,
                      cadence: PerformanceCadence | None = None) -> PerformanceInput:
    queues = {name: getattr(settings.queues, name) for name in ("reels", "publish")}
    return PerformanceInput(channel, cadence or PerformanceCadence(), queues)


def performance_schedule(settings: Settings, channel: str,
                         cadence: PerformanceCadence | None = None,
                         every: timedelta = EVERY) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PerformanceWorkflow.run, performance_input(settings, channel, cadence),
            id=f"{schedule_id(channel)}/run", task_queue=settings.queues.reels,
            execution_timeout=timedelta(hours=30)),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A run waiting for a quota reset is still going when the next is due: skip it.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_performance_schedule(client: Client, settings: Settings, channel: str,
                                      cadence: PerformanceCadence | None = None) -> str:
    return await ensure_schedule(client, schedule_id(channel),
                                 performance_schedule(settings, channel, cadence))
