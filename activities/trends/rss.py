"""Any RSS or Atom feed: fetched as bytes within the timeout, parsed by feedparser."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from activities.trends import Candidate, SourceContext, SourceFailed, label
from activities.trends.text import plain, sentences
from workflows.contracts import TrendSource


def published(entry: feedparser.FeedParserDict) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*parsed[:6], tzinfo=UTC) if parsed else None


def parse(body: bytes, source: TrendSource) -> list[Candidate]:
    feed = feedparser.parse(body)
    if not feed.entries:
        problem = feed.get("bozo_exception")
        raise SourceFailed(f"{source.url}: no entries"
                           + (f" ({type(problem).__name__}: {problem})" if problem else ""))
    found = []
    for entry in feed.entries[: source.limit]:
        title = plain(entry.get("title", ""))
        summary = entry.get("summary", "") or "".join(
            c.get("value", "") for c in entry.get("content", []))
        facts = sentences(summary)
        if title:
            found.append(Candidate(title=title, facts=facts, source=label(source),
                                   summary=plain(summary)[:500], url=entry.get("link", ""),
                                   published=published(entry)))
    return found


class RssSource:
    def candidates(self, source: TrendSource, ctx: SourceContext) -> list[Candidate]:
        return parse(ctx.fetch(source.url), source)


SOURCE = RssSource()
