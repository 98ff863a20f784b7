"""ReelWorkflow on the time-skipping server, with activity doubles."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workflows.contracts import ReelInput, ReelProgress, Topic
from workflows.reel import ReelWorkflow


def _input(name: str) -> ReelInput:
    queues = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
    return ReelInput(f"reel/{name}/2026-01-01/1", channel_config(name=name),
                     Topic("topic", facts=["a.", "b."]), queues)


async def test_stages_run_in_order_and_costs_add_up(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config())
    name = unique("order")
    async with worker(time_env.client, doubles):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, _input(name), id=f"reel/{name}", task_queue=QUEUE)
        progress = await time_env.client.get_workflow_handle(f"reel/{name}").query(
            ReelWorkflow.progress)
    assert [c.stage for c in result.costs] == ["script", "voice", "visuals", "compose",
                                               "publish"]
    assert set(result.stage_seconds) == {"write_script", "synthesize_voice", "make_visuals",
                                         "compose_reel", "check_quality", "publish_reel"}
    assert result.publications[0].platform == "local"
    assert isinstance(progress, ReelProgress) and progress.stage == "done"
    assert doubles.records[-1].status == "published"
    # The picture was measured as it was encoded: quality reads that, not the frames again.
    assert doubles.quality_requests[-1].analysis_uri == "file:///picture-analysis.json"


async def test_quality_failure_recomposes_once_with_safe_settings(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(), quality_failures=1)
    name = unique("qa")
    async with worker(time_env.client, doubles):
        await time_env.client.execute_workflow(
            ReelWorkflow.run, _input(name), id=f"reel/{name}", task_queue=QUEUE)
    assert doubles.compose_safe_flags == [False, True]
    assert doubles.calls["check_quality"] == 2


async def test_second_quality_failure_fails_the_reel_with_the_check(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(), quality_failures=2)
    name = unique("qa2")
    async with worker(time_env.client, doubles):
        with pytest.raises(WorkflowFailureError) as failure:
            await time_env.client.execute_workflow(
                ReelWorkflow.run, _input(name), id=f"reel/{name}", task_queue=QUEUE)
    message = str(failure.value.cause)
    assert "check_quality" in message and "black" in message
    assert doubles.records[-1].status == "failed"
    assert "publish_reel" not in doubles.calls
