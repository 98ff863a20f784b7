"""The sidecar publish_reel writes keeps the footage credits and the routing decisions."""

from __future__ import annotations

import json
from pathlib import Path

from activities.artifacts import to_path, to_uri
from activities.ledger import Ledger
from activities.publish import PublishActivities
from workflows.contracts import (
    PublishRequest,
    QualityReport,
    SceneAttempt,
    SourceSkip,
    VisualDecision,
)


def test_sidecar_has_credits_and_visual_decisions(tmp_path: Path) -> None:
    video = tmp_path / "r.mp4"
    video.write_bytes(b"mp4")
    decision = VisualDecision(0, ["pexels", "procedural"], "pexels", 0.0, 0.0,
                              [SceneAttempt("pexels", "ok")],
                              [SourceSkip("veo", "breaker open until 2026-05-01T12:05:00")],
                              "Video by Jane Doe on Pexels")
    request = PublishRequest(
        reel_id="reel/stock/2026-05-01/1", channel="stock", platforms=["local"],
        out_dir=str(tmp_path / "out"), video_uri=to_uri(video), cover_uri="", title="T",
        description="About cats.\n\nVideo by Jane Doe on Pexels", hashtags=[], topic="cats",
        costs=[], stage_seconds={},
        quality=QualityReport(True, 1080, 1920, 30.0, 20.0, "h264", "aac", -16.0, {}),
        credits=["Video by Jane Doe on Pexels"], visual_decisions=[decision])
    activities = PublishActivities(Ledger(f"sqlite:///{tmp_path}/l.db"), 0.0)
    result = activities.publish_reel(request)
    sidecar = json.loads(to_path(result.sidecar_uri).read_text())
    assert sidecar["credits"] == ["Video by Jane Doe on Pexels"]
    assert sidecar["description"].endswith("Video by Jane Doe on Pexels")
    assert sidecar["visual_decisions"][0]["skipped"][0]["reason"].startswith("breaker open")
    assert sidecar["visual_decisions"][0]["chosen"] == "pexels"
