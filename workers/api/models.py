"""The API's request bodies: every field typed and bounded, unknown fields refused.

The whole body is capped before it is parsed (api.max_body_bytes); these limits say which
field is too long, with a 422 naming it and its limit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from activities.config import _NAME

FACT_CHARS = 500  # one narrated sentence per scene; a long one is a paragraph, not a fact
TEXT_CHARS = 2000


def is_channel_name(value: str) -> bool:
    """Checked before anything looks for channels/<name>.yaml: a name is never a path."""
    return _NAME.fullmatch(value) is not None


def _channel_name(value: str) -> str:
    if not is_channel_name(value):
        raise ValueError("not a channel name (lowercase letters, digits, '-' or '_')")
    return value


ChannelName = Annotated[str, Field(min_length=1, max_length=48), AfterValidator(_channel_name)]
Fact = Annotated[str, Field(max_length=FACT_CHARS)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobRequest(_Body):
    channel: ChannelName = Field(description="the channel the reel is made and posted for")
    topic: str = Field(min_length=3, max_length=200, description="title, or a feed entry's title")
    facts: list[Fact] = Field(default_factory=list, max_length=8,
                              description="facts to narrate; empty = the feed entry's")
    preset: ChannelName | None = Field(None, description="a preset (GET /presets) whose look"
                                       " and voice the reel takes; default: the channel's")
    review: Literal["channel", "required", "none"] = Field(
        "channel", description="wait for a person before publishing: as the channel says,"
                               " always, or never")


class JobCreated(_Body):
    id: str
    status_url: str
    stream_url: str


class ReviewBody(_Body):
    text: str = Field("", max_length=TEXT_CHARS,
                      description="reject: the reason (required); revise: the notes (required)")


class EstimateRequest(_Body):
    channel: ChannelName
    preset: ChannelName | None = None
    topic: str | None = Field(None, min_length=3, max_length=200,
                              description="price this topic's reel; default: the feed's")
    facts: list[Fact] = Field(default_factory=list, max_length=8)


class LoginBody(_Body):
    token: str = Field(min_length=1, max_length=512)
