"""A channel's `visuals`: which footage sources make its scenes, and at what price."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from activities.config.common import Strict
from activities.config.errors import problem
from activities.config.settings import Settings

# Made by make_visuals itself; every other source a channel names is a line of temporal.yaml's
# `visuals.sources` (whether it can run on this host is the generate worker's answer).
LOCAL_VISUAL_SOURCES = ("own", "illustrated", "procedural")
PROVIDER_SOURCES = ("runway", "veo", "replicate", "replicate-flux", "pexels", "pixabay",
                    "flux-mlx")


class _ChannelVisuals(Strict):
    sources: list[str] = Field(default_factory=lambda: ["illustrated", "procedural"], min_length=1)
    min_quality: float = Field(0.0, ge=0.0, le=1.0)
    max_usd_per_reel: float = Field(0.10, ge=0.0)
    prefer: Literal["quality", "cost", "speed"] = "quality"
    # A cosine of MiniLM sentence embeddings: good matches score 0.3-0.75, unrelated ones
    # under 0.05 (docs/illustrated-scenes.md); 0 = off.
    min_relevance: float = Field(0.0, ge=0.0, lt=1.0)

    @field_validator("sources")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each source at most once")
        return value


def check_sources(shown: str, raw: _ChannelVisuals, media_dir: str, settings: Settings) -> None:
    """Every source named is one this host knows; `own` has a folder to take clips from."""
    if "own" in raw.sources and not media_dir:
        raise problem(shown, "visuals.sources", "'own' needs a media_dir to take clips from")
    # The names temporal.yaml prices; without a table there, the providers' own names.
    known = [*(settings.visuals.sources or PROVIDER_SOURCES), *LOCAL_VISUAL_SOURCES]
    unknown = [s for s in raw.sources if s not in known]
    if unknown:
        raise problem(shown, "visuals.sources", f"{', '.join(map(repr, unknown))} not in"
                      f" visuals.sources of {settings.source} ({', '.join(known)})")
