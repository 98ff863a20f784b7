"""PerformanceWorkflow on the time-skipping server: 20 reels published over two simulated
weeks on YouTube and Instagram, views fed by the loopback fakes through the real fetchers, an
hourly run as the Schedule makes it. The cadence (hourly under 48 h, then daily) is read back
from the workflow histories, the curves from the ledger. Then the trend scout learns from
those curves: a topic close in meaning to the reels that did well ranks above one close to
those that did not (MiniLM on the gpu worker, on CPU here)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.channel import ChannelActivities
from activities.config import load_settings
from activities.gpu.embeddings import EmbeddingActivities
from activities.ledger_tables import TopicRow
from activities.performance import store
from activities.performance.activities import PerformanceActivities
from activities.trends import queue as topic_queue
from activities.trends.scout import TrendActivities
from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.ledger_rows import published_reel
from tests.fakes.performance_fixtures import Reads
from tests.fakes.youtube_analytics_api import FakeYouTubeAnalytics
from tests.workflows.doubles import unique
from workers.work_errors import WorkErrorInterceptor
from workflows.contracts import PerformanceInput, PerformanceResult, ScoutInput, ScoutResult
from workflows.performance import PerformanceWorkflow
from workflows.scout import TrendScoutWorkflow

HOUR = timedelta(hours=1)
REELS = 20
DAYS = 14


# Even reels do better: ocean animals. Odd reels: paperwork.
WINNERS = ["Octopuses have three hearts", "Whales sing songs that cross whole oceans",
           "Jellyfish have drifted through the seas for 500 million years",
           "Sharks sense the electric fields of their prey", "Sea otters hold hands asleep",
           "Coral reefs are built by tiny animals", "Dolphins call each other by name",
           "Seahorse fathers carry the babies", "Starfish regrow their lost arms",
           "Manta rays recognise themselves in a mirror"]
LOSERS = ["How to file an income tax return", "Why mortgage rates change every month",
          "Filling in a pension form step by step", "What an invoice number is for",
          "Comparing two savings accounts", "How payroll deductions are calculated",
          "Reading a utility bill line by line", "Choosing a budgeting spreadsheet",
          "What a credit score measures", "Renewing a passport application"]


def topic_of(n: int) -> str:
    return (WINNERS if n % 2 == 0 else LOSERS)[(n - 1) // 2]


def views(age: timedelta, reel: int) -> int:
    """A reel's views at an age: fast at first, then slowly; even reels do better."""
    hours = max(age / HOUR, 0)
    return int((2000 if reel % 2 == 0 else 300) * (1 - math.exp(-hours / 30)))


def publish(reads: Reads, channel: str, n: int, at: datetime) -> tuple[str, str, str]:
    platform = "youtube" if n % 2 else "instagram"
    external = f"vid{n:03d}" if platform == "youtube" else f"17900{n:05d}"
    reel = published_reel(reads.ledger, channel, n, at, platform=platform,
                          external_id=external, topic=topic_of(n), total_usd=0.05 * n)
    return reel.reel_id, platform, external


async def fetch_inputs(client: Client, workflow_id: str) -> list[dict]:
    """The fetch_performance requests of one run, as its history recorded them."""
    found = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "fetch_performance":
                found.append(json.loads(attrs.input.payloads[0].data))
    return found


