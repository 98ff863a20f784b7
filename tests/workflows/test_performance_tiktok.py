"""PerformanceWorkflow with TikTok beside Instagram, on the time-skipping server, through the
real fetchers and the loopback fakes: TikTok rows with no workflow change, a token without
video.list failing TikTok alone, a rate limit waited out by the activity's retry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.performance import store
from activities.performance.activities import PerformanceActivities
from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.ledger_rows import published_reel
from tests.fakes.performance_fixtures import Reads
from tests.fakes.server import Fault
from tests.fakes.tiktok_api import FakeTikTok
from tests.workflows.doubles import unique
from workflows.contracts import PerformanceInput, PerformanceResult
from workflows.performance import PerformanceWorkflow

CHANNEL = "demo"
POST_ID = "7300000000000000001"


def publish(reads: Reads, n: int, platform: str, external_id: str, at: datetime) -> str:
    return published_reel(reads.ledger, CHANNEL, n, at, platform=platform,
                          external_id=external_id, topic="t").reel_id


async def run_once(env: WorkflowEnvironment, queue: str, run_id: str) -> PerformanceResult:
    return await env.client.execute_workflow(
        PerformanceWorkflow.run, PerformanceInput(CHANNEL, queues={"reels": queue,
                                                                   "publish": queue}),
        id=run_id, task_queue=queue, result_type=PerformanceResult)


async def test_tiktok_fetches_beside_instagram_and_fails_alone(
        time_env: WorkflowEnvironment, reads: Reads, ig_reads: FakeInstagramInsights,
        tt_reads: FakeTikTok) -> None:
    queue, tag = unique("perf-tt-q"), unique("perf-tt")
    acts = PerformanceActivities(reads.ledger, {"instagram": reads.instagram(),
                                                "tiktok": reads.tiktok()})
    now = await time_env.get_current_time()
    ig_reel = publish(reads, 1, "instagram", "17900000001", now - timedelta(minutes=30))
    tt_reel = publish(reads, 2, "tiktok", POST_ID, now - timedelta(minutes=30))
    ig_reads.views = {"17900000001": 120}
    tt_reads.videos = {POST_ID: {"view_count": 340, "like_count": 17, "comment_count": 3,
                                 "share_count": 6}}
    token = reads.secrets.load(CHANNEL, "tiktok")
    reads.secrets.save(CHANNEL, "tiktok", {**token, "scope": "video.publish,video.upload"})
    with ThreadPoolExecutor(4) as pool:
        async with Worker(time_env.client, task_queue=queue, workflows=[PerformanceWorkflow],
                          activities=[acts.list_published_reels, acts.fetch_performance],
                          activity_executor=pool):
            with time_env.auto_time_skipping_disabled():
                first = await run_once(time_env, queue, f"{tag}/run-1")
            [why] = first.platforms_failed
            assert why.startswith("tiktok: ") and "video.list" in why
            assert "re-run `monolathe auth tiktok demo`" in why
            assert first.fetched == 1  # Instagram's reel, all the same
            assert store.curve(reads.ledger, tt_reel) == []

            # The operator re-ran `monolathe auth tiktok demo`; TikTok is busy at first.
            reads.secrets.save(CHANNEL, "tiktok", token)
            tt_reads.faults.append(Fault("query", 429, reason="rate_limit_exceeded",
                                         retry_after=600))
            await time_env.sleep(timedelta(hours=1))
            second = await run_once(time_env, queue, f"{tag}/run-2")
    assert second.platforms_failed == [] and second.fetched == 2
    [row] = store.curve(reads.ledger, tt_reel)
    assert (row.platform, row.views, row.likes, row.comments, row.shares) == (
        "tiktok", 340, 17, 3, 6)
    assert row.avg_view_percentage is None
    assert len(store.curve(reads.ledger, ig_reel)) == 2
    # The wait TikTok asked for is the retry's: the second attempt came 600 s later.
    handle = time_env.client.get_workflow_handle(f"{tag}/run-2")
    events = [e async for e in handle.fetch_history_events()]
    scheduled = {e.event_id: e for e in events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    [started] = [e for e in events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
                 and e.activity_task_started_event_attributes.attempt == 2]
    asked = scheduled[started.activity_task_started_event_attributes.scheduled_event_id]
    assert b"tiktok" in asked.activity_task_scheduled_event_attributes.input.payloads[0].data
    waited = started.event_time.ToDatetime() - asked.event_time.ToDatetime()
    assert waited >= timedelta(seconds=600)
    assert len(tt_reads.queries) == 1  # the limited call never reached the counts
    for run in ("run-1", "run-2"):  # failures and results alike carry no TikTok secret
        history = await time_env.client.get_workflow_handle(f"{tag}/{run}").fetch_history()
        text = history.to_json()
        for secret in (token["access_token"], token["refresh_token"], token["client_secret"]):
            assert secret not in text, (run, secret)
