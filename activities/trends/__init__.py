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
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import requests

from activities.config import Settings
from activities.ledger import Ledger
from activities.redact import describe, redact
from activities.secrets import SecretStore
from workflows.contracts import TrendSource

MAX_BYTES = 5 * 1024 * 1024  # a feed bigger than this is not a feed


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
        if url.startswith("file://"):
            try:
                return Path(urlparse(url).path).read_bytes()[:MAX_BYTES]
            except OSError as exc:
                raise SourceFailed(f"{url}: {exc.strerror or exc}") from None
        timeout = self.settings.trends.timeout_s
        deadline = time.monotonic() + timeout
        try:
            with requests.get(url, headers={"User-Agent": self.settings.trends.user_agent,
                                            **(headers or {})},
                              timeout=timeout, stream=True, verify=self.verify) as response:
                if response.status_code >= 400:
                    raise SourceFailed(f"{redact(url)}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if time.monotonic() > deadline:
                        raise SourceFailed(f"{url}: slower than {timeout:g} s")
                    if len(body) > MAX_BYTES:
                        raise SourceFailed(f"{url}: larger than {MAX_BYTES // 2**20} MB")
                return bytes(body)
        except requests.RequestException as exc:
            raise SourceFailed(f"{redact(url)}: {describe(exc)}") from None


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
