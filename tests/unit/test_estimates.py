"""The estimate without Temporal: price tables on a fresh ledger, measured figures after."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from activities.config import load_channel, load_settings
from activities.ledger import Ledger
from activities.topics import find_topic
from workers.estimates import estimate, scene_seconds
from workflows.contracts import ReelRecord, StageCost

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_key")
    for name in ("PEXELS_API_KEY", "RUNWAYML_API_SECRET", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    (tmp_path / "temporal.yaml").write_text((REPO / "temporal.yaml").read_text()
                                            .replace("~/.config/monolathe", str(tmp_path)))
    return load_settings(tmp_path / "temporal.yaml")


async def test_a_fresh_ledger_prices_from_the_tables(settings):
    config = load_channel(settings, "stock")
    topic = find_topic(config, "Octopuses have three hearts", [])
    report = await estimate(settings, "stock", topic=topic)
    assert report.reels == 0 and report.measured_by_stage == {}
    assert "price tables" in report.basis and "no reels in the ledger yet" in report.basis
    assert len(report.scenes) == 6  # hook, four facts, the call to follow
    assert report.scenes_basis == "the topic's template script at the voice's pace"
    assert report.chosen[0] == "replicate-flux"  # no Pexels key: its stock is skipped
    assert report.footage_usd == pytest.approx(6 * 0.003) == report.usd
    rows = {r.source: r for r in report.per_source}
    assert rows["pexels"].state.startswith("not configured (no key")
    assert rows["replicate-flux"].state == "closed (no calls yet)"
    assert rows["replicate-flux"].seconds_per_clip == 5.0
    assert rows["replicate-flux"].seconds_basis == "price table"
    assert report.budget_left_usd == 1.0 and report.reels_that_fit == int(1.0 // report.usd)


async def test_once_reels_ran_their_measured_seconds_and_costs_are_used(settings):
    ledger = Ledger(settings.ledger_url)
    ledger.record_reel(ReelRecord(
        "reel/stock/2001-01-01/1", "stock", "t", "t", "published", "", {},
        [StageCost("footage", "replicate-flux", 8.0, 0.1, 0.003),
         StageCost("footage", "replicate-flux", 12.0, 0.1, 0.003),
         StageCost("compose", "libx264", 40, 40, 0.0008)], []))
    report = await estimate(settings, "stock", ledger=ledger)
    assert report.reels == 1 and "measured: mean of the last 1 reels of channel stock" \
        in report.basis
    assert report.by_stage["compose"] == pytest.approx(0.0008)
    flux = next(r for r in report.per_source if r.source == "replicate-flux")
    assert flux.seconds_per_clip == 10.0 and flux.seconds_basis == "measured over 2 clips"
    # the feed's ten topics, each priced: the scenes are per topic, their mean is the figure
    assert report.scenes == [] and "feed topics" in report.scenes_basis
    assert report.usd == pytest.approx(report.footage_usd + 0.0008)


def test_a_scene_lasts_longer_with_more_words_and_less_at_a_faster_voice():
    text = "Their blood is blue, because it carries oxygen with copper instead of iron."
    assert scene_seconds(text, 1.0) > scene_seconds(text[:30], 1.0)
    assert scene_seconds(text, 1.5) < scene_seconds(text, 1.0)
