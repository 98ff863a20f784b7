"""A channel's `youtube` and `instagram`: how its reels are posted on each platform."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from activities.config.common import Strict


class _YouTube(Strict):
    privacy: Literal["public", "unlisted", "private"] = "public"
    category_id: str = Field("28", pattern=r"^[0-9]{1,3}$")
    made_for_kids: bool = False
    synthetic_media: bool = True
    schedule_minutes: int = Field(0, ge=0, le=60 * 24 * 180)
    thumbnail: bool = True


class _Instagram(Strict):
    share_to_feed: bool = True
    video_url_base: str = ""
    thumb_offset_ms: int = Field(0, ge=0)

    @field_validator("video_url_base")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not re.match(r"^https://", value):
            raise ValueError(f"{value!r} is not an https:// URL Instagram can fetch")
        return value.rstrip("/")
