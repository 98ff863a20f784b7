"""Retries by kind of failure: a dead worker never spends the budget meant for the work."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from tests.workflows.test_reel import _input
from workflows.reel import ReelWorkflow


async def _run(env: WorkflowEnvironment, doubles: Doubles, prefix: str):
    name = unique(prefix)
    async with worker(env.client, doubles):
        return await env.client.execute_workflow(
            ReelWorkflow.run, _input(name), id=f"reel/{name}", task_queue=QUEUE)


async def test_compose_that_stops_heartbeating_five_times_still_publishes(
    time_env: WorkflowEnvironment,
):
    doubles = Doubles(channel_config(), compose_faults=["stall"] * 5)
    result = await _run(time_env, doubles, "stall")
    assert doubles.calls["compose_reel"] == 6
    assert result.publications[0].platform == "local"


async def test_work_failures_run_the_stage_three_times_then_fail_the_reel(
    time_env: WorkflowEnvironment,
):
    doubles = Doubles(channel_config(), compose_faults=["crash", "tool", "crash", "crash"])
    with pytest.raises(WorkflowFailureError) as failure:
        await _run(time_env, doubles, "crash")
    assert doubles.calls["compose_reel"] == 3
    assert "compose_reel" in str(failure.value.cause)
    assert "RuntimeError: compose double crashed" in str(failure.value.cause)
    assert doubles.records[-1].status == "failed"


async def test_work_failures_between_dead_workers_keep_their_own_count(
    time_env: WorkflowEnvironment,
):
    doubles = Doubles(channel_config(),
                      compose_faults=["stall", "crash", "stall", "stall", "tool"])
    result = await _run(time_env, doubles, "mixed")
    assert doubles.calls["compose_reel"] == 6
    assert result.title


async def test_bad_input_fails_at_once(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(), compose_faults=["bad"])
    with pytest.raises(WorkflowFailureError) as failure:
        await _run(time_env, doubles, "bad")
    assert doubles.calls["compose_reel"] == 1
    assert "bad clip" in str(failure.value.cause)
