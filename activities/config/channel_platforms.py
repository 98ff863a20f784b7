"""A channel's `youtube`, `instagram` and `tiktok`: how its reels are posted on each platform."""

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


AUDIT_RULE = ("TikTok keeps every post of an unaudited app private: set privacy_level"
              " SELF_ONLY (or mode inbox) until the app has passed TikTok's audit, then"
              " audited: true")


class _TikTok(Strict):
    mode: Literal["direct", "inbox"] = "direct"  # inbox: a draft the creator finishes in the app
    audited: bool = False  # the app passed TikTok's Content Posting audit
    privacy_level: Literal["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR",
                           "SELF_ONLY"] = "SELF_ONLY"
    disable_comment: bool = False
    disable_duet: bool = False
    disable_stitch: bool = False
    video_cover_timestamp_ms: int = Field(1000, ge=0)
    brand_content_toggle: bool = False  # a paid partnership with a third-party brand
    brand_organic_toggle: bool = False  # promotes the creator's own business
    video_url_base: str = ""  # a URL prefix verified in the TikTok app: PULL_FROM_URL

    @field_validator("video_url_base")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not re.match(r"^https://", value):
            raise ValueError(f"{value!r} is not an https:// URL prefix TikTok can fetch")
        return value.rstrip("/")


def tiktok_problems(raw: _TikTok) -> list[tuple[str, str]]:
    """(field, reason) for a tiktok section the API would refuse at post time."""
    found = []
    if raw.mode == "direct" and not raw.audited and raw.privacy_level != "SELF_ONLY":
        found.append(("tiktok.privacy_level",
                      f"{raw.privacy_level} needs an audited app. {AUDIT_RULE}"))
    if raw.brand_content_toggle and raw.privacy_level == "SELF_ONLY" and raw.mode == "direct":
        found.append(("tiktok.brand_content_toggle",
                      "branded content cannot be private (SELF_ONLY); TikTok refuses it"))
    return found
