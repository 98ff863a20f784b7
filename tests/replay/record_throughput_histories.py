"""Record the histories of reels whose quality check reads compose's picture analysis.

`python -m tests.replay.record_throughput_histories` writes `throughput-v1-*.json`: a
published reel, and a reel whose frozen scene is made again before it passes.
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from tests.workflows.test_quality_remedies import failed
from workflows.contracts import ReelInput, Topic
from workflows.reel import ReelWorkflow

PREFIX = "throughput-v1"


async def _reel(env: WorkflowEnvironment, doubles: Doubles, name: str) -> None:
    queues = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
    reel_id = f"reel/rec-{name}/2026-01-01/1"
    async with worker(env.client, doubles):
        await env.client.execute_workflow(
            ReelWorkflow.run,
            ReelInput(reel_id, doubles.config, Topic("t", facts=["a.", "b."]), queues),
            id=reel_id, task_queue=QUEUE)
    assert doubles.quality_requests[-1].analysis_uri, "compose's analysis reached quality"
    await save_history(env.client, f"{PREFIX}-reel-{name}", reel_id)


async def record(env: WorkflowEnvironment) -> None:
    await _reel(env, Doubles(channel_config(name="tp-a")), "published")
    frozen = failed({"frozen": [[6.0, 0.7]]}, frozen="frozen for 0.70 s from 6.00 s")
    await _reel(env, Doubles(channel_config(name="tp-b"), scenes=3, quality_reports=[frozen]),
                "frozen-remade")


if __name__ == "__main__":
    run_recorder(record)
