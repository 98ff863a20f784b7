"""scout_trends and take_topic: the trend scout's work and a slot's topic, on `reels`.

scout_trends asks every source of the channel side by side, each within its own timeout;
one that fails is skipped and reported (in the result, the ledger's scout_runs and the
metrics) and the others still fill the queue. take_topic reads only the ledger and the
local feed, so a slot never waits on the network: with an empty queue it takes from the
feed (the first source of that kind, or `trends.feed`), and with neither it returns a
topic without a title and the channel skips the slot.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from temporalio import activity

from activities.config import Settings
from activities.ledger import Ledger
from activities.performance.store import seven_day_views
from activities.progress import heartbeat
from activities.redact import describe
from activities.secrets import SecretStore
from activities.topics import choose, read_feed_file
from activities.trends import Candidate, SourceContext, SourceFailed, label, source_for
from activities.trends import queue as topic_queue
from activities.trends.scoring import score
from workflows.contracts import (
    PastReels,
    PastReelsRequest,
    PerformanceUpdate,
    RelevanceUpdate,
    ScoutRequest,
    ScoutResult,
    SourceReport,
    Topic,
    TopicRequest,
)

log = logging.getLogger("monolathe.trends")
MIN_FACTS = 2  # the template writer, every LLM writer's net, needs two facts


def gather(req: ScoutRequest, ctx: SourceContext) -> tuple[list[Candidate], list[SourceReport]]:
    def one(index: int) -> list[Candidate]:
        source = req.sources[index]
        return source_for(source.kind).candidates(source, ctx)

    found: list[Candidate] = []
    reports: list[SourceReport] = []
    with ThreadPoolExecutor(max_workers=min(8, len(req.sources) or 1),
                            thread_name_prefix="scout") as pool:
        futures = [pool.submit(one, i) for i in range(len(req.sources))]
        while not all(f.done() for f in futures):
            heartbeat({"sources_done": sum(f.done() for f in futures)})
            time.sleep(0.2)
        for source, future in zip(req.sources, futures, strict=True):
            name = label(source)
            try:
                items = [c for c in future.result() if len(c.facts) >= MIN_FACTS]
            except SourceFailed as exc:
                reports.append(SourceReport(name, 0, str(exc)))
                log.warning("trend source %s of %s failed: %s", name, req.channel, exc)
                continue
            except Exception as exc:  # a broken source must not stop the others
                log.exception("trend source %s of %s broke", name, req.channel)
                reports.append(SourceReport(name, 0, describe(exc)))
                continue
            reports.append(SourceReport(name, len(items)))
            found += items
    return found, reports


class TrendActivities:
    def __init__(self, settings: Settings, ledger: Ledger) -> None:
        self.settings = settings
        self.ledger = ledger
        self.secrets = SecretStore(settings.publishing.secrets_dir)

    @activity.defn(name="scout_trends")
    def scout_trends(self, req: ScoutRequest) -> ScoutResult:
        ctx = SourceContext(self.settings, self.secrets, self.ledger, req.channel)
        found, reports = gather(req, ctx)
        # Waiting titles found again are rescored (fresher traffic); used ones are dropped.
        seen = [*req.recent_topics, *topic_queue.taken_titles(self.ledger, req.channel)]
        ranked = score(found, req.niche, seen, datetime.now(UTC))
        new = topic_queue.enqueue(self.ledger, req.channel, ranked, req.performance_weight)
        topic_queue.record_runs(self.ledger, req.channel, reports)
        titles, texts = topic_queue.waiting(self.ledger, req.channel)
        if req.relevance != "meaning" and req.performance_weight <= 0:
            # Only MiniLM needs them; keep history small.
            return ScoutResult(req.channel, reports, new, len(titles))
        return ScoutResult(req.channel, reports, new, len(titles), titles, texts)

    @activity.defn(name="rescore_topics")
    def rescore_topics(self, update: RelevanceUpdate) -> int:
        return topic_queue.rescore(self.ledger, update.channel, update.titles, update.relevance,
                                   update.performance_weight)

    @activity.defn(name="list_past_reels")
    def list_past_reels(self, req: PastReelsRequest) -> PastReels:
        past = seven_day_views(self.ledger, req.channel, datetime.fromisoformat(req.now))
        return PastReels([topic for topic, _ in past], [round(v, 2) for _, v in past])

    @activity.defn(name="rescore_performance")
    def rescore_performance(self, update: PerformanceUpdate) -> int:
        return topic_queue.set_performance(self.ledger, update.channel, update.titles,
                                           update.performance, update.weight)

    @activity.defn(name="take_topic")
    def take_topic(self, req: TopicRequest) -> Topic:
        topic = topic_queue.take(self.ledger, req.channel, req.slot, req.recent_topics)
        if topic is not None:
            return topic
        if req.trends_feed:
            return choose(read_feed_file(Path(req.trends_feed)), req.recent_topics)
        return Topic(title="")