async def test_twenty_reels_over_two_weeks_follow_the_cadence_and_teach_the_scout(
        time_env: WorkflowEnvironment, reads: Reads, yt_reads: FakeYouTubeAnalytics,
        ig_reads: FakeInstagramInsights, tmp_path: Path) -> None:
    channel, queue, tag = "demo", unique("perf-q"), unique("perf")
    acts = PerformanceActivities(reads.ledger, {"youtube": reads.youtube(),
                                                "instagram": reads.instagram()})
    start = await time_env.get_current_time()
    published: dict[str, tuple[str, str, datetime, int]] = {}
    fetched_at: dict[str, list[datetime]] = defaultdict(list)
    deleted_reel = ""
    with ThreadPoolExecutor(4) as pool:
        async with Worker(time_env.client, task_queue=queue, workflows=[PerformanceWorkflow],
                          activities=[acts.list_published_reels, acts.fetch_performance],
                          activity_executor=pool):
            for hour in range(DAYS * 24):
                now = await time_env.get_current_time()
                n = len(published) + 1
                if n <= REELS and now >= start + (n - 1) * 16 * HOUR:
                    reel_id, platform, external = publish(reads, channel, n, now - HOUR / 2)
                    published[reel_id] = (platform, external, now - HOUR / 2, n)
                for reel_id, (platform, external, at, n) in published.items():
                    if reel_id == deleted_reel:
                        continue
                    fake = yt_reads if platform == "youtube" else ig_reads
                    fake.views[external] = views(now - at, n)
                if hour == 5 * 24:  # the owner deletes reel 1 on day 5
                    deleted_reel = next(iter(published))
                    yt_reads.views.pop(published[deleted_reel][1])
                run_id = f"performance/{channel}/{tag}/run-{hour}"
                # Time moves only in the sleep between runs, as the Schedule's hour does: the
                # test server would otherwise jump to a finished activity's deadline timer.
                with time_env.auto_time_skipping_disabled():
                    result = await time_env.client.execute_workflow(
                        PerformanceWorkflow.run, PerformanceInput(channel, queues={
                            "reels": queue, "publish": queue}),
                        id=run_id, task_queue=queue, result_type=PerformanceResult)
                assert result.platforms_failed == []
                for request in await fetch_inputs(time_env.client, run_id):
                    for reel in request["reels"]:
                        fetched_at[reel["reel_id"]].append(datetime.fromisoformat(
                            request["now"]))
                await time_env.sleep(HOUR)

    assert len(published) == REELS
    for reel_id, (_platform, _external, at, n) in published.items():
        times = fetched_at[reel_id]
        ages = [(t - at) / HOUR for t in times]
        gaps = [(b - a) / HOUR for a, b in pairwise(times)]
        assert ages[0] < 1.5, reel_id  # the first run after publishing
        for age, gap in zip(ages, gaps, strict=False):
            # The interval at the next run's age: an hour while that is under 48 h.
            expected = 1 if age + 1 < 48 else 24
            assert abs(gap - expected) < 0.05, (reel_id, age, gap)
        rows = store.curve(reads.ledger, reel_id)
        assert [r.fetched_at.replace(tzinfo=None) for r in rows] == [
            t.replace(tzinfo=None) for t in times]
        if reel_id == deleted_reel:
            assert rows[-1].status == "deleted" and rows[-1].views is None
            # Noticed at its next due fetch and never asked for again.
            assert [r.status for r in rows].count("deleted") == 1
            assert start + 5 * 24 * HOUR < times[-1] <= start + 6 * 24 * HOUR + HOUR
            continue
        counts = [r.views for r in rows]
        assert counts == sorted(counts) and counts[-1] > 0  # a curve that only climbs
        assert counts[-1] == views(times[-1] - at, n) or abs(
            counts[-1] - views(times[-1] - at, n)) <= 15  # set a moment before the fetch
    # The oldest reel lived the whole fortnight: 48 hourly fetches and then one a day.
    first = next(iter(published))
    oldest = fetched_at[next(r for r in published if r != first)]
    assert len(oldest) >= 48 + 9

    await scout_learns(time_env, tmp_path, reads, channel)


SCOUT_FEED = """\
topics:
  - title: Squid flash colours to talk to each other
    facts: [Their skin holds thousands of colour cells., Each cell opens in a fraction of a second.]
  - title: How VAT refunds are processed
    facts: [A claim lists every receipt., The office checks each line before it pays.]
"""


async def scout_learns(env: WorkflowEnvironment, tmp_path: Path, reads: Reads,
                       channel: str) -> None:
    """One scout run of the channel, whose reels the fortnight above measured."""
    queue = unique("learn-q")
    channels = tmp_path / "channels"
    channels.mkdir()
    (channels / "feed.yaml").write_text(SCOUT_FEED)
    # No niche word in either topic, no date, no traffic: their other parts are equal.
    (channels / f"{channel}.yaml").write_text(
        f"name: {channel}\nniche: everyday curiosities\ntrends:\n"
        "  performance_weight: 0.5\n  sources: [{kind: feed, url: feed.yaml}]\n")
    (tmp_path / "temporal.yaml").write_text(
        f"queues: {{reels: {queue}, gpu: {queue}-gpu}}\n"
        f"data: {{ledger_url: 'sqlite:///{tmp_path / 'ledger.db'}', channels_dir: {channels}}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    trends = TrendActivities(settings, reads.ledger)
    with ThreadPoolExecutor(4) as pool:
        async with Worker(env.client, task_queue=queue, workflows=[TrendScoutWorkflow],
                          activities=[ChannelActivities(settings, reads.ledger).load_channel,
                                      trends.scout_trends, trends.list_past_reels,
                                      trends.rescore_performance],
                          activity_executor=pool, interceptors=[WorkErrorInterceptor()]), \
                Worker(env.client, task_queue=f"{queue}-gpu",
                       activities=[EmbeddingActivities(0.0).predict_performance],
                       activity_executor=pool):
            result = await env.client.execute_workflow(
                TrendScoutWorkflow.run, ScoutInput(channel), id=f"trends/{queue}",
                task_queue=queue, result_type=ScoutResult)
    now = await env.get_current_time()
    past = store.seven_day_views(reads.ledger, channel, now)
    # Reels 2 to 11 are a week old with a fetch past that age (reel 1 was deleted on day 5).
    assert 8 <= len(past) <= 10
    assert {t for t, _ in past} & set(WINNERS) and {t for t, _ in past} & set(LOSERS)
    assert result.performance == f"predicted from {len(past)} past reels (k=5)"
    with reads.ledger.session() as s:
        rows = {r.title: r for r in s.exec(select(TopicRow).where(TopicRow.channel == channel))}
    squid = rows["Squid flash colours to talk to each other"]
    tax = rows["How VAT refunds are processed"]
    assert (squid.freshness, squid.traffic, squid.relevance, squid.novelty) == (
        tax.freshness, tax.traffic, tax.relevance, tax.novelty)
    assert squid.performance > 0.7 and tax.performance < 0.3
    assert squid.score > tax.score
    taken = topic_queue.take(reads.ledger, channel, "slot-1", [])
    assert taken is not None and taken.title == squid.title
