"""A real reel whose first cut has a frozen scene: the scene is made again and it publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.ffmpeg_run import run_ffmpeg
from activities.ledger import Ledger
from tests.integration.stack import run_channel
from tests.integration.test_reel_end_to_end import _settings

pytestmark = pytest.mark.integration
TOPIC = """topics:
  - title: Glass is made from sand
    keywords: [glass, sand]
    hook: Every window you have ever looked through started as a handful of beach sand.
    facts:
      - Glass is mostly silica, the same mineral that makes up ordinary sand.
      - Heated to about seventeen hundred degrees, the sand melts into a clear liquid.
"""


async def test_a_frozen_own_clip_is_replaced_and_the_reel_published(
    dev_env: WorkflowEnvironment, tmp_path: Path
):
    settings = _settings(tmp_path)
    media = tmp_path / "media"
    media.mkdir()
    # One still frame held for 12 s: the scene it lands in is frozen between words.
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x336699:s=540x960:r=30:d=12",
                "-pix_fmt", "yuv420p", str(media / "glass-sand.mp4")], what="frozen clip")
    channels = tmp_path / "channels"
    (channels / "feeds" / "glass.yaml").write_text(TOPIC)
    demo = (channels / "demo.yaml").read_text()
    (channels / "frozen.yaml").write_text(
        demo.replace("name: demo", "name: frozen")
        .replace("feeds/science.yaml", "feeds/glass.yaml")
        + f"media_dir: {media}\n"
    )
    result, _ = await run_channel(dev_env.client, settings, "frozen", "channel/frozen-it")
    assert result.published == 1, result
    reel = result.reels[0]
    sidecar = json.loads(Path(reel.urls[0].removeprefix("file://")).with_suffix(".json")
                         .read_text())
    remedies = sidecar["quality_remedies"]
    # every scene that took the still clip was frozen somewhere and was made again
    assert len(remedies) == 1 and "frozen" in remedies[0], remedies
    assert "new visuals for scene" in remedies[0] and " 0" in remedies[0], remedies
    assert all(c["stage"] != "visuals" or c["backend"] for c in sidecar["costs"])
    assert [c["stage"] for c in sidecar["costs"]].count("visuals") == 2
    assert sidecar["quality"]["checks"]["frozen"] == "ok"
    assert Ledger(settings.ledger_url).quality_remedies(reel.reel_id) == remedies
