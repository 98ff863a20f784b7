"""One trend-scout run on the time-skipping server, its reels-queue activities and one gpu
activity (MiniLM) given by the test, with or without the gpu worker picking work up."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.channel import ChannelActivities
from activities.config import Settings
from activities.ledger import Ledger, TopicRow
from workers.work_errors import WorkErrorInterceptor
from workflows.contracts import ScoutInput, ScoutResult
from workflows.scout import TrendScoutWorkflow


async def run_scout(env: WorkflowEnvironment, settings: Settings, ledger: Ledger, name: str,
                    queue: str, activities: list[Callable[..., Any]],
                    gpu_activity: Callable[..., Any], with_gpu: bool,
                    ) -> tuple[ScoutResult, dict[str, TopicRow], str]:
    """The run's result, the queue's rows by title and the run's workflow id."""
    workflow_id = f"trends/{queue}"
    with ThreadPoolExecutor(max_workers=4) as pool:
        async with Worker(env.client, task_queue=queue, workflows=[TrendScoutWorkflow],
                          activities=[ChannelActivities(settings, ledger).load_channel,
                                      *activities],
                          activity_executor=pool, interceptors=[WorkErrorInterceptor()]):
            gpu = Worker(env.client, task_queue=f"{queue}-gpu", activities=[gpu_activity],
                         activity_executor=pool)
            if with_gpu:
                async with gpu:
                    result = await env.client.execute_workflow(
                        TrendScoutWorkflow.run, ScoutInput(name), id=workflow_id,
                        task_queue=queue, result_type=ScoutResult)
            else:
                # The test server does not skip time while an activity waits for a worker:
                # a short wait for the gpu worker instead of the default.
                result = await env.client.execute_workflow(
                    TrendScoutWorkflow.run, ScoutInput(name, relevance_wait_s=2),
                    id=workflow_id, task_queue=queue, result_type=ScoutResult)
    with ledger.session() as s:
        rows = {r.title: r for r in s.exec(select(TopicRow))}
    return result, rows, workflow_id
