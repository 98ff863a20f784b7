"""The channel's local feed file (`channels/feeds/*.yaml`): the offline source."""

from __future__ import annotations

from pathlib import Path

from temporalio.exceptions import ApplicationError

from activities.topics import read_feed_file
from activities.trends import Candidate, SourceContext, SourceFailed, label
from workflows.contracts import TrendSource


class FeedSource:
    def candidates(self, source: TrendSource, ctx: SourceContext) -> list[Candidate]:
        try:
            topics = read_feed_file(Path(source.url))
        except ApplicationError as exc:  # BadInput naming the file and field
            raise SourceFailed(exc.message) from None
        return [Candidate(title=t.title, facts=t.facts, source=label(source), summary=t.hook,
                          keywords=t.keywords, url=t.url) for t in topics[: source.limit]]


SOURCE = FeedSource()
