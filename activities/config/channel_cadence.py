"""A channel's `cadence`: how many reels a day and at which times."""

from __future__ import annotations

from pydantic import Field, field_validator

from activities.config.common import HHMM, Strict


class _Cadence(Strict):
    per_day: int = Field(3, ge=1, le=96)
    times: list[str] = Field(default_factory=list)
    slot_seconds: int | None = Field(None, ge=1)

    @field_validator("times", mode="before")
    @classmethod
    def _times_are_quoted(cls, value: object) -> object:
        if isinstance(value, list) and any(isinstance(item, int) for item in value):
            # YAML 1.1 reads an unquoted 18:30 as the number 1110.
            raise ValueError('write times of day in quotes, e.g. "18:30"')
        return value

    @field_validator("times")
    @classmethod
    def _times_are_hhmm(cls, value: list[str]) -> list[str]:
        for item in value:
            if not HHMM.match(str(item)):
                raise ValueError(f"{item!r} is not a time of day as HH:MM (UTC)")
        return sorted(value)
