"""Record the histories of quality remedies and work-failure retries, beside the others.

`python -m tests.replay.record_remedy_histories` writes `remedies-v1-*.json`: a reel whose
frozen scene is made again, a reel whose remedies are spent, and a reel whose compose fails
in its own work once and is run again by the workflow.
"""

from __future__ import annotations

from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from tests.workflows.test_quality_remedies import failed
from workflows.contracts import ReelInput, Topic
from workflows.reel import ReelWorkflow

PREFIX = "remedies-v1"


async def _reel(env: WorkflowEnvironment, doubles: Doubles, name: str) -> None:
    queues = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
    reel_id = f"reel/rec-{name}/2026-01-01/1"
    async with worker(env.client, doubles):
        try:
            await env.client.execute_workflow(
                ReelWorkflow.run,
                ReelInput(reel_id, doubles.config, Topic("t", facts=["a.", "b."]), queues),
                id=reel_id, task_queue=QUEUE)
        except WorkflowFailureError:
            pass  # the failed reel's history is the point
    await save_history(env.client, f"{PREFIX}-reel-{name}", reel_id)


async def record(env: WorkflowEnvironment) -> None:
    frozen = failed({"frozen": [[6.0, 0.7]]}, frozen="frozen for 0.70 s from 6.00 s")
    await _reel(env, Doubles(channel_config(name="a"), scenes=3, quality_reports=[
        frozen, failed(lufs=-15.5, loudness="integrated -15.5 LUFS")]), "frozen-remade")
    await _reel(env, Doubles(channel_config(name="b"), scenes=2, quality_reports=[frozen] * 3),
                "remedies-spent")
    await _reel(env, Doubles(channel_config(name="c"), compose_faults=["crash", "stall"]),
                "work-retry")


if __name__ == "__main__":
    run_recorder(record)
