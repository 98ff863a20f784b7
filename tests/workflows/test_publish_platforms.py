"""ReelWorkflow publishing to YouTube, Instagram and the local folder, on the time-skipping
server: the real publish activities against the loopback fakes, doubles for the media
stages. Crashes between a platform's success and our record, and a spent quota, end with
exactly one post per platform.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Interceptor, Worker

from activities.artifacts import to_path, to_uri
from activities.publish import PublishActivities
from activities.publishers.instagram import InstagramPublisher
from activities.publishers.tiktok import TikTokPublisher
from activities.publishers.youtube import YouTubePublisher
from tests.fakes.fixtures import CHUNK, TIKTOK_MAX_CHUNK, TIKTOK_MIN_CHUNK, World
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import Fault
from tests.fakes.youtube_api import FakeYouTube
from tests.workflows.doubles import QUEUE, Doubles, _cost, channel_config, unique
from workers.watch import activity_waits
from workflows.channel import ChannelWorkflow
from workflows.contracts import ComposedReel, ComposeRequest, ReelInput, ReelResult, Topic
from workflows.reel import ReelWorkflow


def _input(name: str, world: World, platforms: list[str]) -> ReelInput:
    config = channel_config(name="demo", platforms=platforms,
                            out_dir=str(world.video.parent / "out"))
    return ReelInput(f"reel/{name}/2026-01-01/1", config, Topic("topic", facts=["a.", "b."]),
                     {q: QUEUE for q in ("reels", "media", "gpu", "publish")})


@asynccontextmanager
async def publishing_worker(
    client: Client, world: World, interceptors: Sequence[Interceptor] = ()
) -> AsyncIterator[Doubles]:
    """Doubles for the media stages, the real publishers against the loopback fakes."""
    doubles = Doubles(channel_config())

    @activity.defn(name="compose_reel")
    async def compose_reel(req: ComposeRequest) -> ComposedReel:
        return ComposedReel(to_uri(world.video), to_uri(world.cover), 20.0, _cost("compose"))

    publish = PublishActivities(world.ledger, 0.0, {
        "youtube": YouTubePublisher(world.secrets, world.ledger, world.settings, CHUNK),
        "instagram": InstagramPublisher(world.secrets, world.ledger, world.settings,
                                        poll_s=0.01),
        "tiktok": TikTokPublisher(world.secrets, world.ledger, world.settings, poll_s=0.01,
                                  min_chunk=TIKTOK_MIN_CHUNK, max_chunk=TIKTOK_MAX_CHUNK),
    })
    replaced = {"compose_reel", "publish_reel"}
    acts = [a for a in doubles.activities() if a.__name__ not in replaced]
    with ThreadPoolExecutor(4) as executor:
        async with Worker(client, task_queue=QUEUE, workflows=[ChannelWorkflow, ReelWorkflow],
                          activities=[*acts, compose_reel, publish.publish_reel,
                                      publish.publish_to_platform],
                          activity_executor=executor, interceptors=interceptors):
            yield doubles


async def test_one_post_per_platform_and_the_sidecar_lists_them(
        time_env: WorkflowEnvironment, world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram):
    name = unique("everywhere")
    async with publishing_worker(time_env.client, world) as doubles:
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, _input(name, world, ["local", "youtube", "instagram"]),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
    by_platform = {p.platform: p for p in result.publications}
    assert set(by_platform) == {"local", "youtube", "instagram"}
    assert by_platform["youtube"].external_id in youtube_fake.videos
    assert by_platform["instagram"].external_id in instagram_fake.media
    assert len(youtube_fake.videos) == 1 and len(instagram_fake.media) == 1
    sidecar = json.loads(to_path(result.sidecar_uri).read_text())
    assert {p["platform"] for p in sidecar["publications"]} == {"local", "youtube", "instagram"}
    assert Path(to_path(by_platform["local"].url)).read_bytes() == world.video.read_bytes()
    assert doubles.records[-1].publications == result.publications


async def test_crash_window_retries_end_with_one_post_each(
        time_env: WorkflowEnvironment, world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram):
    # Both platforms succeed and the answer is lost: the activity attempt fails after the
    # post exists and before the ledger knows. Temporal retries the activity.
    youtube_fake.faults.append(Fault("final-chunk", "commit-then-reset", times=2))
    instagram_fake.faults.append(Fault("publish", "commit-then-reset"))
    name = unique("crash")
    async with publishing_worker(time_env.client, world):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, _input(name, world, ["youtube", "instagram"]),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
    assert len(youtube_fake.videos) == 1 and len(instagram_fake.media) == 1
    assert youtube_fake.count("POST", "/upload/youtube/v3/videos") == 1
    assert instagram_fake.count("POST", "/ig-api-upload") == 1
    by_platform = {p.platform: p for p in result.publications}
    assert by_platform["youtube"].reused and by_platform["instagram"].reused
    assert by_platform["youtube"].external_id in youtube_fake.videos
    assert by_platform["instagram"].external_id in instagram_fake.media


async def test_spent_quota_waits_for_the_reset_visibly_and_instagram_goes_ahead(
        time_env: WorkflowEnvironment, world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram):
    youtube_fake.quota_used = youtube_fake.quota_limit
    name = unique("quota")
    async with publishing_worker(time_env.client, world):
        handle = await time_env.client.start_workflow(
            ReelWorkflow.run, _input(name, world, ["youtube", "instagram"]),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
        waits: list[str] = []
        for _ in range(200):
            waits = await activity_waits(time_env.client, handle.id)
            progress = await handle.query(ReelWorkflow.progress)
            if waits and progress.platforms.get("instagram") == "done":
                break
            await asyncio.sleep(0.05)
        # (the dev server also tells the next attempt's time; the test server does not)
        assert len(waits) == 1 and "attempt 2: QuotaExceeded" in waits[0]
        assert "midnight Pacific time" in waits[0]
        assert len(instagram_fake.media) == 1  # not held back by YouTube's wait
        assert progress.platforms == {"youtube": "publishing", "instagram": "done"}
        youtube_fake.quota_used = 0  # the daily reset, on YouTube's side
        result = await handle.result()  # the server skips the hours of waiting
    assert len(youtube_fake.videos) == 1
    assert {p.platform for p in result.publications} == {"youtube", "instagram"}


async def test_channel_status_shows_when_the_quota_wait_ends(
        dev_env: WorkflowEnvironment, world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram):
    """On a real dev server the wait line carries the server's next attempt time."""
    youtube_fake.quota_used = youtube_fake.quota_limit
    name = unique("quota-dev")
    async with publishing_worker(dev_env.client, world):
        handle = await dev_env.client.start_workflow(
            ReelWorkflow.run, _input(name, world, ["youtube"]),
            id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
        try:
            waits: list[str] = []
            for _ in range(200):
                waits = await activity_waits(dev_env.client, handle.id)
                if waits:
                    break
                await asyncio.sleep(0.05)
            assert len(waits) == 1
            assert "publish_to_platform attempt 2: QuotaExceeded until 20" in waits[0]
            assert "midnight Pacific time" in waits[0]
        finally:
            await handle.terminate("test over")
