"""Voice cloning with a tiny random F5-TTS built on the fly: the real loader and sampler."""

from __future__ import annotations

import wave
from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment

from activities.artifacts import ArtifactStore, to_path
from activities.config import ConfigError, load_channel, load_settings
from activities.gpu import f5_voice, runtime
from activities.voice import VoiceActivities
from tests.gpu.tiny import build_f5, write_clip
from workflows.contracts import Scene, Script, VoiceConfig, VoiceRequest

REF_TEXT = "A short reference clip."


@pytest.fixture(scope="module")
def f5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_f5(tmp_path_factory.mktemp("f5"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "ref.wav")


def _voice(folder: Path, clip: Path) -> VoiceConfig:
    return VoiceConfig(backend="f5-mlx", model=str(folder), reference_audio=str(clip),
                       reference_text=REF_TEXT)


def _request(voice: VoiceConfig) -> VoiceRequest:
    script = Script("t", "d", [], [Scene("Octopuses have three hearts."),
                                   Scene("Their blood is blue because it carries copper.")])
    return VoiceRequest("reel/f5/2026-01-01/1", voice, script)


def test_synthesize_voice_clones_with_f5(tmp_path: Path, f5_folder: Path, clip: Path):
    runtime.shelf("tts").clear()
    loads = runtime.shelf("tts").loads
    track = VoiceActivities(ArtifactStore(tmp_path), 0.0).synthesize_voice(
        _request(_voice(f5_folder, clip)))
    with wave.open(str(to_path(track.audio_uri))) as wav:
        assert wav.getframerate() == 24000 and wav.getnchannels() == 1
        assert wav.getnframes() / 24000 == pytest.approx(track.duration_s, abs=0.01)
    assert len(track.scenes) == 2 and track.scenes[1].end == pytest.approx(track.duration_s)
    assert track.cost.backend == "f5-mlx"
    assert runtime.shelf("tts").loads == loads + 1  # two scenes, one load


def test_longer_text_speaks_longer_at_the_clip_rate(f5_folder: Path, clip: Path):
    voice = _voice(f5_folder, clip)
    short = f5_voice.speak(voice, "Three hearts.")
    long = f5_voice.speak(voice, "Three hearts, blue blood, and a brain in every arm.")
    ref_frames = len(f5_voice.read_reference(str(clip))) // f5_voice.HOP_LENGTH
    expected = f5_voice.estimated_frames(ref_frames, REF_TEXT, "Three hearts.", 1.0)
    assert len(short) == pytest.approx((expected - ref_frames) * f5_voice.HOP_LENGTH,
                                       abs=4 * f5_voice.HOP_LENGTH)  # mel framing
    assert len(long) > 3 * len(short)
    assert np.isfinite(long).all() and np.abs(long).max() > 0


def test_pytorch_layout_checkpoint_loads_to_the_same_voice(tmp_path: Path, f5_folder: Path,
                                                            clip: Path):
    torch_folder = build_f5(tmp_path / "torch")
    weights = mx.load(str(torch_folder / "model_v1.safetensors"))
    renamed = {}
    for key, value in weights.items():
        for old, new in reversed(f5_voice._TORCH_RENAMES):
            if new in key:
                key = key.replace(new, old)
                break
        if key.endswith((".dwconv.weight", ".conv1d.0.weight", ".conv1d.2.weight")):
            value = value.swapaxes(1, 2)
        renamed[f"ema_model.{key}"] = value
    mx.save_safetensors(str(torch_folder / "model_v1.safetensors"), renamed)
    a = f5_voice.speak(_voice(f5_folder, clip), "Three hearts.")
    b = f5_voice.speak(_voice(torch_folder, clip), "Three hearts.")
    assert a == pytest.approx(b, abs=1e-4)


def test_cancel_stops_before_the_next_step(f5_folder: Path, clip: Path):
    env = ActivityEnvironment()
    seen: list[dict] = []

    def on_heartbeat(*details: object) -> None:
        if details and isinstance(details[0], dict) and "f5_step" in details[0]:
            seen.append(details[0])
            env.cancel()

    env.on_heartbeat = on_heartbeat
    with pytest.raises(CancelledError):
        env.run(f5_voice.speak, _voice(f5_folder, clip), "Three hearts.")
    assert seen[0]["f5_step"] == 0 and len(seen) == 1
    assert not runtime.compute_lock.locked()


def test_incomplete_folder_and_short_clip_are_bad_input(tmp_path: Path, f5_folder: Path,
                                                        clip: Path):
    with pytest.raises(ApplicationError, match="voice.model: .* lacks vocab.txt"):
        f5_voice.check_folder(str(tmp_path))
    short = write_clip(tmp_path / "short.wav", seconds=0.2)
    with pytest.raises(ApplicationError, match="reference_audio: .*under half a second"):
        f5_voice.speak(_voice(f5_folder, short), "Hi there.")


def test_channel_with_f5_needs_the_clip_and_its_text(tmp_path: Path, f5_folder: Path):
    (tmp_path / "channels").mkdir()
    (tmp_path / "feed.yaml").write_text("topics: [{title: T, facts: [a b c., d e f.]}]\n")
    (tmp_path / "temporal.yaml").write_text("data: {channels_dir: channels}\n")
    (tmp_path / "channels" / "c.yaml").write_text(
        f"name: c\nniche: science\ntrends: {{feed: ../feed.yaml}}\n"
        f"voice: {{backend: f5-mlx, model: {f5_folder}}}\n")
    with pytest.raises(ConfigError, match="c.yaml: voice.reference_audio, voice.reference_text"):
        load_channel(load_settings(tmp_path / "temporal.yaml"), "c")
