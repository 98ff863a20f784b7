"""End to end through the media stages: procedural visuals, composition, quality checks."""

import json
import threading
import time
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.compose import ComposeActivities
from activities.ffmpeg_run import run_ffmpeg
from activities.quality import QualityActivities, probe
from activities.visuals import VisualsActivities, read_recipe
from workflows.contracts import (
    ComposeRequest,
    LookConfig,
    QualityRequest,
    Scene,
    SceneClip,
    SceneSpan,
    Script,
    StageCost,
    Visuals,
    VisualsRequest,
    VoiceTrack,
)

REEL = "reel/test/2024-01-01/1"
VOICE_S = 16.0
SENTENCES = [
    "Octopuses have three hearts.",
    "They taste with their arms, {really}.",
    "And some of them carry coconut shells as armour.",
]
SPANS = [SceneSpan(0.0, 5.0), SceneSpan(5.0, 10.5), SceneSpan(10.5, VOICE_S)]


def _voice_wav(path: Path, seconds: float, amplitude: float = 0.3) -> None:
    # A warbling tone with syllable-rate amplitude: loud enough and busy enough to stand in
    # for speech in the ducking and loudness stages.
    expr = f"{amplitude}*sin(2*PI*(170+40*sin(2*PI*3*t))*t)*(0.55+0.45*sin(2*PI*4*t))"
    run_ffmpeg(["-f", "lavfi", "-i", f"aevalsrc=exprs='{expr}':s=22050:d={seconds}", "-ac", "1",
                str(path)], what="test voice")  # fmt: skip


def _alignment(path: Path) -> None:
    words = []
    for scene, (sentence, span) in enumerate(zip(SENTENCES, SPANS)):
        tokens = sentence.split()
        step = (span.end - span.start - 0.3) / len(tokens)
        for k, token in enumerate(tokens):
            start = span.start + k * step
            words.append(
                {
                    "text": token,
                    "start": round(start, 3),
                    "end": round(start + 0.8 * step, 3),
                    "scene": scene,
                }
            )
    path.write_text(json.dumps(words))


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path)


def _voice_track(store: ArtifactStore) -> VoiceTrack:
    wav, alignment = store.path_for(REEL, "voice.wav"), store.path_for(REEL, "alignment.json")
    _voice_wav(wav, VOICE_S)
    _alignment(alignment)
    return VoiceTrack(
        audio_uri=to_uri(wav),
        alignment_uri=to_uri(alignment),
        duration_s=VOICE_S,
        scenes=SPANS,
        cost=StageCost("voice", "test", 0.0, 0.0, 0.0),
    )


def _script() -> Script:
    keywords = [["octopus", "three hearts"], ["taste"], []]
    scenes = [Scene(text=t, keywords=k) for t, k in zip(SENTENCES, keywords)]
    return Script(title="Octopus facts", description="", hashtags=[], scenes=scenes)


def test_visuals_compose_and_quality_make_a_passing_reel(store: ArtifactStore) -> None:
    look = LookConfig()
    voice = _voice_track(store)
    visuals = VisualsActivities(store, 0.0001).make_visuals(
        VisualsRequest(reel_id=REEL, look=look, script=_script(), scenes=SPANS)
    )
    assert len(visuals.clips) == 3
    assert all(to_path(c.uri).stat().st_size > 0 for c in visuals.clips)
    assert visuals.cost.stage == "visuals" and visuals.cost.backend == "procedural"

    reel = ComposeActivities(store, 0.0001).compose_reel(
        ComposeRequest(reel_id=REEL, look=look, voice=voice, visuals=visuals)
    )
    video = to_path(reel.video_uri)
    cover = probe(to_path(reel.cover_uri))  # drawn by the same command, at half the width
    assert (cover.width, cover.height) == (540, 960)
    assert not list(video.parent.glob("*partial*"))  # written aside, then renamed
    assert reel.cost.stage == "compose" and reel.cost.usd > 0
    assert (video.parent / "captions.ass").read_text().count("Dialogue:") >= 10

    info = probe(video)
    assert (info.width, info.height) == (1080, 1920)
    assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.audio_codec, info.audio_rate) == ("aac", 48000)
    assert info.fps == 30
    assert VOICE_S <= info.duration_s <= VOICE_S + 0.6

    report = QualityActivities(store, 0.0001).check_quality(
        QualityRequest(reel_id=REEL, video_uri=reel.video_uri, look=look, voice_duration_s=VOICE_S)
    )
    assert report.passed
    assert set(report.checks.values()) == {"ok"}
    assert report.mean_volume_db > -30


