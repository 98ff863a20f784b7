"""One reel to YouTube, Instagram and TikTok at once: the real ReelWorkflow on the
time-skipping server, the real publishers against the three loopback fakes, the media stages
doubled. Each platform gets one post, also when answers are lost and Temporal retries."""

from __future__ import annotations

import asyncio
import json

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities.artifacts import to_path
from tests.fakes.fixtures import World
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import Fault
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_api import FakeYouTube
from tests.telemetry.test_publish_metrics import _samples
from tests.workflows.doubles import QUEUE, unique
from tests.workflows.test_publish_platforms import _input, publishing_worker
from workers.telemetry.instruments import Instruments
from workers.telemetry.interceptor import MetricsInterceptor
from workers.watch import activity_waits
from workflows.contracts import ReelResult
from workflows.reel import ReelWorkflow

EVERYWHERE = ["local", "youtube", "instagram", "tiktok"]


async def test_a_reel_lands_once_on_youtube_instagram_and_tiktok_and_is_counted(
        time_env: WorkflowEnvironment, tiktok_world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram, tiktok_fake: FakeTikTok):
    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    interceptor = MetricsInterceptor(Instruments.create(provider.get_meter("test")))
    name = unique("three")
    async with publishing_worker(time_env.client, tiktok_world, [interceptor]):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, _input(name, tiktok_world, EVERYWHERE),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
    by_platform = {p.platform: p for p in result.publications}
    assert set(by_platform) == set(EVERYWHERE)
    [post] = tiktok_fake.published()
    assert by_platform["tiktok"].external_id == post.publish_id
    assert post.data == tiktok_world.video.read_bytes()
    assert len(youtube_fake.videos) == 1 and len(instagram_fake.media) == 1
    sidecar = json.loads(to_path(result.sidecar_uri).read_text())
    assert {p["platform"] for p in sidecar["publications"]} == set(EVERYWHERE)
    published = {dict(k)["platform"]: v for k, v in
                 _samples(registry, "monolathe_publications_total").items()
                 if dict(k)["outcome"] == "published"}
    assert published == {"local": 1, "youtube": 1, "instagram": 1, "tiktok": 1}


async def test_lost_answers_on_all_three_end_with_one_post_each(
        time_env: WorkflowEnvironment, tiktok_world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram, tiktok_fake: FakeTikTok):
    youtube_fake.faults.append(Fault("final-chunk", "commit-then-reset", times=2))
    instagram_fake.faults.append(Fault("publish", "commit-then-reset"))
    # TikTok: the init's answer is lost, then the line drops mid-upload, then a status poll.
    tiktok_fake.faults += [Fault("init", "commit-then-reset"), Fault("upload", "reset"),
                           Fault("status", "reset")]
    name = unique("three-crash")
    async with publishing_worker(time_env.client, tiktok_world):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, _input(name, tiktok_world, ["youtube", "instagram", "tiktok"]),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
    assert len(youtube_fake.videos) == 1 and len(instagram_fake.media) == 1
    [post] = tiktok_fake.published()
    assert post.data == tiktok_world.video.read_bytes()
    assert {p.platform for p in result.publications} == {"youtube", "instagram", "tiktok"}


async def test_tiktok_rate_limit_is_a_visible_wait_and_the_others_go_ahead(
        time_env: WorkflowEnvironment, tiktok_world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram, tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("init", 429, reason="rate_limit_exceeded", retry_after=90,
                                    times=2))
    name = unique("tiktok-rate")
    async with publishing_worker(time_env.client, tiktok_world):
        handle = await time_env.client.start_workflow(
            ReelWorkflow.run, _input(name, tiktok_world, ["youtube", "instagram", "tiktok"]),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
        waits: list[str] = []
        for _ in range(200):
            waits = await activity_waits(time_env.client, handle.id)
            progress = await handle.query(ReelWorkflow.progress)
            if waits and progress.platforms.get("instagram") == "done" and \
                    progress.platforms.get("youtube") == "done":
                break
            await asyncio.sleep(0.05)
        assert len(waits) == 1 and ": RateLimited" in waits[0]
        assert "tiktok 429 rate_limit_exceeded" in waits[0]
        assert progress.platforms["tiktok"] == "publishing"
        result = await handle.result()  # the server skips the waits TikTok asked for
    assert len(tiktok_fake.published()) == 1 and len(tiktok_fake.posts) == 1
    assert {p.platform for p in result.publications} == {"youtube", "instagram", "tiktok"}


async def test_tiktok_spam_risk_fails_its_post_and_the_others_stand(
        time_env: WorkflowEnvironment, tiktok_world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram, tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("init", 403, reason="spam_risk_too_many_posts"))
    name = unique("tiktok-spam")
    async with publishing_worker(time_env.client, tiktok_world):
        with pytest.raises(WorkflowFailureError) as failed:
            await time_env.client.execute_workflow(
                ReelWorkflow.run, _input(name, tiktok_world, ["youtube", "instagram", "tiktok"]),
                id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
    assert "spam_risk_too_many_posts" in str(failed.value.cause)
    assert len(youtube_fake.videos) == 1 and len(instagram_fake.media) == 1
    assert not tiktok_fake.posts
    reel_id = f"reel/{name}/2026-01-01/1"
    assert {p.platform for p in tiktok_world.ledger.publications(reel_id)
            if p.status == "published"} == {"youtube", "instagram"}
