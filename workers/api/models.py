"""The API's request bodies: every field typed, unknown fields refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobRequest(_Body):
    channel: str = Field(min_length=1, description="the channel the reel is made and posted for")
    topic: str = Field(min_length=3, max_length=200, description="title, or a feed entry's title")
    facts: list[str] = Field(default_factory=list, max_length=8,
                             description="facts to narrate; empty = the feed entry's")
    preset: str | None = Field(None, description="a preset (GET /presets) whose look and voice"
                                                 " the reel takes; default: the channel's")
    review: Literal["channel", "required", "none"] = Field(
        "channel", description="wait for a person before publishing: as the channel says,"
                               " always, or never")


class JobCreated(_Body):
    id: str
    status_url: str
    stream_url: str


class ReviewBody(_Body):
    text: str = Field("", max_length=2000,
                      description="reject: the reason (required); revise: the notes (required)")


class EstimateRequest(_Body):
    channel: str = Field(min_length=1)
    preset: str | None = None


class LoginBody(_Body):
    token: str = Field(min_length=1)
