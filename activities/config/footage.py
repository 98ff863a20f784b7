"""temporal.yaml's `visuals`: the footage sources this host may use, their prices and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field

from activities.config.common import Strict, resolve


class _Source(Strict):
    kind: Literal["video", "still"] = "video"
    quality: float = Field(0.5, ge=0, le=1)
    usd_per_second: float = Field(0.0, ge=0)  # of generated clip
    usd_per_clip: float = Field(0.0, ge=0)
    durations: list[float] = Field(default_factory=list)  # clip lengths the model makes; [] = any
    seconds_per_clip: float = Field(0.0, ge=0)  # typical wall time, for prefer: speed
    model: str = ""  # the provider's model id
    image_model: str = ""  # runway: the model animating a still (gen4_turbo)
    base_url: str = ""  # empty = the provider's own (or its SDK's env var)
    key_env: str = ""  # the environment variable holding the key, if not the SDK's usual


class _Visuals(Strict):
    ca_bundle: str = ""  # extra CA file to trust for providers (a proxy, the test fakes)
    poll_seconds: float = Field(5.0, gt=0)
    max_wait_minutes: float = Field(20.0, gt=0)  # a job not done by then is abandoned
    sources: dict[str, _Source] = Field(default_factory=dict)


@dataclass(frozen=True)
class SourceSettings:
    """One footage source's line of the `visuals.sources` table."""

    name: str
    kind: str = "video"
    quality: float = 0.5
    usd_per_second: float = 0.0
    usd_per_clip: float = 0.0
    durations: tuple[float, ...] = ()
    seconds_per_clip: float = 0.0
    model: str = ""
    image_model: str = ""
    base_url: str = ""
    key_env: str = ""


@dataclass(frozen=True)
class VisualsSettings:
    ca_bundle: str = ""
    poll_seconds: float = 5.0
    max_wait_minutes: float = 20.0
    sources: dict[str, SourceSettings] = field(default_factory=dict)


def visuals_settings(raw: _Visuals, base: Path) -> VisualsSettings:
    return VisualsSettings(
        ca_bundle=str(resolve(base, raw.ca_bundle)) if raw.ca_bundle else "",
        poll_seconds=raw.poll_seconds,
        max_wait_minutes=raw.max_wait_minutes,
        sources={name: SourceSettings(name=name, **{
            **src.model_dump(), "durations": tuple(src.durations),
            "base_url": src.base_url.rstrip("/")}) for name, src in raw.sources.items()},
    )
