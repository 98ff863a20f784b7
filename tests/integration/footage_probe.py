"""A workflow that runs the generate_footage stage alone, as a reel does, for the crash test."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import Footage, FootageRequest
    from workflows.stages import GENERATE_FOOTAGE


@dataclass
class FootageProbe:
    request: FootageRequest
    generate_queue: str
    heartbeat_s: float = 3.0  # a killed worker is noticed this fast (the stage says 30 s)


@workflow.defn
class FootageProbeWorkflow:
    @workflow.run
    async def run(self, probe: FootageProbe) -> Footage:
        stage = replace(GENERATE_FOOTAGE, heartbeat=timedelta(seconds=probe.heartbeat_s))
        return await stage.execute(probe.request, Footage, {"generate": probe.generate_queue})
