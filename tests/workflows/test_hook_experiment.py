"""The hook experiment: a channel with two hook styles gives its reels one and then the
other, slot by slot, across continue-as-new; each reel's style reaches its script writer,
its ledger record and its manifest."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ChannelResult, ReelResult


async def test_two_hook_styles_alternate_slot_by_slot(time_env: WorkflowEnvironment):
    config = channel_config(name=unique("hooks"), hook_experiment=["question", "bold-claim"])
    doubles = Doubles(config)
    async with worker(time_env.client, doubles):
        # Three reels a run (an odd count): the turn goes on through continue-as-new.
        result = await time_env.client.execute_workflow(
            ChannelWorkflow.run, ChannelInput(channel=config.name, slot_seconds=1, max_reels=5,
                                              reels_per_run=3),
            id=f"channel/{config.name}", task_queue=QUEUE, result_type=ChannelResult)
        reels = sorted(doubles.records, key=lambda r: int(r.reel_id.rsplit("/", 1)[1]))
        manifests = []
        for record in reels:
            done = await time_env.client.get_workflow_handle(
                record.reel_id, result_type=ReelResult).result()
            manifests.append(done.manifest.hook_style)
    assert result.published == 5
    expected = ["question", "bold-claim", "question", "bold-claim", "question"]
    assert [r.hook_style for r in reels] == expected
    assert doubles.script_hooks == expected
    assert manifests == expected


async def test_a_channel_without_an_experiment_writes_hooks_as_before(
        time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(name=unique("nohooks")))
    async with worker(time_env.client, doubles):
        await time_env.client.execute_workflow(
            ChannelWorkflow.run, ChannelInput(channel=doubles.config.name, slot_seconds=1,
                                              max_reels=2),
            id=f"channel/{doubles.config.name}", task_queue=QUEUE, result_type=ChannelResult)
    assert doubles.script_hooks == ["", ""]
    assert [r.hook_style for r in doubles.records] == ["", ""]
