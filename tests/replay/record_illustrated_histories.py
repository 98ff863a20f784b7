"""Record the history of a reel with illustrated scenes (icons matched on the gpu queue).

`python -m tests.replay.record_illustrated_histories` writes `illustrated-v1-reel.json`: a
channel whose sources are `[illustrated, procedural]`, so the reel asks `match_icons` (behind
the `illustrated-scenes-v1` patch) before `make_visuals`.
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, VisualsPolicy

PREFIX = "illustrated-v1"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    policy = VisualsPolicy(sources=["illustrated", "procedural"])
    doubles = Doubles(channel_config(name="rec-illustrated", visuals=policy), scenes=3)
    async with worker(client, doubles):
        handle = await client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-illustrated", max_reels=1),
            id="channel/rec-illustrated", task_queue=QUEUE)
        result = await handle.result()
        assert doubles.calls.get("match_icons") == 1, doubles.calls
        await save_history(client, f"{PREFIX}-reel", result.reels[-1].reel_id)


if __name__ == "__main__":
    run_recorder(record)
