"""Niche relevance by meaning: the scout asks the gpu worker's MiniLM where one runs and
keeps the keyword relevance where none picks the work up."""

from __future__ import annotations

import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from activities.gpu.embeddings import EmbeddingActivities
from activities.ledger import Ledger
from activities.trends.scout import TrendActivities
from tests.fakes.trends_api import FakeTrends
from tests.gpu.scout_run import run_scout
from tests.workflows.test_trends import scout_channel
from workflows.contracts import RelevanceRequest


def test_minilm_scores_the_niche_above_unrelated_news():
    scores = EmbeddingActivities(0.0).rank_relevance(RelevanceRequest(
        "space science and telescopes",
        ["james webb telescope finds water vapour around a distant planet",
         "a famous singer married in a private ceremony"])).scores
    assert scores[0] > 0.3 > scores[1] >= 0.0


async def scout_by_meaning(env: WorkflowEnvironment, tmp_path: Path, cert, with_gpu: bool):
    """One scout run of a channel with `relevance: meaning`, with or without a gpu worker;
    returns the result, the queue's rows by title and the run's workflow id."""
    name, queue = "meaning", f"scout-{uuid.uuid4().hex[:6]}"
    with FakeTrends(cert) as fake:
        settings = scout_channel(tmp_path, cert[0], fake.url, queue, name)
        channel_file = settings.channels_dir / f"{name}.yaml"
        channel_file.write_text(channel_file.read_text().replace(
            "  scout_every_minutes: 5\n", "  scout_every_minutes: 5\n  relevance: meaning\n"))
        (tmp_path / "temporal.yaml").write_text((tmp_path / "temporal.yaml").read_text()
                                                .replace("queues: {", f"queues: {{gpu: {queue}-gpu, "))
        settings = load_settings(tmp_path / "temporal.yaml")
        ledger = Ledger(settings.ledger_url)
        trends = TrendActivities(settings, ledger)
        return await run_scout(env, settings, ledger, name, queue,
                               [trends.scout_trends, trends.rescore_topics],
                               EmbeddingActivities(0.0).rank_relevance, with_gpu)


async def test_the_scout_ranks_by_meaning_on_the_gpu_worker(
        time_env: WorkflowEnvironment, tmp_path: Path, fake_cert):
    result, rows, _ = await scout_by_meaning(time_env, tmp_path, fake_cert, with_gpu=True)
    assert result.queue_depth == 3
    webb, wedding = rows["james webb telescope"], rows["celebrity wedding"]
    assert webb.relevance > 0.3 > wedding.relevance
    assert webb.relevance not in (0.0, 0.3333, 0.6667, 1.0)  # a cosine, not a keyword share
    assert webb.score > wedding.score


async def test_without_a_gpu_worker_the_keyword_relevance_stays(
        time_env: WorkflowEnvironment, tmp_path: Path, fake_cert):
    result, rows, _ = await scout_by_meaning(time_env, tmp_path, fake_cert, with_gpu=False)
    assert result.queue_depth == 3
    assert rows["james webb telescope"].relevance in (0.3333, 0.6667, 1.0)
    assert rows["celebrity wedding"].relevance == 0.0
