"""Record the histories of the per-platform publish path, beside the v1 ones.

`python -m tests.replay.record_publish_histories` writes `publish-v1-*.json`; it never
touches the `v1-*.json` histories, which must keep replaying unchanged.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config
from workflows.channel import ChannelWorkflow
from workflows.contracts import PlatformPublishRequest, Publication, ReelInput, Topic
from workflows.reel import ReelWorkflow

PREFIX = "publish-v1"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    attempts: dict[str, int] = {}

    @activity.defn(name="publish_to_platform")
    async def publish_to_platform(req: PlatformPublishRequest) -> Publication:
        attempts[req.platform] = attempts.get(req.platform, 0) + 1
        if req.platform == "youtube" and attempts[req.platform] == 1:
            raise ApplicationError(
                "youtube quota spent", type="QuotaExceeded", next_retry_delay=timedelta(hours=3)
            )
        return Publication(req.platform, f"{req.platform}-1", f"https://{req.platform}/1")

    queues = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
    config = channel_config(name="rec-pub", platforms=["local", "youtube", "instagram"])
    doubles = Doubles(config)
    async with Worker(
        client,
        task_queue=QUEUE,
        workflows=[ChannelWorkflow, ReelWorkflow],
        activities=[*doubles.activities(), publish_to_platform],
    ):
        reel_id = "reel/rec-pub/2026-01-01/1"
        await client.execute_workflow(
            ReelWorkflow.run,
            ReelInput(reel_id, config, Topic("t", facts=["a", "b"]), queues),
            id=reel_id,
            task_queue=QUEUE,
        )
        await save_history(client, f"{PREFIX}-reel-platforms", reel_id)


if __name__ == "__main__":
    run_recorder(record)
