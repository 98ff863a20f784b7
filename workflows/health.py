"""BackendHealthWorkflow: the circuit breakers of every visual source, shared by all channels.

Id `backends/health`, started lazily by the first reader with update-with-start. Reels read
it before routing (update `observe`: a half-open breaker hands its one probe to the reader)
and report every call's outcome (signal `report`). `monolathe backends` reads the query
`breakers`. State lives in one `HealthState`, handed whole to the next run on
continue-as-new, so the breakers survive worker and server restarts.
"""

from __future__ import annotations

import copy

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.breakers import record, take, view
    from workflows.contracts import (
        BackendOutcome,
        BackendsRequest,
        BackendsView,
        Breaker,
        HealthInput,
        HealthState,
    )

HEALTH_ID = "backends/health"
# Handler calls per run before continue-as-new; each is a few history events.
CALLS_PER_RUN = 1000


@workflow.defn
class BackendHealthWorkflow:
    @workflow.init
    def __init__(self, input: HealthInput) -> None:
        self.settings = input.settings
        self.state = input.state or HealthState()
        self.calls = 0

    @workflow.update
    def observe(self, request: BackendsRequest) -> BackendsView:
        now = workflow.now()
        self.calls += 1
        if request.catalog:
            self.state.catalog = list(request.catalog)
        views = []
        for name in request.sources:
            breaker = self._breaker(name)
            views.append(view(breaker, now, take(breaker, now, self.settings)))
        return BackendsView(views, list(self.state.catalog))

    @workflow.signal
    def report(self, outcome: BackendOutcome) -> None:
        self.calls += 1
        record(self._breaker(outcome.source), outcome, workflow.now(), self.settings)

    @workflow.query
    def breakers(self) -> BackendsView:
        now = workflow.now()
        views = []
        for breaker in self.state.breakers.values():
            probe = copy.deepcopy(breaker)  # a query reads; it never hands out the probe
            views.append(view(probe, now, take(probe, now, self.settings)))
        return BackendsView(views, list(self.state.catalog))

    @workflow.run
    async def run(self, input: HealthInput) -> None:
        await workflow.wait_condition(
            lambda: self.calls >= CALLS_PER_RUN or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.state.runs += 1
        workflow.continue_as_new(HealthInput(self.settings, self.state))

    def _breaker(self, source: str) -> Breaker:
        if source not in self.state.breakers:
            self.state.breakers[source] = Breaker(source)
        return self.state.breakers[source]
