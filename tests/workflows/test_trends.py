"""The trend scout and the API writer under Temporal: a Schedule filling the topic queue on a
real dev server, slots taking from the queue and a reel written by the API writer on the
time-skipping server, with the real activities against loopback fakes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.channel import ChannelActivities
from activities.config import Settings, load_channel, load_settings
from activities.ledger import CostRow, Ledger, ScoutRunRow
from activities.script_api import ApiScriptActivities
from activities.secrets import SecretStore
from activities.trends import Candidate
from activities.trends import queue as topic_queue
from activities.trends.scoring import score
from activities.trends.scout import TrendActivities
from tests.fakes.llm_api import FakeLlm
from tests.fakes.trends_api import FakeTrends
from tests.workflows.doubles import QUEUE, Doubles, channel_config
from workers.trends import ensure_scout_schedule, pause_scout
from workers.work_errors import WorkErrorInterceptor
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ChannelResult, ScriptConfig, TrendSource
from workflows.reel import ReelWorkflow
from workflows.scout import TrendScoutWorkflow, schedule_id

REPO = Path(__file__).resolve().parents[2]
FACTS = ["The first sentence of this story has enough words.",
         "The second sentence of this story has enough words too.",
         "A third sentence makes the script long enough to narrate well."]


def queued_candidates(ledger: Ledger, channel: str) -> list[str]:
    """Three stories in the channel's queue; returns their titles best first."""
    now = datetime.now(UTC)
    found = [Candidate(f"story {n} about deep sea animals", FACTS, "rss:test", traffic=10 ** n,
                       published=now - timedelta(hours=1)) for n in (1, 2, 3)]
    ranked = score(found, "deep sea animals", [], now)
    topic_queue.enqueue(ledger, channel, ranked)
    return [r.candidate.title for r in ranked]


@asynccontextmanager
async def real_worker(client: Client, doubles: Doubles, real: list) -> AsyncIterator[Worker]:
    """The doubles, with some activities replaced by real ones (same names)."""
    names = {getattr(fn, "__temporal_activity_definition").name for fn in real}
    acts = [fn for fn in doubles.activities()
            if getattr(fn, "__temporal_activity_definition").name not in names]
    with ThreadPoolExecutor(max_workers=4) as pool:
        async with Worker(client, task_queue=QUEUE,
                          workflows=[ChannelWorkflow, ReelWorkflow, TrendScoutWorkflow],
                          activities=[*acts, *real], activity_executor=pool,
                          interceptors=[WorkErrorInterceptor()]) as running:
            yield running


