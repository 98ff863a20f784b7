"""Record the history of a reel with illustrated scenes (icons matched on the gpu queue).

`python -m tests.replay.record_illustrated_histories` writes `illustrated-v1-reel.json`: a
channel whose sources are `[illustrated, procedural]`, so the reel asks `match_icons` (behind
the `illustrated-scenes-v1` patch) before `make_visuals`; and `illustrated-v2-reel-counted`:
scenes as the matcher answers them since counts draw the counted noun (three hearts with the
octopus beside them, a factor set as "5×").
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, SceneIcons, VisualsPolicy

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
    counted = Doubles(channel_config(name="rec-counted", visuals=policy), scenes=2,
                      icon_matches=[SceneIcons(["2665", "1F419"], ["heart suit", "octopus"],
                                               [0.72, 0.94], count=3, relevance=0.66),
                                    SceneIcons(["2600"], ["sun"], [0.5], number="5×",
                                               relevance=0.4)])
    async with worker(client, counted):
        handle = await client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-counted", max_reels=1),
            id="channel/rec-counted", task_queue=QUEUE)
        result = await handle.result()
        assert counted.visuals_requests[-1].illustrations[0].count == 3
        await save_history(client, "illustrated-v2-reel-counted", result.reels[-1].reel_id)


if __name__ == "__main__":
    run_recorder(record)
