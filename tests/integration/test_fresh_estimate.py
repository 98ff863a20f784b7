"""On a fresh ledger, before any reel: the estimate of the shipped demo, stock and premium
channels, then one real reel of each (real activities on real workers, the footage providers
as loopback fakes driven by their real clients), settled within 5% of that estimate."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.config import load_channel, load_settings
from activities.ledger import Ledger
from activities.topics import find_topic
from tests.fakes.footage_apis import FakeReplicate, FakeRunway
from tests.integration.stack import channel_run, workers_running
from workers.estimates import estimate
from workers.run import QUEUES
from workflows.health import HEALTH_ID

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
TOLERANCE = 0.05
# The first entry of the shipped feed: what a fresh channel's first slot makes.
TOPIC = "Octopuses have three hearts"


def _settings(tmp_path: Path, cert: Path, runway: FakeRunway, replicate: FakeReplicate):
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    shipped = (REPO / "temporal.yaml").read_text()
    queues = ", ".join(f"{q}: fe-{q}" for q in QUEUES)
    table = shipped[shipped.index("  sources:", shipped.index("visuals:")):shipped.index("llm:")]
    # The shipped price table, its providers pointed at the fakes.
    table = table.replace("usd_per_second: 0.12,",
                          f"usd_per_second: 0.12, base_url: '{runway.url}',")
    table = table.replace("usd_per_clip: 0.003,",
                          f"usd_per_clip: 0.003, base_url: '{replicate.url}',")
    (tmp_path / "temporal.yaml").write_text(f"""
queues: {{{queues}}}
data: {{var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db',
        out_dir: out, channels_dir: channels}}
metrics: {{port: 0, sdk_port: 0}}
logs: {{json_file: ''}}
publishing: {{secrets_dir: {tmp_path / 'secrets'}}}
visuals:
  ca_bundle: {cert}
  poll_seconds: 0.05
{table}""")
    return load_settings(tmp_path / "temporal.yaml")


@pytest.mark.parametrize("channel", ["demo", "stock", "premium"])
async def test_a_fresh_estimate_is_what_the_first_reel_settles_for(
        channel: str, dev_env: WorkflowEnvironment, tmp_path: Path,
        fake_cert: tuple[Path, Path], footage_media: tuple[bytes, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Runway for premium (its best source that fits), Replicate's FLUX stills for stock
    # (no Pexels key here, so its free stock is skipped and the priced path is taken).
    monkeypatch.setenv("RUNWAYML_API_SECRET", "runway-key")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_key")
    for name in ("PEXELS_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "PIXABAY_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with FakeRunway(fake_cert, *footage_media) as runway, \
            FakeReplicate(fake_cert, *footage_media) as replicate:
        settings = _settings(tmp_path, fake_cert[0], runway, replicate)
        ledger = Ledger(settings.ledger_url)
        topic = find_topic(load_channel(settings, channel), TOPIC, [])
        report = await estimate(settings, channel, client=dev_env.client, ledger=ledger,
                                topic=topic)
        async with workers_running(dev_env.client, settings):
            result, _ = await channel_run(dev_env.client, settings, channel,
                                          f"channel/{channel}-{uuid.uuid4().hex[:6]}")
            with contextlib.suppress(RPCError):  # no paid source routed: never started
                await dev_env.client.get_workflow_handle(HEALTH_ID).terminate("test over")

    assert report.reels == 0 and "price tables" in report.basis, report
    assert all(r.seconds_basis == "price table" for r in report.per_source)
    assert result.published == 1, result
    reel = result.reels[0]
    assert reel.topic == TOPIC
    settled = _footage_usd(ledger, reel.reel_id)
    assert abs(settled - report.footage_usd) <= TOLERANCE * report.footage_usd + 1e-9, \
        (settled, report.footage_usd, report.scenes,
         [(d.scene, d.source, d.outcome, d.usd, d.estimate_usd)
          for d in ledger.visual_decisions(reel.reel_id)])
    if channel == "demo":
        assert report.footage_usd == 0.0 and report.chosen == ["illustrated", "procedural"]
    elif channel == "stock":
        assert report.chosen[0] == "replicate-flux" and replicate.submissions > 0
        assert report.footage_usd == pytest.approx(0.003 * len(report.scenes))
    else:
        assert report.chosen[0] == "runway" and runway.submissions > 0
        assert report.footage_usd > 1.0


def _footage_usd(ledger: Ledger, reel_id: str) -> float:
    from sqlmodel import select

    from activities.ledger import CostRow

    with ledger.session() as s:
        return round(sum(c.usd for c in s.exec(select(CostRow).where(
            CostRow.reel_id == reel_id, CostRow.stage == "footage"))), 6)