def api_settings(tmp_path: Path, ca: Path) -> Settings:
    (tmp_path / "temporal.yaml").write_text(
        f"data: {{ledger_url: 'sqlite:///{tmp_path / 'ledger.db'}'}}\n"
        f"publishing: {{secrets_dir: {tmp_path / 'secrets'}, ca_bundle: {ca}}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    SecretStore(settings.publishing.secrets_dir).save("llm", "deepseek", {"api_key": "sk-test"})
    return settings


async def run_queue_channel(client: Client, settings: Settings, name: str,
                            llm_url: str = "") -> tuple[ChannelResult, Ledger, list[str]]:
    """A channel with a scout source and (with llm_url) the API writer: two reels."""
    ledger = Ledger(settings.ledger_url)
    titles = queued_candidates(ledger, name)
    config = channel_config(name=name, trend_sources=[TrendSource("rss", url="https://x/")])
    if llm_url:
        config.script = ScriptConfig(writer="api", model="deepseek-chat", base_url=llm_url,
                                     api_key="deepseek")
    doubles = Doubles(config)
    trends = TrendActivities(settings, ledger)
    real = [trends.take_topic, ChannelActivities(settings, ledger).record_reel,
            ApiScriptActivities(settings).write_script_api]
    async with real_worker(client, doubles, real):
        result = await client.execute_workflow(
            # One-second slots: the second slot's timer must not depend on the shared test
            # server skipping time (after some tests of test_review.py it runs in real time).
            ChannelWorkflow.run, ChannelInput(channel=name, max_reels=2, slot_seconds=1),
            id=f"channel/{name}", task_queue=QUEUE)
    assert "pick_topic" not in doubles.calls  # the slot never asked a source
    return result, ledger, titles


async def test_slots_take_the_best_unused_topics_from_the_queue(
        time_env: WorkflowEnvironment, tmp_path: Path, fake_cert):
    name = f"queue-{uuid.uuid4().hex[:6]}"
    result, ledger, titles = await run_queue_channel(time_env.client,
                                                     api_settings(tmp_path, fake_cert[0]), name)
    assert [r.topic for r in result.reels] == titles[:2]
    assert topic_queue.depth(ledger, name) == 1


async def test_a_reel_by_the_api_writer_puts_its_token_cost_in_ledger_and_budget(
        time_env: WorkflowEnvironment, tmp_path: Path, fake_cert):
    name = f"api-{uuid.uuid4().hex[:6]}"
    settings = api_settings(tmp_path, fake_cert[0])
    with FakeLlm(fake_cert) as llm:
        result, ledger, _ = await run_queue_channel(time_env.client, settings, name, llm.url)
    assert result.published == 2 and len(llm.bodies) == 2
    with ledger.session() as s:
        scripts = list(s.exec(select(CostRow).where(CostRow.channel == name,
                                                    CostRow.stage == "script")))
    token_usd = (800 * 0.28 + 100 * 0.028 + 300 * 0.42) / 1_000_000
    assert [c.backend for c in scripts] == ["api/deepseek-chat"] * 2
    assert all(c.usd >= token_usd - 1e-6 for c in scripts)
    # what the channel counts against its budget (spend_by_day) is the ledger's total
    day = result.reels[0].reel_id.split("/")[2]
    spent = sum(r.usd for r in result.reels)
    assert spent == pytest.approx(ledger.spend_on(name, day), abs=1e-6)
    assert spent >= 2 * token_usd - 1e-6


def scout_channel(tmp_path: Path, ca: Path, fake_url: str, queue: str, name: str) -> Settings:
    channels = tmp_path / "channels"
    channels.mkdir()
    (channels / f"{name}.yaml").write_text(
        f"name: {name}\nniche: space science telescope\n"
        "trends:\n  scout_every_minutes: 5\n  sources:\n"
        "    - {kind: google_trends, geo: US}\n"
        f"    - {{kind: rss, url: '{fake_url}/feeds/science.xml'}}\n"
        "    - {kind: rss, url: 'https://127.0.0.1:1/dead.xml'}\n")
    (tmp_path / "temporal.yaml").write_text(
        f"queues: {{reels: {queue}}}\n"
        f"data: {{ledger_url: 'sqlite:///{tmp_path / 'ledger.db'}', channels_dir: {channels}}}\n"
        f"publishing: {{secrets_dir: {tmp_path / 'secrets'}, ca_bundle: {ca}}}\n"
        f"trends: {{google_trends_url: '{fake_url}/trending/rss', timeout_s: 2}}\n")
    return load_settings(tmp_path / "temporal.yaml")


async def test_the_schedule_fills_the_queue_and_reports_a_dead_source(
        dev_env: WorkflowEnvironment, tmp_path: Path, fake_cert):
    name, queue = "scouted", f"scout-{uuid.uuid4().hex[:6]}"
    with FakeTrends(fake_cert) as fake:
        settings = scout_channel(tmp_path, fake_cert[0], fake.url, queue, name)
        ledger = Ledger(settings.ledger_url)
        config = load_channel(settings, name)
        channel = ChannelActivities(settings, ledger)
        trends = TrendActivities(settings, ledger)
        with ThreadPoolExecutor(max_workers=4) as pool:
            async with Worker(dev_env.client, task_queue=queue, workflows=[TrendScoutWorkflow],
                              activities=[channel.load_channel, trends.scout_trends],
                              activity_executor=pool, interceptors=[WorkErrorInterceptor()]):
                # Every 2 s instead of the channel's 5 minutes, so two runs fit in a test.
                assert await ensure_scout_schedule(dev_env.client, settings, config,
                                                   every=timedelta(seconds=2)) == "created"
                handle = dev_env.client.get_schedule_handle(schedule_id(name))
                try:
                    for _ in range(300):
                        with ledger.session() as s:
                            runs = list(s.exec(select(ScoutRunRow)))
                        if len(runs) >= 6:  # three sources, two runs
                            break
                        await asyncio.sleep(0.2)
                    described = await handle.describe()
                    assert await pause_scout(dev_env.client, name, "channel killed")
                    assert (await handle.describe()).schedule.state.paused
                    # `trends --refresh` brings the interval up to date, not the scouting back
                    assert await ensure_scout_schedule(dev_env.client, settings, config) == \
                        "updated"
                    state = (await handle.describe()).schedule.state
                    assert state.paused and state.note == "channel killed"
                    # starting the channel again does
                    assert await ensure_scout_schedule(dev_env.client, settings, config,
                                                       resume=True) == "updated"
                    assert not (await handle.describe()).schedule.state.paused
                    assert not await pause_scout(dev_env.client, "no-such-channel", "x")
                finally:
                    await handle.delete()
    assert len(runs) >= 6, runs
    dead = [r for r in runs if r.source == "rss:127.0.0.1:1"]
    assert dead and all(r.candidates == 0 and "ConnectError" in r.error for r in dead)
    assert all(r.candidates > 0 for r in runs if r.source == "google_trends:US")
    assert topic_queue.depth(ledger, name) == 3  # two searches and one feed item, once each
    assert len(described.info.recent_actions) >= 2
