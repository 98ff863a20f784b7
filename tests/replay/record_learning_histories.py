"""Record the histories of learning from past reels, beside the others.

`python -m tests.replay.record_learning_histories` writes `learning-*.json`: scout runs with
the predicted-performance term (predicted on the gpu worker, neutral without past reels, no
gpu worker), and a channel running a hook experiment with one of its reels.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.gpu.test_predicted_performance import scout_learning
from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ChannelResult

PREFIX = "learning"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for name, past, with_gpu in (("scout-predicted", True, True),
                                     ("scout-no-past-reels", False, True),
                                     ("scout-no-gpu-worker", True, False)):
            (tmp / name).mkdir()
            _, _, workflow_id = await scout_learning(env, tmp / name, past=past,
                                                     with_gpu=with_gpu)
            await save_history(client, f"{PREFIX}-{name}", workflow_id)

    doubles = Doubles(channel_config(name="rec-hooks",
                                     hook_experiment=["question", "bold-claim"]))
    async with worker(client, doubles):
        result = await client.execute_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-hooks", slot_seconds=1, max_reels=2),
            id="channel/rec-hooks", task_queue=QUEUE, result_type=ChannelResult)
    await save_history(client, f"{PREFIX}-channel-hook-experiment", "channel/rec-hooks")
    await save_history(client, f"{PREFIX}-reel-hook-style", result.reels[1].reel_id)


if __name__ == "__main__":
    run_recorder(record)
