"""Record the histories of a channel whose reels carry their slot.

`python -m tests.replay.record_slo_histories` writes `slo-v1-channel-slots.json` and
`slo-v1-reel-slot.json`: two reels, the second held past its slot by `max_in_flight`, each
started with `slot_at` and recording its lateness once published.
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput

PREFIX = "slo-v1"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    async with worker(client, Doubles(channel_config(name="rec-slo"))):
        handle = await client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel="rec-slo", max_reels=2),
            id="channel/rec-slo", task_queue=QUEUE)
        result = await handle.result()
        assert result.published == 2, result
        await save_history(client, f"{PREFIX}-channel-slots", handle.id)
        await save_history(client, f"{PREFIX}-reel-slot", result.reels[-1].reel_id)


if __name__ == "__main__":
    run_recorder(record)
