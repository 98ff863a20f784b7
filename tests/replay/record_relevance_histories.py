"""Record the history of a reel whose stock scene is remade for its relevance.

`python -m tests.replay.record_relevance_histories` writes `relevance-v1-reel-remade.json`: a
channel on `[pexels, pixabay, procedural]` with `min_relevance: 0.3`; after make_visuals the
reel asks `score_scene_relevance` (behind the `scene-relevance-v1` patch), finds scene 1 under
the threshold, makes it again from pixabay, draws the visuals again and scores that scene.
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from tests.workflows.test_relevance import STOCK
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, VisualsPolicy

PREFIX = "relevance-v1"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    policy = VisualsPolicy(sources=["pexels", "pixabay", "procedural"], min_relevance=0.3)
    doubles = Doubles(channel_config(name="rec-relevance", visuals=policy), scenes=2,
                      catalog=list(STOCK), visuals_from_footage=True,
                      relevance={"pexels clip of scene 1": 0.05})
    async with worker(client, doubles, sticky=False):
        handle = await client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-relevance", max_reels=1),
            id="channel/rec-relevance", task_queue=QUEUE)
        result = await handle.result()
        assert doubles.calls.get("score_scene_relevance") == 2, doubles.calls
        assert doubles.calls.get("make_visuals") == 2, doubles.calls
        await save_history(client, f"{PREFIX}-reel-remade", result.reels[-1].reel_id)


if __name__ == "__main__":
    run_recorder(record)