def test_visuals_draw_each_scene_for_its_span_plus_handle(store: ArtifactStore) -> None:
    spans = [SceneSpan(0.0, 1.0), SceneSpan(1.0, 2.5)]
    script = Script("t", "", [], [Scene("one", ["alpha"]), Scene("two", ["beta"])])
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(reel_id=REEL, look=LookConfig(), script=script, scenes=spans)
    )
    for clip, span in zip(visuals.clips, spans):
        recipe = read_recipe(to_path(clip.uri))
        assert (recipe.width, recipe.height, recipe.fps) == (540, 960, 30)
        assert recipe.duration_s == clip.duration_s > span.end - span.start
        assert clip.kind == "procedural" and clip.source == recipe.style


def test_compose_rejects_a_recipe_naming_an_unknown_style(store: ArtifactStore) -> None:
    spans = [SceneSpan(0.0, 1.0)]
    script = Script("t", "", [], [Scene("one", ["alpha"])])
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(reel_id=REEL, look=LookConfig(), script=script, scenes=spans)
    )
    recipe = to_path(visuals.clips[0].uri)
    recipe.write_text(recipe.read_text().replace(f'"{visuals.clips[0].source}"', '"movie"'))
    voice = _voice_track(store)
    voice.scenes = spans
    with pytest.raises(ApplicationError, match=r"scene recipe .*scene-00.json: style 'movie'") \
            as err:
        ComposeActivities(store, 0.0).compose_reel(
            ComposeRequest(reel_id=REEL, look=LookConfig(), voice=voice, visuals=visuals))
    assert err.value.type == "BadInput" and err.value.non_retryable


@pytest.mark.parametrize(
    ("scenes", "field"),
    [([], "scenes is empty"), ([SceneSpan(1.0, 1.0)], "scenes[0]")],
)
def test_visuals_reject_empty_or_zero_length_scenes(
    store: ArtifactStore, scenes: list[SceneSpan], field: str
) -> None:
    script = Script("t", "", [], [Scene("x")] * len(scenes))
    with pytest.raises(ApplicationError, match=field.replace("[", r"\[")) as err:
        VisualsActivities(store, 0.0).make_visuals(
            VisualsRequest(reel_id=REEL, look=LookConfig(), script=script, scenes=scenes)
        )
    assert err.value.type == "BadInput" and err.value.non_retryable


def test_compose_rejects_missing_clip(store: ArtifactStore) -> None:
    voice = _voice_track(store)
    missing = to_uri(store.path_for(REEL, "scene-00.mp4"))
    visuals = Visuals([SceneClip(missing, 5.5)] * 3, StageCost("visuals", "t", 0, 0, 0))
    with pytest.raises(ApplicationError) as err:
        ComposeActivities(store, 0.0).compose_reel(
            ComposeRequest(reel_id=REEL, look=LookConfig(), voice=voice, visuals=visuals)
        )
    assert err.value.type == "BadInput"


def test_cancel_stops_the_render_within_a_second(store: ArtifactStore) -> None:
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.extend(details)
    # Long enough that only the cancel can end it quickly.
    spans = [SceneSpan(0.0, 120.0)]
    script = Script("t", "", [], [Scene("long", ["slow"])])
    look = LookConfig(music="none")
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(reel_id=REEL, look=look, script=script, scenes=spans))
    wav, alignment = store.path_for(REEL, "long.wav"), store.path_for(REEL, "long.json")
    _voice_wav(wav, 120.0)
    alignment.write_text(json.dumps([{"text": "long", "start": 0.0, "end": 1.0, "scene": 0}]))
    voice = VoiceTrack(to_uri(wav), to_uri(alignment), 120.0, spans,
                       StageCost("voice", "test", 0.0, 0.0, 0.0))
    req = ComposeRequest(reel_id=REEL, look=look, voice=voice, visuals=visuals)
    activities = ComposeActivities(store, 0.0)
    timer = threading.Timer(4.0, env.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        env.run(activities.compose_reel, req)
    # The whole 120 s reel takes minutes here; a generous bound still tells a cancel apart.
    assert time.monotonic() - started < 4.0 + 8.0
    assert all("progress" in b for b in beats if isinstance(b, dict))
