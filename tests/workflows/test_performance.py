"""PerformanceWorkflow on the time-skipping server: 20 reels published over two simulated
weeks on YouTube and Instagram, views fed by the loopback fakes through the real fetchers, an
hourly run as the Schedule makes it. The cadence (hourly under 48 h, then daily) is read back
from the workflow histories, the curves from the ledger."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import pairwise

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger_tables import PublicationRow, ReelRow
from activities.performance import store
from activities.performance.activities import PerformanceActivities
from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.performance_fixtures import Reads
from tests.fakes.youtube_analytics_api import FakeYouTubeAnalytics
from tests.workflows.doubles import unique
from workflows.contracts import PerformanceInput, PerformanceResult
from workflows.performance import PerformanceWorkflow

HOUR = timedelta(hours=1)
REELS = 20
DAYS = 14


def views(age: timedelta, reel: int) -> int:
    """A reel's views at an age: fast at first, then slowly; even reels do better."""
    hours = max(age / HOUR, 0)
    return int((2000 if reel % 2 == 0 else 300) * (1 - math.exp(-hours / 30)))


def publish(reads: Reads, channel: str, n: int, at: datetime) -> tuple[str, str, str]:
    reel_id = f"reel/{channel}/{at:%Y-%m-%d}/{n}"
    platform = "youtube" if n % 2 else "instagram"
    external = f"vid{n:03d}" if platform == "youtube" else f"17900{n:05d}"
    with reads.ledger.session() as s:
        s.add(ReelRow(id=reel_id, channel=channel, day=f"{at:%Y-%m-%d}", topic=f"topic {n}",
                      title=f"Reel {n}", status="published", total_usd=0.05 * n))
        s.add(PublicationRow(reel_id=reel_id, platform=platform, status="published",
                             external_id=external, published_at=at))
    return reel_id, platform, external


async def fetch_inputs(client: Client, workflow_id: str) -> list[dict]:
    """The fetch_performance requests of one run, as its history recorded them."""
    found = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "fetch_performance":
                found.append(json.loads(attrs.input.payloads[0].data))
    return found


async def test_twenty_reels_over_two_weeks_follow_the_cadence(
        time_env: WorkflowEnvironment, reads: Reads, yt_reads: FakeYouTubeAnalytics,
        ig_reads: FakeInstagramInsights) -> None:
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
