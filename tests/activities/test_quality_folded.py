"""The picture's black and frozen checks measured inside the encode give the quality stage's
verdicts: a reel with a black and a frozen scene fails the same checks, at the same places,
whether check_quality reads compose's analysis or decodes the reel itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.compose import ComposeActivities
from activities.ffmpeg_run import run_ffmpeg
from activities.quality import (
    CaptionBox,
    QualityActivities,
    caption_boxes,
    read_picture_analysis,
)
from tests.activities.test_compose import _voice_wav
from workflows.contracts import (
    ComposeRequest,
    LookConfig,
    QualityRequest,
    SceneClip,
    SceneSpan,
    StageCost,
    Visuals,
    VoiceTrack,
)

REEL = "reel/folded/2024-01-01/1"
NO_COST = StageCost("t", "t", 0.0, 0.0, 0.0)
SOURCES = ("testsrc2=s=270x480:r=30", "color=c=gray:s=270x480:r=30", "color=c=black:s=270x480:r=30")


def _report(store: ArtifactStore, req: QualityRequest) -> dict:
    with pytest.raises(ApplicationError) as err:
        QualityActivities(store, 0.0).check_quality(req)
    assert err.value.type == "QualityFailed"
    return err.value.details[0]


def test_black_and_frozen_scenes_fail_alike_measured_in_the_encode_or_after(
    tmp_path: Path,
) -> None:
    store = ArtifactStore(tmp_path)
    clips = []
    for k, source in enumerate(SOURCES):
        clip = store.path_for(REEL, f"clip-{k}.mp4")
        run_ffmpeg(["-f", "lavfi", "-i", f"{source}:d=2.5", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(clip)], what="test clip")  # fmt: skip
        clips.append(SceneClip(to_uri(clip), 2.5, "generated"))
    wav, words = store.path_for(REEL, "voice.wav"), store.path_for(REEL, "words.json")
    _voice_wav(wav, 6.0)
    # One word at the start: later captions would change pixels over the frozen scene.
    words.write_text(json.dumps([{"text": "Look", "start": 0.0, "end": 0.4, "scene": 0}]))
    spans = [SceneSpan(0.0, 2.0), SceneSpan(2.0, 4.0), SceneSpan(4.0, 6.0)]
    voice = VoiceTrack(to_uri(wav), to_uri(words), 6.0, spans, NO_COST)
    look = LookConfig(x264_preset="superfast", transition="none", encoder="libx264")
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, look, voice, Visuals(clips, NO_COST)))
    assert to_path(reel.analysis_uri).is_file()

    asked = QualityRequest(REEL, reel.video_uri, look, 6.0, reel.captions_uri)
    decoded = _report(store, asked)
    folded = _report(store, QualityRequest(REEL, reel.video_uri, look, 6.0, reel.captions_uri,
                                           reel.analysis_uri))  # fmt: skip
    assert decoded["checks"] == folded["checks"]
    assert folded["checks"]["black"] != "ok" and folded["checks"]["frozen"] != "ok"
    for check in ("black", "frozen"):
        assert len(folded["defects"][check]) == len(decoded["defects"][check])
        for (at, length), (at_d, length_d) in zip(folded["defects"][check],
                                                  decoded["defects"][check]):
            assert at == pytest.approx(at_d, abs=0.15)
            assert length == pytest.approx(length_d, abs=0.15)
    assert folded["cost"]["cpu_seconds"] < decoded["cost"]["cpu_seconds"]


def test_an_unreadable_analysis_falls_back_to_decoding_the_reel(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    broken = tmp_path / "analysis.json"
    broken.write_text("{not json")
    video = tmp_path / "black.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=1080x1920:r=30:d=3", "-f", "lavfi",
                "-i", "sine=f=330:r=48000:d=3", "-shortest", "-c:v", "libx264", "-preset",
                "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video)],
               what="test reel")  # fmt: skip
    report = _report(store, QualityRequest(REEL, to_uri(video), LookConfig(), 3.0,
                                           analysis_uri=to_uri(broken)))  # fmt: skip
    assert report["checks"]["black"].startswith("black for")


def test_caption_boxes_measured_in_the_encode_match_the_script_rendered_alone(
    tmp_path: Path,
) -> None:
    # compose measures the caption pictures it draws; the quality stage, without that
    # measurement, renders the ASS file alone at half size. Both must find the same places.
    store = ArtifactStore(tmp_path)
    clip = store.path_for(REEL, "clip.mp4")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=270x480:r=30:d=4", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip)], what="test clip")
    wav, words = store.path_for(REEL, "voice.wav"), store.path_for(REEL, "words.json")
    _voice_wav(wav, 4.0)
    spoken = ["Octopuses", "have", "three", "hearts", "and", "blue", "blood"]
    words.write_text(json.dumps([{"text": w, "start": 0.45 * i, "end": 0.45 * i + 0.4,
                                  "scene": 0} for i, w in enumerate(spoken)]))  # fmt: skip
    voice = VoiceTrack(to_uri(wav), to_uri(words), 4.0, [SceneSpan(0.0, 4.0)], NO_COST)
    look = LookConfig(x264_preset="ultrafast", transition="none", encoder="libx264")
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, look, voice, Visuals([SceneClip(to_uri(clip), 4.0)], NO_COST)))
    analysis = read_picture_analysis(reel.analysis_uri)
    assert analysis is not None and analysis.captions
    rendered, _ = caption_boxes(to_path(reel.captions_uri), look, 4.0)
    assert rendered

    def union(boxes: list[CaptionBox]) -> tuple[float, ...]:
        return (min(b.x0 for b in boxes), min(b.y0 for b in boxes),
                max(b.x1 for b in boxes), max(b.y1 for b in boxes))  # fmt: skip

    # One pixel of the half-size render either way, as the placement check allows.
    for ours, alone in zip(union(analysis.captions), union(rendered), strict=True):
        assert ours == pytest.approx(alone, abs=2 / look.height)
    # Every change of picture is measured, not a sample of them.
    assert len(analysis.captions) >= len(spoken)
