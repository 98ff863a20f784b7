"""A trending channel end to end: the real workers on a real dev server scout loopback trend
sources into the queue, a slot takes the best topic, the API writer (a loopback
OpenAI-compatible API) writes the script, and a real reel is published."""

from __future__ import annotations

import json
import shutil
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from activities.ledger import Ledger
from activities.secrets import SecretStore
from activities.trends import queue as topic_queue
from tests.fakes.llm_api import FakeLlm
from tests.fakes.trends_api import REDDIT_ID, REDDIT_SECRET, FakeTrends
from workers.run import QUEUES, build_worker
from workers.trends import refresh
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ChannelResult

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _project(tmp_path: Path, ca: Path, trends_url: str, llm_url: str):
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    (tmp_path / "channels" / "trending.yaml").write_text(
        "name: trending\nniche: space science telescope planets\nhashtags: [space]\n"
        "script: {writer: api}\n"
        "trends:\n  sources:\n    - {kind: google_trends, geo: US}\n"
        "    - {kind: reddit, subreddits: [space], key: reddit}\n"
        f"    - {{kind: rss, url: '{trends_url}/feeds/science.xml'}}\n"
        "    - {kind: feed, url: feeds/science.yaml}\n")
    (tmp_path / "temporal.yaml").write_text(
        "queues: {reels: tr-reels, media: tr-media, gpu: tr-gpu, publish: tr-publish}\n"
        "data: {var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db',"
        " out_dir: out, channels_dir: channels}\n"
        f"publishing: {{secrets_dir: secrets, ca_bundle: {ca}}}\n"
        f"llm: {{base_url: '{llm_url}'}}\n"
        f"trends: {{google_trends_url: '{trends_url}/trending/rss', reddit_url: '{trends_url}',"
        f" reddit_token_url: '{trends_url}/api/v1/access_token'}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    secrets = SecretStore(settings.publishing.secrets_dir)
    secrets.save("llm", "deepseek", {"api_key": "sk-test"})
    secrets.save("reddit", "reddit", {"client_id": REDDIT_ID, "client_secret": REDDIT_SECRET})
    return settings


async def test_a_trending_channel_publishes_a_reel_on_the_best_topic(
        dev_env: WorkflowEnvironment, tmp_path: Path, fake_cert):
    with FakeTrends(fake_cert) as trends, FakeLlm(fake_cert) as llm:
        settings = _project(tmp_path, fake_cert[0], trends.url, llm.url)
        ledger = Ledger(settings.ledger_url)
        async with AsyncExitStack() as stack:
            for queue in QUEUES:
                await stack.enter_async_context(build_worker(dev_env.client, settings, queue))
            scouted = await refresh(dev_env.client, settings, "trending")
            best = topic_queue.listing(ledger, "trending", 1)[0][0]
            result: ChannelResult = await dev_env.client.execute_workflow(
                ChannelWorkflow.run, ChannelInput(channel="trending", slot_seconds=1, max_reels=1),
                id="channel/trending-it", task_queue=settings.queues.reels)
    assert {r.source: r.candidates for r in scouted.sources} == {
        "google_trends:US": 2, "reddit:r/space": 1, f"rss:127.0.0.1:{trends.port}": 1,
        "feed:science.yaml": 10}
    assert result.published == 1, result
    reel = result.reels[0]
    assert reel.topic == best.title
    video = Path(reel.urls[0].removeprefix("file://"))
    sidecar = json.loads(video.with_suffix(".json").read_text())
    assert sidecar["topic"] == best.title and sidecar["topic_links"][0] == best.url
    assert len(sidecar["topic_facts"]) >= 2
    script = next(c for c in sidecar["costs"] if c["stage"] == "script")
    assert script["backend"] == "api/deepseek-chat" and script["usd"] > 0.0003
    assert sidecar["title"] == "Octopuses have three hearts"  # what the fake model wrote
    prompt = llm.bodies[0]["messages"][1]["content"]
    assert best.title in prompt and all(f in prompt for f in json.loads(best.facts_json))
    assert topic_queue.depth(ledger, "trending") == sum(
        r.candidates for r in scouted.sources) - 1
