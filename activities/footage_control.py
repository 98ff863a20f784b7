"""The control plane a reel talks to about footage, through the Temporal client.

A workflow cannot run another workflow's update or query itself, so these small activities
on the `reels` queue do it for ReelWorkflow:

- read_footage_context: the breakers of the policy's sources (update `observe` on
  `backends/health`, started lazily with update-with-start) and what the channel may still
  spend today (query `status` on the parent channel);
- reserve_footage_budget: the update `reserve` on the channel; a refusal by its validator
  is an answer (`accepted=False` with what is left), not an error, so the reel re-routes.

Outcome reports and settlements need no answer: the reel sends them as signals itself.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy

from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    BackendsRequest,
    BackendsView,
    BreakerSettings,
    BudgetReservation,
    ChannelStatus,
    FootageContext,
    FootageContextRequest,
    HealthInput,
    ReservationAnswer,
)
from workflows.health import HEALTH_ID, BackendHealthWorkflow


async def observe_backends(client: Client, task_queue: str, request: BackendsRequest,
                           settings: BreakerSettings) -> BackendsView:
    """Read (and, for a half-open breaker, take the probe of) the sources' breakers,
    starting `backends/health` if it is not running."""
    start = WithStartWorkflowOperation(
        BackendHealthWorkflow.run,
        HealthInput(settings),
        id=HEALTH_ID,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await client.execute_update_with_start_workflow(
        BackendHealthWorkflow.observe, request, start_workflow_operation=start)


def budget_left(status: ChannelStatus) -> float:
    return round(status.daily_budget_usd - status.spend_today_usd - status.reserved_usd, 6)


class FootageControlActivities:
    def __init__(self, client: Client, task_queue: str,
                 breakers: BreakerSettings | None = None) -> None:
        self.client = client
        self.task_queue = task_queue  # where backends/health runs: the reels queue
        self.breakers = breakers or BreakerSettings()  # used when it starts the workflow

    @activity.defn(name="read_footage_context")
    async def read_footage_context(self, request: FootageContextRequest) -> FootageContext:
        backends = await observe_backends(
            self.client, self.task_queue,
            BackendsRequest(request.sources, request.catalog, request.reel_id),
            self.breakers)
        left = None
        if request.channel_workflow_id:
            channel = self.client.get_workflow_handle(request.channel_workflow_id)
            left = budget_left(await channel.query(ChannelWorkflow.status))
        return FootageContext(backends.breakers, left)

    @activity.defn(name="reserve_footage_budget")
    async def reserve_footage_budget(self, reservation: BudgetReservation) -> ReservationAnswer:
        channel = self.client.get_workflow_handle(reservation.channel_workflow_id)
        try:
            # The update id makes a retried activity reserve once.
            return await channel.execute_update(
                ChannelWorkflow.reserve, reservation,
                id=f"reserve/{reservation.reel_id}/{reservation.usd:.6f}")
        except WorkflowUpdateFailedError as refused:
            left = budget_left(await channel.query(ChannelWorkflow.status))
            return ReservationAnswer(False, max(left, 0.0), str(refused.cause))
