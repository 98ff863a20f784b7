"""A channel's `hooks`: the hook experiment, two opening styles taken in turn, slot by slot."""

from __future__ import annotations

from pydantic import Field, field_validator

from activities.config.common import Strict
from activities.script_hooks import HOOK_STYLES


class _Hooks(Strict):
    # [] = no experiment: the writer opens as it always does.
    experiment: list[str] = Field(default_factory=list)

    @field_validator("experiment")
    @classmethod
    def _two_known_styles(cls, value: list[str]) -> list[str]:
        if not value:
            return value
        unknown = [s for s in value if s not in HOOK_STYLES]
        if unknown:
            raise ValueError(f"unknown hook style {unknown[0]!r} (known: "
                             f"{', '.join(HOOK_STYLES)})")
        if len(value) != 2 or value[0] == value[1]:
            raise ValueError("give two different hook styles to compare, e.g."
                             " [question, bold-claim]")
        return value
