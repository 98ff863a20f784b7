"""The orchestration soak: 5 channels at 10 reels a day for 72 simulated hours.

Runs on the time-skipping server with the quick activity doubles: every slot must start its
reel once and on time (no drift across days and continue-as-new hand-overs), each run's
history must stay bounded, and the worker's memory must not grow with the reels it ran.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from datetime import datetime, timedelta

import psutil
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique
from workers.work_errors import WorkErrorInterceptor
from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    Cadence,
    ChannelInput,
    ChannelRef,
    ChannelResult,
    ChannelSetup,
    Script,
    ScriptRequest,
)
from workflows.reel import ReelWorkflow

pytestmark = pytest.mark.chaos
CHANNELS, PER_DAY, DAYS = 5, 10, 3
SLOT = timedelta(days=1) / PER_DAY
REELS_PER_RUN = 8  # a hand-over every 8 reels: 3 continue-as-new per channel
MAX_EVENTS_PER_RUN = 1500  # a run's history; unbounded growth would pass it within a day
MAX_RSS_GROWTH_MB = 150  # generous: the worker's resident memory, last third vs first


class SoakDoubles(Doubles):
    """The doubles, for several channels at once, remembering when each reel began."""

    def __init__(self) -> None:
        super().__init__(channel_config(cadence=Cadence(per_day=PER_DAY, slot_seconds=None),
                                        daily_budget_usd=100.0))
        self.started: dict[str, datetime] = {}  # reel id -> when its first stage was scheduled

    def activities(self) -> list:
        doubles = super().activities()
        by_name = {activity._Definition.must_from_callable(a).name: a for a in doubles}
        write_script = by_name["write_script"]

        @activity.defn(name="load_channel")
        async def load_channel(ref: ChannelRef) -> ChannelSetup:
            config = dataclasses.replace(self.config, name=ref.name,
                                         cadence=dataclasses.replace(self.config.cadence))
            return ChannelSetup(config, reels_today=0, queues={q: QUEUE for q in
                                                               ("reels", "media", "gpu",
                                                                "publish")})

        @activity.defn(name="write_script")
        async def timed_script(req: ScriptRequest) -> Script:
            self.started.setdefault(req.reel_id, activity.info().current_attempt_scheduled_time)
            return await write_script(req)

        by_name.update(load_channel=load_channel, write_script=timed_script)
        return list(by_name.values())


async def _run_lengths(client: Client, workflow_id: str) -> list[int]:
    """The history length of every run of a workflow, newest first, back through the chain."""
    lengths, run_id = [], ""
    while True:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id or None)
        events = [e async for e in handle.fetch_history_events()]
        lengths.append(len(events))
        previous = events[0].workflow_execution_started_event_attributes \
            .continued_execution_run_id
        if not previous:
            return lengths
        run_id = previous


async def _sample_memory(samples: list[float], stop: asyncio.Event) -> None:
    me = psutil.Process()
    while not stop.is_set():
        gc.collect()
        samples.append(me.memory_info().rss / 2**20)
        await asyncio.sleep(0.5)


async def test_five_channels_for_three_days_fire_every_slot_once_on_time(
        time_env: WorkflowEnvironment):
    doubles = SoakDoubles()
    names = [unique(f"soak{i}") for i in range(CHANNELS)]
    reels = PER_DAY * DAYS
    samples: list[float] = []
    stop = asyncio.Event()
    async with Worker(time_env.client, task_queue=QUEUE,
                      workflows=[ChannelWorkflow, ReelWorkflow],
                      activities=doubles.activities(), interceptors=[WorkErrorInterceptor()],
                      max_cached_workflows=50):
        sampler = asyncio.create_task(_sample_memory(samples, stop))
        handles = [await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=name, max_reels=reels,
                                              reels_per_run=REELS_PER_RUN),
            id=f"channel/{name}", task_queue=QUEUE, result_type=ChannelResult)
            for name in names]
        # One result awaited at a time: each await lets the server skip time, and the
        # channels share that clock, so all five move together.
        results = [await handle.result() for handle in handles]
        stop.set()
        await sampler
        lengths = {name: await _run_lengths(time_env.client, f"channel/{name}")
                   for name in names}

    for name, result in zip(names, results, strict=True):
        assert (result.published, result.failed) == (reels, 0), result
        started = sorted(t for r, t in doubles.started.items() if r.startswith(f"reel/{name}/"))
        assert len(started) == reels, f"{name}: {len(started)} reels began, not {reels}"
        first = started[0]
        for n, at in enumerate(started):
            # each reel begins at its own slot: no slot skipped, doubled or drifting
            assert abs(at - (first + SLOT * n)) < timedelta(minutes=1), (name, n, at, first)
        runs = lengths[name]
        assert len(runs) >= reels // REELS_PER_RUN, runs
        assert max(runs) < MAX_EVENTS_PER_RUN, runs
    third = max(1, len(samples) // 3)
    early, late = max(samples[:third]), max(samples[-third:])
    print(f"\nsoak: {CHANNELS * reels} reels over {DAYS * 24} simulated hours; "
          f"worker RSS {early:.0f} MB early, {late:.0f} MB late; "
          f"runs per channel {len(lengths[names[0]])}, longest history "
          f"{max(max(v) for v in lengths.values())} events")
    assert late - early < MAX_RSS_GROWTH_MB, samples
