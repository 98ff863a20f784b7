"""No platform token ever enters Temporal: every workflow history of a run with real-looking
YouTube and Instagram tokens (and the crash-window retries, whose failures are recorded) is
exported from a real dev server and searched, byte for byte, for each secret."""

from __future__ import annotations

import uuid

from temporalio.testing import WorkflowEnvironment

from tests.fakes.fixtures import CHANNEL, World
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import Fault
from tests.fakes.youtube_api import FakeYouTube
from tests.workflows.doubles import QUEUE, channel_config
from tests.workflows.test_publish_platforms import publishing_worker
from workflows.contracts import ReelInput, ReelResult, Topic
from workflows.reel import ReelWorkflow

YT_REFRESH = "1//0gK7xQm3vYt2CgYIARAAGBASNwF-L9IrQz8h4bW1mDxJ3tYkPzN7vEaUqS0cR5fLhG2jXo"
YT_SECRET = "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"
IG_TOKEN = ("EAAGm0PX4ZCpsBAKZBq8ZCvR3ZBt7YhN2mXoQ1LzWcU5sD9fJ0eKgHiT4bP6aVnM8yZCrE"
            "3uGxL1oQwS7dF2hJ9kZBcV5nB0mA")


async def test_histories_of_a_publishing_run_hold_no_token(
        dev_env: WorkflowEnvironment, world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram) -> None:
    youtube_fake.refresh_tokens = {YT_REFRESH}
    instagram_fake.token = IG_TOKEN
    world.secrets.save(CHANNEL, "youtube", {
        "client_id": "81234567890-abcdefg.apps.googleusercontent.com",
        "client_secret": YT_SECRET, "refresh_token": YT_REFRESH})
    world.secrets.save(CHANNEL, "instagram", {"access_token": IG_TOKEN,
                                              "ig_user_id": instagram_fake.user_id})
    youtube_fake.faults.append(Fault("final-chunk", "commit-then-reset"))
    instagram_fake.faults.append(Fault("publish", "commit-then-reset"))
    run = uuid.uuid4().hex[:8]
    config = channel_config(name="demo", platforms=["local", "youtube", "instagram"],
                            out_dir=str(world.video.parent / "out"))
    async with publishing_worker(dev_env.client, world):
        for n in (1, 2):
            reel = ReelInput(f"reel/demo/2026-11-25/{run}-{n}", config,
                             Topic("octopus", facts=["a.", "b."]),
                             {q: QUEUE for q in ("reels", "media", "gpu", "publish")})
            result = await dev_env.client.execute_workflow(
                ReelWorkflow.run, reel, id=reel.reel_id, task_queue=QUEUE,
                result_type=ReelResult)
            assert {p.platform for p in result.publications} == {"local", "youtube", "instagram"}
    secrets = [YT_REFRESH, YT_SECRET, IG_TOKEN, *youtube_fake.access_tokens]
    assert youtube_fake.access_tokens, "the publisher did use a refreshed access token"
    exported = 0
    async for execution in dev_env.client.list_workflows():
        handle = dev_env.client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        stored = b"".join(event.SerializeToString() for event in history.events)
        text = history.to_json()
        for secret in secrets:
            assert secret.encode() not in stored and secret not in text, (execution.id, secret)
        exported += 1
    assert exported >= 2
