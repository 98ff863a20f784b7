"""Record the histories of human review (`python -m tests.replay.record_review_histories`):
`review-*.json` beside the others, which must keep replaying unchanged."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ReelInput, ReviewAnswer, ReviewConfig, Topic
from workflows.reel import ReelWorkflow

PREFIX = "review"
QUEUES = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}


async def _until_waiting(handle, revisions: int = 0) -> None:
    for _ in range(400):
        review = (await handle.query(ReelWorkflow.progress)).review
        if review and review.status == "waiting" and review.revisions == revisions:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the reel never waited for review")


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    review = ReviewConfig(mode="required", timeout_s=3600)
    # a channel whose reel is approved after a revision
    config = channel_config(name="rec-review", review=review)
    async with worker(client, Doubles(config)):
        handle = await client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-review", max_reels=1),
            id="channel/rec-review", task_queue=QUEUE)
        for _ in range(400):
            status = await handle.query(ChannelWorkflow.status)
            if status.awaiting_review:
                break
            await asyncio.sleep(0.05)
        reel = client.get_workflow_handle(next(iter(status.awaiting_review)))
        await reel.execute_update(ReelWorkflow.revise, ReviewAnswer("hook: Shorter."))
        await _until_waiting(reel, revisions=1)
        await reel.execute_update(ReelWorkflow.approve, ReviewAnswer(by="rec"))
        await handle.result()
        await save_history(client, f"{PREFIX}-channel-revised-approved", handle.id)
        await save_history(client, f"{PREFIX}-reel-revised-approved", reel.id)

    # one-off reels: rejected, and left to time out (rejected by the channel's rule)
    for name, answer in (("rejected", "reject"), ("timed-out", "")):
        reel_id = f"reel/rec-review/2026-01-01/{name}"
        async with worker(client, Doubles(config)):
            reel = await client.start_workflow(
                ReelWorkflow.run, ReelInput(reel_id, config, Topic("t", facts=["a", "b"]),
                                            QUEUES), id=reel_id, task_queue=QUEUE)
            if answer:
                await _until_waiting(reel)
                await reel.execute_update(ReelWorkflow.reject, ReviewAnswer("off-topic"))
            await reel.result()
            await save_history(client, f"{PREFIX}-reel-{name}", reel_id)


if __name__ == "__main__":
    run_recorder(record)
