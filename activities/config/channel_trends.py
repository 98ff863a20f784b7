"""A channel's `trends`: the feeds and services its topics come from, and how often to look."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from activities.config.common import Strict, resolve
from activities.config.errors import problem
from workflows.contracts import TrendSource

_URL = r"^(https?|file)://"


class _Source(Strict):
    kind: Literal["feed", "rss", "google_trends", "youtube", "reddit"]
    url: str = ""
    geo: str = Field("US", pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    category: str = Field("", pattern=r"^[0-9]{0,3}$")
    subreddits: list[str] = Field(default_factory=list)
    key: str = Field("", pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    limit: int = Field(20, ge=1, le=100)


class _Trends(Strict):
    feed: str = ""
    rss: list[str] = Field(default_factory=list)
    # The trend scout's sources; [] = feed and rss, picked per slot.
    sources: list[_Source] = Field(default_factory=list)
    scout_every_minutes: int = Field(180, ge=5, le=7 * 24 * 60)
    relevance: Literal["keywords", "meaning"] = "keywords"  # meaning: MiniLM on the gpu worker
    # The predicted-performance term's share of the score: MiniLM similarity to the channel's
    # past reels, weighted by their 7-day views (0 = off); estimated from the k closest.
    performance_weight: float = Field(0.0, ge=0.0, le=1.0)
    performance_k: int = Field(5, ge=1, le=50)

    @field_validator("rss")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.match(_URL, url):
                raise ValueError(f"{url!r} is not an http(s):// or file:// URL")
        return value


def trend_sources(shown: str, base: Path, raw: list[_Source]) -> list[TrendSource]:
    sources = []
    for i, source in enumerate(raw):
        where = f"trends.sources[{i}]"
        url = source.url
        if source.kind == "feed":
            if not url or not resolve(base, url).is_file():
                raise problem(shown, f"{where}.url", f"feed file {url!r} not found")
            url = str(resolve(base, url))
        if source.kind == "rss" and not re.match(_URL, url):
            raise problem(shown, f"{where}.url", f"{url!r} is not an http(s):// or file:// URL")
        if source.kind == "reddit" and not source.subreddits:
            raise problem(shown, f"{where}.subreddits", "name at least one subreddit")
        if source.kind in ("reddit", "youtube") and not source.key:
            raise problem(shown, f"{where}.key",
                          f"the credentials' name (`monolathe auth {source.kind} NAME`)")
        sources.append(TrendSource(**{**source.model_dump(), "url": url}))
    return sources
