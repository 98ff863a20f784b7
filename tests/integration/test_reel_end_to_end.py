"""A real reel: real activities on real workers against a real Temporal dev server."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from activities.ffmpeg_run import run_ffmpeg
from activities.ledger import Ledger
from activities.quality import probe
from tests.integration.stack import run_channel

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _settings(tmp_path: Path):
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    (tmp_path / "temporal.yaml").write_text(
        "queues: {reels: it-reels, media: it-media, gpu: it-gpu, publish: it-publish}\n"
        "data: {var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db',"
        " out_dir: out, channels_dir: channels}\n"
    )
    return load_settings(tmp_path / "temporal.yaml")


def _mean_volume_db(video: Path) -> float:
    run = run_ffmpeg(["-i", str(video), "-vn", "-af", "volumedetect", "-f", "null", "-"])
    match = re.search(r"mean_volume: (-?[\d.]+) dB", run.stderr)
    assert match, run.stderr[-500:]
    return float(match.group(1))


async def test_demo_channel_publishes_a_watchable_reel(dev_env: WorkflowEnvironment, tmp_path):
    settings = _settings(tmp_path)
    result, _ = await run_channel(dev_env.client, settings, "demo", "channel/demo-it")
    assert result.published == 1, result
    reel = result.reels[0]
    video = Path(reel.urls[0].removeprefix("file://"))
    assert video.parent == tmp_path / "out" / "demo" and video.suffix == ".mp4"

    info = probe(video)
    assert (info.width, info.height) == (1080, 1920)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert 15.0 <= info.duration_s <= 60.0
    assert _mean_volume_db(video) > -35.0  # a voice and a music bed, not silence

    sidecar = json.loads(video.with_suffix(".json").read_text())
    for key in ("title", "description", "hashtags", "topic", "costs", "stage_seconds"):
        assert sidecar[key], key
    assert {c["stage"] for c in sidecar["costs"]} >= {"voice", "visuals", "compose"}
    assert sidecar["quality"]["passed"] is True
    assert video.with_suffix(".jpg").stat().st_size > 1000

    # the ledger holds one publication, and a retried publish would find it
    ledger = Ledger(settings.ledger_url)
    assert len(ledger.publications(reel.reel_id)) == 1
    again = ledger.publication_intent(reel.reel_id, "local")
    assert again is not None and again.reused and again.external_id == video.stem
    artifacts = settings.artifacts_dir / reel.reel_id
    assert (artifacts / "words.json").is_file() and (artifacts / "captions.ass").is_file()
