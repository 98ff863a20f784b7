"""What a stage cost: every activity that spends money or CPU says so in one shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StageCost:
    stage: str
    backend: str
    seconds: float  # wall time inside the activity
    cpu_seconds: float
    usd: float
