"""The Piper voice: a script's scenes spoken with word timings, on a session that shares
the cores with the composes running beside it."""

import itertools
import json
import wave
from pathlib import Path

import numpy as np

from activities.artifacts import ArtifactStore, to_path
from activities.backends.piper_voice import load_voice, model_path
from activities.voice import VoiceActivities
from workflows.contracts import Scene, Script, VoiceConfig, VoiceRequest

REEL = "reel/voice/2024-01-01/1"
SPOKEN = ["Octopuses", "have", "three", "hearts.", "They", "taste", "with", "their", "arms."]


def test_scenes_are_spoken_in_order_with_word_timings(tmp_path: Path) -> None:
    script = Script("Octopus facts", "", [], [Scene("Octopuses have three hearts.", []),
                                              Scene("They taste with their arms.", [])])  # fmt: skip
    track = VoiceActivities(ArtifactStore(tmp_path), 0.0).synthesize_voice(
        VoiceRequest(REEL, VoiceConfig(), script)
    )
    with wave.open(str(to_path(track.audio_uri))) as wav:
        assert round(wav.getnframes() / wav.getframerate(), 3) == track.duration_s
    assert len(track.scenes) == 2 and track.scenes[0].end == track.scenes[1].start
    words = json.loads(to_path(track.alignment_uri).read_text())
    assert [w["text"] for w in words] == SPOKEN
    assert [w["scene"] for w in words] == [0] * 4 + [1] * 5
    assert all(a["end"] <= b["start"] + 1e-6 for a, b in itertools.pairwise(words))


def test_the_voice_runs_one_thread_that_sleeps_when_idle() -> None:
    options = load_voice(model_path("joe-us")).session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_voice_speaks_as_its_own_model_does() -> None:
    """The session's convolutions run as 2-D ones; the speech is Piper's own, sample by sample."""
    from piper import PiperVoice, SynthesisConfig

    path = model_path("joe-us")
    own = PiperVoice.load(path, include_alignments=True)
    ours = load_voice(path)
    assert ours.session is not own.session
    still = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # no sampled noise: comparable
    text = "Octopuses have three hearts and blue blood."
    spoken = [np.concatenate([c.audio_float_array for c in v.synthesize(text, syn_config=still)])
              for v in (own, ours)]  # fmt: skip
    assert spoken[0].shape == spoken[1].shape and len(spoken[0]) > 22050
    np.testing.assert_allclose(spoken[1], spoken[0], atol=1e-3)
