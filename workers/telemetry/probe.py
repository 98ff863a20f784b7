"""What Temporal knows and the ledger does not: reels in flight, task-queue backlogs, the
visual sources' breakers (`backends/health`) and each running channel's daily budget
(overrides set with `set_budget` live only in the channel's workflow)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from workflows.contracts import BackendsView, BreakerView, ChannelStatus
from workflows.health import HEALTH_ID

log = logging.getLogger("monolathe.telemetry")
KINDS = {"workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
         "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}
RUNNING_REELS = 'WorkflowType="ReelWorkflow" AND ExecutionStatus="Running"'
# Prometheus scrapes every 15 s (infra/prometheus*.yml), so a faster refresh is never seen.
# A refresh is a visibility query, eight backlog reads and a query to each channel: every
# 5 s that cost the server and the reels worker 0.5 CPU s a minute between them.
REFRESH_EVERY_S = 15.0


class TemporalProbe:
    def __init__(self, client: Client, task_queues: list[str],
                 channels: list[str] | None = None) -> None:
        self.client = client
        self.task_queues = task_queues
        # Known channels report 0 from the start, so "nothing in flight" is a value, not a gap.
        self.reels_in_flight: dict[str, int] = dict.fromkeys(channels or [], 0)
        self.backlog: dict[tuple[str, str], int] = {}
        self.breakers: list[BreakerView] = []
        self.daily_budgets: dict[str, float] = {}

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
        await self.refresh_control_plane(rpc_timeout)

    async def refresh_control_plane(self, rpc_timeout: timedelta | None = None) -> None:
        """The breakers, and the daily budget each running channel's workflow holds."""
        self.breakers = (await self._query(HEALTH_ID, "breakers", BackendsView,
                                           rpc_timeout) or BackendsView([])).breakers
        budgets = {}
        for channel in self.reels_in_flight:
            status = await self._query(f"channel/{channel}", "status", ChannelStatus, rpc_timeout)
            if status is not None and not status.killed:
                budgets[channel] = status.daily_budget_usd
        self.daily_budgets = budgets

    async def _query(self, workflow_id: str, query: str, result_type: type,
                     rpc_timeout: timedelta | None):  # type: ignore[no-untyped-def]
        """A query's answer, or None when the workflow does not exist or has closed."""
        try:
            return await self.client.get_workflow_handle(workflow_id).query(
                query, result_type=result_type, rpc_timeout=rpc_timeout)
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION,
                              RPCStatusCode.INVALID_ARGUMENT):
                return None
            raise
        except WorkflowQueryFailedError:
            # A busy worker could not answer in time ("workflow didn't yield within 2
            # second(s)"): no figure this round, the next refresh asks again.
            return None

    async def run(self, stop: asyncio.Event, every: float = REFRESH_EVERY_S) -> None:
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
