"""The trend scout's predicted-performance term on its edges: no past reels (neutral, and
the run says so), no gpu worker (the queue keeps what it had; not an error), a channel
with the term off (nothing asked). The ranking itself is pinned after a fortnight of
fetched figures in tests/workflows/test_performance.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from activities.gpu.embeddings import EmbeddingActivities
from activities.ledger import Ledger
from activities.performance import ReelMetrics
from activities.performance.store import record
from activities.trends.scout import TrendActivities
from tests.fakes.ledger_rows import published_reel
from tests.gpu.scout_run import run_scout

FEED = """\
topics:
  - title: Squid flash colours to talk to each other
    facts: [Their skin holds thousands of colour cells., Each cell opens in a fraction of a second.]
  - title: How VAT refunds are processed
    facts: [A claim lists every receipt., The office checks each line before it pays.]
"""
PAST = [("Octopuses have three hearts", 2000), ("Whales sing songs across oceans", 1800),
        ("Sea otters hold hands asleep", 2100), ("How to file an income tax return", 200),
        ("Why mortgage rates change every month", 150), ("Reading a utility bill", 250)]


def past_reels(ledger: Ledger, channel: str, now: datetime) -> None:
    """Six reels published ten days ago, fetched at 1 h and at 8 days."""
    at = now - timedelta(days=10)
    for n, (topic, views) in enumerate(PAST, start=1):
        reel = published_reel(ledger, channel, n, at, topic=topic, title=topic)
        reel_id = reel.reel_id
        for age_h, share in ((1, 0.1), (192, 1.0)):
            record(ledger, channel, "youtube", [reel],
                   [ReelMetrics(reel_id, f"v{n}", views=int(views * share))],
                   at + timedelta(hours=age_h))


async def scout_learning(env: WorkflowEnvironment, tmp_path: Path, *, past: bool,
                         with_gpu: bool, weight: float = 0.5):
    """One scout run of a channel with `performance_weight`; the result, the queue's rows
    by title, the run's workflow id."""
    name, queue = "learner", f"learn-{uuid.uuid4().hex[:6]}"
    channels = tmp_path / "channels"
    channels.mkdir()
    (channels / "feed.yaml").write_text(FEED)
    (channels / f"{name}.yaml").write_text(
        f"name: {name}\nniche: everyday curiosities\ntrends:\n"
        f"  performance_weight: {weight}\n  sources: [{{kind: feed, url: feed.yaml}}]\n")
    (tmp_path / "temporal.yaml").write_text(
        f"queues: {{reels: {queue}, gpu: {queue}-gpu}}\n"
        f"data: {{ledger_url: 'sqlite:///{tmp_path / 'ledger.db'}', channels_dir: {channels}}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    ledger = Ledger(settings.ledger_url)
    if past:
        past_reels(ledger, name, await env.get_current_time())
    trends = TrendActivities(settings, ledger)
    return await run_scout(env, settings, ledger, name, queue,
                           [trends.scout_trends, trends.list_past_reels,
                            trends.rescore_performance],
                           EmbeddingActivities(0.0).predict_performance, with_gpu)


async def _activities_run(env: WorkflowEnvironment, workflow_id: str) -> list[str]:
    names = []
    async for event in env.client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            names.append(event.activity_task_scheduled_event_attributes.activity_type.name)
    return names


async def test_past_reels_rank_the_topic_near_the_winners_first(
        time_env: WorkflowEnvironment, tmp_path: Path):
    result, rows, _ = await scout_learning(time_env, tmp_path, past=True, with_gpu=True)
    assert result.performance == "predicted from 6 past reels (k=5)"
    squid, vat = rows["Squid flash colours to talk to each other"], rows[
        "How VAT refunds are processed"]
    assert squid.performance > 0.6 and vat.performance < 0.4
    assert squid.score > vat.score


async def test_without_past_reels_the_term_is_neutral_and_says_so(
        time_env: WorkflowEnvironment, tmp_path: Path):
    result, rows, workflow_id = await scout_learning(time_env, tmp_path, past=False,
                                                     with_gpu=True)
    assert result.performance == ("neutral: no past reels with 7-day views yet, every topic"
                                  " counts 0.5")
    assert {r.performance for r in rows.values()} == {None}
    # The score is the parts' half plus half of 0.5: the order the parts give.
    squid = rows["Squid flash colours to talk to each other"]
    parts = 0.25 * squid.freshness + 0.2 * squid.traffic + 0.4 * squid.relevance + (
        0.15 * squid.novelty)
    assert squid.score == round(0.5 * parts + 0.25, 4)
    assert "predict_performance" not in await _activities_run(time_env, workflow_id)


async def test_without_a_gpu_worker_the_queue_keeps_its_scores(
        time_env: WorkflowEnvironment, tmp_path: Path):
    result, rows, workflow_id = await scout_learning(time_env, tmp_path, past=True,
                                                     with_gpu=False)
    assert result.performance == ("not predicted this run (no gpu worker took it); the last"
                                  " predictions stand")
    assert result.queue_depth == 2
    assert {r.performance for r in rows.values()} == {None}
    assert "rescore_performance" not in await _activities_run(time_env, workflow_id)


async def test_a_channel_with_the_term_off_asks_nothing_of_it(
        time_env: WorkflowEnvironment, tmp_path: Path):
    result, _, workflow_id = await scout_learning(time_env, tmp_path, past=True,
                                                  with_gpu=True, weight=0.0)
    assert result.performance == "" and result.waiting == []
    assert await _activities_run(time_env, workflow_id) == ["load_channel", "scout_trends"]
