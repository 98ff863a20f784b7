"""Record the histories of the footage path (routing, reservations, breakers).

`python -m tests.replay.record_routing_histories` writes `routing-*.json`: a channel whose
reels route paid footage (one scene falls through an outage), its reel, and the
`backends/health` workflow that heard the outcomes.
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import BreakerSettings, ChannelInput, SourceInfo, VisualsPolicy
from workflows.health import HEALTH_ID

PREFIX = "routing"
CATALOG = [
    SourceInfo("veo", "video", 0.92, usd_per_second=0.15, durations=[4, 6, 8]),
    SourceInfo("runway", "video", 0.95, usd_per_second=0.05, durations=[5, 10]),
    SourceInfo("pexels", "video", 0.65),
]


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    policy = VisualsPolicy(sources=["runway", "veo", "pexels", "procedural"],
                           max_usd_per_reel=3.0, min_quality=0.5)
    doubles = Doubles(channel_config(name="rec-footage", daily_budget_usd=5.0, visuals=policy),
                      catalog=list(CATALOG), scenes=3)
    doubles.footage_faults = {"runway": ["", "down", "refused"], "veo": ["refused"]}
    async with worker(client, doubles, BreakerSettings(failures_to_open=1), sticky=False):
        handle = await client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-footage", max_reels=1),
            id="channel/rec-footage", task_queue=QUEUE)
        result = await handle.result()
        await save_history(client, f"{PREFIX}-channel-footage", handle.id)
        await save_history(client, f"{PREFIX}-reel-footage", result.reels[-1].reel_id)
        await save_history(client, f"{PREFIX}-backends-health", HEALTH_ID)


if __name__ == "__main__":
    run_recorder(record)
