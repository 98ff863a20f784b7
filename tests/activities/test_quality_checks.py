"""The checks added for broadcast delivery: loudness, true peak, A/V gap, caption placement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore, to_uri
from activities.captions import group_captions, to_ass
from activities.quality import QualityActivities
from tests.activities.test_quality import MOVING, SECONDS, TONE, _make
from workflows.contracts import LookConfig, QualityRequest, WordTiming


def _report(tmp_path: Path, video: Path, captions: Path | None = None) -> dict:
    req = QualityRequest(
        reel_id="reel/q/2024-01-01/3",
        video_uri=to_uri(video),
        look=LookConfig(),
        voice_duration_s=SECONDS,
        captions_uri=to_uri(captions) if captions else "",
    )
    with pytest.raises(ApplicationError) as err:
        QualityActivities(ArtifactStore(tmp_path), 0.0).check_quality(req)
    assert err.value.type == "QualityFailed"
    return err.value.details[0]


def test_a_reel_far_above_minus_14_lufs_fails_loudness_and_true_peak(tmp_path: Path) -> None:
    loud = _make(tmp_path / "loud.mp4", MOVING, f"sine=f=330:r=48000:d={SECONDS},volume=7.5")
    report = _report(tmp_path, loud)
    assert report["loudness_lufs"] > -6
    assert "integrated" in report["checks"]["loudness"]
    assert "true peak" in report["checks"]["loudness"]


def test_audio_shorter_than_the_picture_fails_av_sync(tmp_path: Path) -> None:
    gap = _make(tmp_path / "gap.mp4", MOVING, f"sine=f=330:r=48000:d={SECONDS - 0.5}")
    report = _report(tmp_path, gap)
    assert report["av_gap_ms"] == pytest.approx(500, abs=40)
    assert report["checks"]["av_sync"].startswith("audio and video differ by")


def _captions(path: Path, moved_to_y: int | None = None) -> Path:
    words = [WordTiming(w, i * 0.5, i * 0.5 + 0.4, 0) for i, w in enumerate(["Three", "hearts"])]
    text = to_ass(group_captions(words, 3), LookConfig())
    if moved_to_y is not None:  # as a hand-edited or buggy caption file would place it
        text = re.sub(r"\\pos\((\d+),\d+\)", rf"\\pos(\1,{moved_to_y})", text)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def quiet_reel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fails loudness (a quiet tone) and nothing the caption tests look at."""
    return _make(tmp_path_factory.mktemp("reel") / "r.mp4", MOVING, TONE)


def test_captions_laid_out_by_us_pass_the_placement_check(tmp_path: Path, quiet_reel: Path) -> None:
    reel = quiet_reel
    report = _report(tmp_path, reel, _captions(tmp_path / "ok.ass"))
    assert report["checks"]["captions"] == "ok"


def test_captions_under_the_app_ui_fail_the_placement_check(
    tmp_path: Path, quiet_reel: Path
) -> None:
    reel = quiet_reel
    report = _report(tmp_path, reel, _captions(tmp_path / "low.ass", moved_to_y=1800))
    assert "leaves the safe area" in report["checks"]["captions"]
    assert "bottom" in report["checks"]["captions"]
