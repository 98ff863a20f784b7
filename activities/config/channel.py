"""`channels/<name>.yaml` as one `ChannelConfig`: every field checked, every path found.

The sections' models live beside this module (`channel_look`, `channel_voice`, ...); this one
holds the file's top level and the checks that span sections, in the order an operator meets
them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from activities.config.channel_cadence import _Cadence
from activities.config.channel_hooks import _Hooks
from activities.config.channel_look import _Look, look_config
from activities.config.channel_platforms import _Instagram, _TikTok, _YouTube, tiktok_problems
from activities.config.channel_script import _Script, _Topics, script_config
from activities.config.channel_trends import _Trends, trend_sources
from activities.config.channel_visuals import _ChannelVisuals, check_sources
from activities.config.channel_voice import _Voice, voice_config
from activities.config.common import Strict, read_yaml, resolve
from activities.config.errors import display, invalid, problem
from activities.config.settings import Settings
from workflows.contracts import (
    Cadence,
    ChannelConfig,
    InstagramOptions,
    ReviewConfig,
    TikTokOptions,
    TopicConfig,
    VisualsPolicy,
    YouTubeOptions,
)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
NAME_RULE = "must be lowercase letters, digits, '-' or '_' (at most 48)"
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class _Budget(Strict):
    daily_usd: float = Field(1.0, gt=0)


class _Channel(Strict):
    name: str
    niche: str = Field(min_length=2)
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    voice: _Voice = _Voice()
    look: _Look = _Look()
    cadence: _Cadence = _Cadence()
    platforms: list[Literal["local", "youtube", "instagram", "tiktok"]] = Field(
        default_factory=lambda: ["local"], min_length=1
    )
    youtube: _YouTube = _YouTube()
    instagram: _Instagram = _Instagram()
    tiktok: _TikTok = _TikTok()
    budget: _Budget = _Budget()
    max_in_flight: int = Field(1, ge=1, le=16)
    trends: _Trends = _Trends()
    hooks: _Hooks = _Hooks()
    hashtags: list[str] = Field(default_factory=list)
    out_dir: str = ""
    script: _Script = _Script()
    topics: _Topics = _Topics()
    media_dir: str = ""
    media_match: Literal["keywords", "meaning"] = "keywords"
    visuals: _ChannelVisuals = _ChannelVisuals()
    # Human review before publishing (docs/review-and-api.md).
    review: Literal["none", "required", "sample"] = "none"
    review_sample: float = Field(0.2, gt=0, le=1)
    review_timeout: int | str = Field("24h", validate_default=True)
    review_on_timeout: Literal["reject", "approve"] = "reject"
    review_max_revisions: int = Field(2, ge=0, le=10)

    @field_validator("review_timeout")
    @classmethod
    def _duration(cls, value: int | str) -> int:
        """Seconds, or a number with s, m, h or d: 90s, 30m, 24h, 2d."""
        match = _DURATION.match(value.strip()) if isinstance(value, str) else None
        seconds = int(match[1]) * _UNIT_SECONDS[match[2]] if match else value
        if not isinstance(seconds, int) or not 60 <= seconds <= 30 * 86400:
            raise ValueError(f"{value!r}: give a duration from 1m to 30d, e.g. 30m, 24h, 2d")
        return seconds

    @field_validator("platforms")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each platform at most once")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(NAME_RULE)
        return value


def channel_path(settings: Settings, name: str) -> Path:
    # A name from a request becomes a file name: only the pattern, never a path elsewhere.
    if not NAME.fullmatch(name):
        raise problem(f"{settings.channels_dir.name}/{name[:60]}.yaml", "name", NAME_RULE)
    return settings.channels_dir / f"{name}.yaml"


def load_channel(settings: Settings, name: str) -> ChannelConfig:
    path = channel_path(settings, name)
    if not path.is_file():
        known = sorted(p.stem for p in settings.channels_dir.glob("*.yaml"))
        raise problem(path, "", f"file not found (channel {name!r}; known channels:"
                      f" {', '.join(known) or 'none'})")
    shown = display(path)
    try:
        raw = _Channel.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise invalid(shown, exc) from None
    if raw.name != name:
        raise problem(shown, "name", f"is {raw.name!r} but the file is named {name}.yaml")
    feed = resolve(path.parent, raw.trends.feed) if raw.trends.feed else None
    if feed is not None and not feed.is_file():
        raise problem(shown, "trends.feed", f"file {feed} not found")
    if feed is None and not raw.trends.rss and not raw.trends.sources:
        raise problem(shown, "trends", "give a local feed file or at least one rss URL")
    sources = trend_sources(shown, path.parent, raw.trends.sources)
    if raw.trends.performance_weight > 0 and not sources:
        raise problem(shown, "trends.performance_weight", "ranks the trend scout's queue:"
                      " give trends.sources too, or set it to 0")
    if raw.language != "en" and raw.voice.backend == "piper" and raw.voice.model == "joe-us":
        raise problem(shown, "voice.model", "the bundled joe-us voice speaks English; give"
                      f" a Piper voice (.onnx) for language {raw.language!r}")
    out_dir = resolve(path.parent, raw.out_dir) if raw.out_dir else settings.out_dir / name
    script = script_config(shown, path.parent, raw.script, settings.llm)
    files = {
        field: _existing(shown, path.parent, field, value, want_dir=field == "media_dir")
        for field, value in (
            ("look.caption_font", raw.look.caption_font),
            ("look.music_file", raw.look.music_file),
            ("media_dir", raw.media_dir),
        )
    }
    if raw.media_match == "meaning" and not raw.media_dir:
        raise problem(shown, "media_match", "'meaning' needs a media_dir to match against")
    check_sources(shown, raw.visuals, raw.media_dir, settings)
    if "tiktok" in raw.platforms:
        for field_name, reason in tiktok_problems(raw.tiktok):
            raise problem(shown, field_name, reason)
    return ChannelConfig(
        name=raw.name,
        niche=raw.niche,
        language=raw.language,
        voice=voice_config(shown, path.parent, raw.voice),
        look=look_config(raw.look, files["look.caption_font"], files["look.music_file"]),
        cadence=Cadence(**raw.cadence.model_dump()),
        platforms=list(raw.platforms),
        daily_budget_usd=raw.budget.daily_usd,
        max_in_flight=raw.max_in_flight,
        trends_feed=str(feed) if feed else next((s.url for s in sources if s.kind == "feed"), ""),
        rss_urls=raw.trends.rss,
        hashtags=raw.hashtags,
        out_dir=str(out_dir),
        media_dir=files["media_dir"],
        media_match=raw.media_match,
        source_file=str(path),
        script=script,
        topics=TopicConfig(**raw.topics.model_dump()),
        visuals=VisualsPolicy(**raw.visuals.model_dump()),
        trend_sources=sources,
        scout_every_minutes=raw.trends.scout_every_minutes,
        trend_relevance=raw.trends.relevance,
        trend_performance_weight=raw.trends.performance_weight,
        trend_performance_k=raw.trends.performance_k,
        hook_experiment=list(raw.hooks.experiment),
        review=ReviewConfig(raw.review, raw.review_sample, int(raw.review_timeout),
                            raw.review_on_timeout, raw.review_max_revisions),
        youtube=YouTubeOptions(**raw.youtube.model_dump()),
        instagram=InstagramOptions(**raw.instagram.model_dump()),
        tiktok=TikTokOptions(**raw.tiktok.model_dump()),
    )


def _existing(shown: str, base: Path, field: str, value: str, want_dir: bool) -> str:
    """An optional path field, resolved against the channel file's folder; "" stays ""."""
    if not value:
        return ""
    path = resolve(base, value)
    if want_dir and not path.is_dir():
        raise problem(shown, field, f"folder {path} not found")
    if not want_dir and not path.is_file():
        raise problem(shown, field, f"file {path} not found")
    return str(path)
