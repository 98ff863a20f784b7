"""temporal.yaml's `breakers`: when a failing backend is taken out of routing, and for how long."""

from __future__ import annotations

from pydantic import Field

from activities.config.common import Strict


class _Breakers(Strict):
    failures_to_open: int = Field(3, ge=1, le=100)
    cooldown_s: float = Field(300.0, gt=0)
    max_cooldown_s: float = Field(3600.0, gt=0)
    probe_lease_s: float = Field(1800.0, gt=0)
