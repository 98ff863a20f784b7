"""The trend scout's sources, each a small module behind one protocol.

A source turns one `TrendSource` of a channel into `Candidate`s, raising `SourceFailed`
with the reason when it cannot (a dead host, a spent quota, a refused key): the scout
skips and reports that source and keeps the others' candidates.

    feed.py           the channel's local feed file (offline)
    rss.py            any RSS/Atom URL, parsed by feedparser
    google_trends.py  Google Trends' daily trending searches RSS, with their news items
    youtube.py        YouTube's mostPopular chart (google-api-python-client)
    reddit.py         top posts of subreddits (app-only OAuth)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from activities.bounded_fetch import FetchFailed, fetch
from activities.config import Settings
from activities.ledger import Ledger
from activities.redact import redact
from activities.secrets import SecretStore
from workflows.contracts import TrendSource


class SourceFailed(Exception):
    """This source gave nothing this run; the message says why (for the report)."""


@dataclass
class Candidate:
    title: str
    facts: list[str]
    source: str  # e.g. reddit:r/science
    summary: str = ""
    keywords: list[str] = field(default_factory=list)
    url: str = ""
    links: list[str] = field(default_factory=list)
    published: datetime | None = None  # aware; None when the source does not say
    traffic: float = 0.0  # what the source reports: searches, views, votes


@dataclass
class SourceContext:
    settings: Settings
    secrets: SecretStore
    ledger: Ledger
    channel: str

    @property
    def verify(self) -> str | bool:
        return self.settings.publishing.ca_bundle or True

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> bytes:
        """The body at `url`, within `trends.timeout_s` in all (a slow sender too)."""
        try:
            answer = fetch(url, timeout_s=self.settings.trends.timeout_s, verify=self.verify,
                           headers={"User-Agent": self.settings.trends.user_agent,
                                    **(headers or {})})
        except FetchFailed as exc:
            raise SourceFailed(str(exc)) from None
        if answer.status >= 400:
            raise SourceFailed(f"{redact(url)}: HTTP {answer.status}")
        return answer.body


class Source(Protocol):
    def candidates(self, source: TrendSource, ctx: SourceContext) -> list[Candidate]: ...


def source_for(kind: str) -> Source:
    """The backend of a source kind; imported on first use (google-api-python-client is big)."""
    module = importlib.import_module(f"activities.trends.{kind}")
    return module.SOURCE  # type: ignore[no-any-return]


def label(source: TrendSource) -> str:
    detail = {
        "feed": Path(source.url).name,
        "rss": urlparse(source.url).netloc or source.url,
        "google_trends": source.geo,
        "youtube": f"{source.geo}/{source.category or 'all'}",
        "reddit": "+".join(f"r/{s}" for s in source.subreddits),
    }.get(source.kind, "")
    return f"{source.kind}:{detail}"
