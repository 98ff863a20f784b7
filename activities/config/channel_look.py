"""A channel's `look`: palette, captions, music, frame size and encoding."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from activities.config.common import Strict
from workflows.contracts import LookConfig

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Output profiles: the platforms' recommended sizes for each aspect ratio.
ASPECT_SIZES = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}
# The ffmpeg xfade transitions offered per channel: the calm ones that suit narration.
TRANSITIONS = (
    "fade", "fadeblack", "fadewhite", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown",
    "slideleft", "slideright", "slideup", "slidedown", "smoothleft", "smoothright", "smoothup",
    "smoothdown", "circleopen", "circleclose", "radial", "zoomin", "hblur", "none",
)  # fmt: skip


class _Look(Strict):
    palette: list[str] = Field(
        default_factory=lambda: ["#1b1f3b", "#3a2e6e", "#f2a541"], min_length=2
    )
    caption_color: str = "#ffffff"
    highlight_color: str = "#ffd23f"
    caption_words: int = Field(LookConfig.caption_words, ge=1, le=8)
    music: Literal["calm", "bright", "none"] = "calm"
    music_file: str = ""
    aspect: Literal["9:16", "1:1", "16:9"] = "9:16"
    fps: Literal[24, 25, 30] = 30
    # No ultrafast: it turns off CABAC, and the stream is no longer H.264 High.
    x264_preset: Literal["superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    encoder: Literal["auto", "libx264", "h264_videotoolbox", "h264_nvenc"] = "auto"
    transition: str = "fade"
    caption_font: str = ""
    caption_size: float = Field(LookConfig.caption_size, ge=0.03, le=0.15)
    caption_outline_color: str = "#000000"
    caption_box: bool = False
    caption_position: float = Field(0.63, ge=0.2, le=0.8)

    @field_validator("transition")
    @classmethod
    def _transition(cls, value: str) -> str:
        if value not in TRANSITIONS:
            raise ValueError(f"{value!r} is not one of {', '.join(TRANSITIONS)}")
        return value

    @field_validator("palette")
    @classmethod
    def _palette_colors(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _COLOR.match(item):
                raise ValueError(f"{item!r} is not a colour as #rrggbb")
        return value

    @field_validator("caption_color", "highlight_color", "caption_outline_color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError(f"{value!r} is not a colour as #rrggbb")
        return value


def look_config(raw: _Look, caption_font: str, music_file: str) -> LookConfig:
    """The look as compose takes it; the two files already resolved and found."""
    width, height = ASPECT_SIZES[raw.aspect]
    return LookConfig(
        palette=raw.palette,
        caption_color=raw.caption_color,
        highlight_color=raw.highlight_color,
        caption_words=raw.caption_words,
        music=raw.music,
        width=width,
        height=height,
        fps=raw.fps,
        x264_preset=raw.x264_preset,
        aspect=raw.aspect,
        transition=raw.transition,
        encoder=raw.encoder,
        caption_font=caption_font,
        caption_size=raw.caption_size,
        caption_outline_color=raw.caption_outline_color,
        caption_box=raw.caption_box,
        caption_position=raw.caption_position,
        music_file=music_file,
    )
