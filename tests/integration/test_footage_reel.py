"""A real reel made with stock footage and generated stills: the real activities on real
workers and a real dev server, the footage providers as loopback fakes driven by their real
clients. The plan's estimate and the settled cost agree, and every decision is on record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from activities.ledger import Ledger
from tests.fakes.footage_apis import FakePexels, FakeReplicate
from tests.integration.stack import channel_run, workers_running
from workers.run import QUEUES
from workflows.health import HEALTH_ID, BackendHealthWorkflow

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
ESTIMATE_TOLERANCE = 0.05


def _settings(tmp_path: Path, cert: Path, pexels: FakePexels, replicate: FakeReplicate):
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    queues = ", ".join(f"{q}: fr-{q}" for q in QUEUES)
    (tmp_path / "temporal.yaml").write_text(f"""
queues: {{{queues}}}
data: {{var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db',
        out_dir: out, channels_dir: channels}}
publishing: {{secrets_dir: {tmp_path / 'secrets'}}}
visuals:
  ca_bundle: {cert}
  poll_seconds: 0.05
  sources:
    replicate-flux: {{kind: still, quality: 0.65, model: black-forest-labs/flux-schnell,
                      usd_per_clip: 0.003, base_url: '{replicate.url}'}}
    pexels: {{kind: video, quality: 0.6, base_url: '{pexels.url}'}}
    procedural: {{kind: video, quality: 0.2}}
""")
    demo = (tmp_path / "channels" / "demo.yaml").read_text()
    policy = ("visuals:\n  sources: [replicate-flux, pexels, procedural]\n"
              "  max_usd_per_reel: 0.10\n  prefer: quality\n")
    start = demo.index("visuals:")
    end = demo.index("\n", demo.index("prefer:", start))
    (tmp_path / "channels" / "footage.yaml").write_text(
        demo[:start].replace("name: demo", "name: footage") + policy + demo[end + 1:])
    return load_settings(tmp_path / "temporal.yaml")


async def test_a_reel_with_stills_and_stock_costs_what_it_was_estimated(
        dev_env: WorkflowEnvironment, tmp_path: Path, fake_cert: tuple[Path, Path],
        footage_media: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEXELS_API_KEY", "pexels-key")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_key")
    with FakePexels(fake_cert, *footage_media) as pexels, \
            FakeReplicate(fake_cert, *footage_media) as replicate:
        settings = _settings(tmp_path, fake_cert[0], pexels, replicate)
        async with workers_running(dev_env.client, settings):  # queries need a worker
            result, status = await channel_run(dev_env.client, settings, "footage",
                                               "channel/footage-it")
            health = dev_env.client.get_workflow_handle(HEALTH_ID)
            breakers = await health.query(BackendHealthWorkflow.breakers)
            # The server outlives this test: later tests start their own on their queue.
            await health.terminate("test over")

    assert result.published == 1, result
    reel = result.reels[0]
    sidecar = json.loads(Path(reel.urls[0].removeprefix("file://")).with_suffix(".json")
                         .read_text())
    decisions = sidecar["visual_decisions"]
    chosen = [d["chosen"] for d in decisions]
    assert chosen and set(chosen) == {"replicate-flux"}, decisions  # the best that fits
    assert replicate.submissions == len(decisions) and pexels.submissions == 0
    estimate = sum(d["estimate_usd"] for d in decisions)
    settled = sum(d["usd"] for d in decisions)
    assert settled > 0 and abs(settled - estimate) <= ESTIMATE_TOLERANCE * estimate
    footage_costs = [c for c in sidecar["costs"] if c["stage"] == "footage"]
    assert round(sum(c["usd"] for c in footage_costs), 6) == pytest.approx(settled)
    assert sidecar["quality"]["passed"] is True
    rows = Ledger(settings.ledger_url).visual_decisions(reel.reel_id)
    assert {r.source for r in rows if r.outcome == "chosen"} == {"replicate-flux"}
    # the reservation was settled and released; the day's spend holds the footage
    assert status.reserved_usd == 0.0
    assert status.spend_today_usd >= settled
    flux = next(b for b in breakers.breakers if b.source == "replicate-flux")
    assert flux.state == "closed" and flux.spend_today_usd == pytest.approx(settled)
