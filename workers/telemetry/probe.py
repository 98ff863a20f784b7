"""What Temporal knows and the ledger does not: reels in flight and task-queue backlogs."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

log = logging.getLogger("monolathe.telemetry")
KINDS = {"workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
         "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}
RUNNING_REELS = 'WorkflowType="ReelWorkflow" AND ExecutionStatus="Running"'


class TemporalProbe:
    def __init__(self, client: Client, task_queues: list[str],
                 channels: list[str] | None = None) -> None:
        self.client = client
        self.task_queues = task_queues
        # Known channels report 0 from the start, so "nothing in flight" is a value, not a gap.
        self.reels_in_flight: dict[str, int] = dict.fromkeys(channels or [], 0)
        self.backlog: dict[tuple[str, str], int] = {}

    async def refresh(self, rpc_timeout: timedelta | None = None) -> None:
        running: Counter[str] = Counter()
        async for wf in self.client.list_workflows(RUNNING_REELS, rpc_timeout=rpc_timeout):
            parts = wf.id.split("/")
            running[parts[1] if len(parts) > 2 else "unknown"] += 1
        # Channels whose reels finished report 0 rather than vanishing from the graph.
        self.reels_in_flight = {c: running.get(c, 0) for c in {*self.reels_in_flight, *running}}
        backlog = {}
        for queue in self.task_queues:
            for kind, tq_type in KINDS.items():
                resp = await self.client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(namespace=self.client.namespace,
                                             task_queue=TaskQueue(name=queue),
                                             task_queue_type=tq_type, report_stats=True),
                    timeout=rpc_timeout)
                backlog[(queue, kind)] = int(resp.stats.approximate_backlog_count)
        self.backlog = backlog

    async def run(self, stop: asyncio.Event, every: float = 5.0) -> None:
        """Refresh until `stop` is set. Stopping waits for the call in flight (bounded by its
        RPC timeout) rather than cancelling it: a cancelled SDK call can abort at exit."""
        while not stop.is_set():
            try:
                await self.refresh(rpc_timeout=timedelta(seconds=every))
            except RPCError as exc:
                log.warning("telemetry probe: %s", exc.message)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
