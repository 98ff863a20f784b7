"""Measure what a stage costs: wall time, CPU time, and dollars at the configured rate.

Local backends spend machine time, so their cost is CPU seconds times a rate the operator
sets (`costs.cpu_second_usd` in temporal.yaml); cloud backends add what their API bills.
CPU time of ffmpeg children is added exactly by `activities.ffmpeg_run`, which reaps them
with wait4; in-process CPU is the process's own time, which is an upper bound when several
activities run at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from workflows.contracts import StageCost


@dataclass
class Meter:
    stage: str
    backend: str
    cpu_second_usd: float
    extra_usd: float = 0.0
    child_cpu_seconds: float = 0.0
    _wall0: float = field(default_factory=time.monotonic)
    _cpu0: float = field(default_factory=time.process_time)

    def add_child_cpu(self, seconds: float) -> None:
        self.child_cpu_seconds += seconds

    def cost(self) -> StageCost:
        cpu = (time.process_time() - self._cpu0) + self.child_cpu_seconds
        return StageCost(
            stage=self.stage,
            backend=self.backend,
            seconds=round(time.monotonic() - self._wall0, 3),
            cpu_seconds=round(cpu, 3),
            usd=round(cpu * self.cpu_second_usd + self.extra_usd, 6),
        )
