"""synthesize_voice: the script's scenes spoken by Piper, with word timings for captions.

Writes `voice.wav` (mono, the voice's sample rate) and `words.json` (WordTiming list) into
the reel's artifact folder; the workflow only sees their URIs and the scene spans.
"""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
from temporalio import activity

from activities.artifacts import ArtifactStore, to_uri
from activities.backends import piper_voice
from activities.errors import bad_input
from activities.metering import Meter
from activities.progress import heartbeat, raise_if_cancelled
from workflows.contracts import SceneSpan, VoiceConfig, VoiceRequest, VoiceTrack, WordTiming

SCENE_GAP_S = 0.3  # breath between scenes, also where the visuals cut


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def _backend(voice: VoiceConfig) -> tuple[int, Callable[[str], piper_voice.SpokenScene]]:
    """The sample rate and the scene speaker of the channel's voice backend."""
    if voice.backend == "f5-mlx":
        from activities.gpu import f5_voice

        def clone(text: str) -> piper_voice.SpokenScene:
            audio = f5_voice.speak(voice, text)
            # F5 gives no alignment: words share the scene's time by their length.
            words = piper_voice._spread(text.split(), len(audio) / f5_voice.SAMPLE_RATE)
            return piper_voice.SpokenScene(audio, words, exact=False)

        return f5_voice.SAMPLE_RATE, clone
    if voice.backend != "piper":
        raise bad_input(f"voice.backend: {voice.backend!r} is not available")
    return piper_voice.sample_rate(voice.model), lambda text: piper_voice.speak_scene(
        voice.model, text, voice.speed)


class VoiceActivities:
    def __init__(self, store: ArtifactStore, cpu_second_usd: float) -> None:
        self.store = store
        self.cpu_second_usd = cpu_second_usd

    @activity.defn(name="synthesize_voice")
    def synthesize_voice(self, req: VoiceRequest) -> VoiceTrack:
        if not req.script.scenes:
            raise bad_input("script.scenes: empty, nothing to say")
        meter = Meter("voice", req.voice.backend, self.cpu_second_usd)
        rate, speak_scene = _backend(req.voice)
        gap = np.zeros(int(SCENE_GAP_S * rate), dtype=np.float32)
        pieces: list[np.ndarray] = []
        words: list[WordTiming] = []
        spans: list[SceneSpan] = []
        t = 0.0
        for i, scene in enumerate(req.script.scenes):
            raise_if_cancelled()
            heartbeat({"scene": i, "of": len(req.script.scenes)})
            spoken = speak_scene(scene.text)
            words += piper_voice.word_timings(spoken.words, t, i)
            scene_len = (len(spoken.audio) + len(gap)) / rate
            spans.append(SceneSpan(round(t, 3), round(t + scene_len, 3)))
            pieces += [spoken.audio, gap]
            t += scene_len
        audio = np.concatenate(pieces)
        wav = self.store.path_for(req.reel_id, "voice.wav")
        write_wav(wav, audio, rate)
        alignment = self.store.path_for(req.reel_id, "words.json")
        alignment.write_text(json.dumps([asdict(w) for w in words], indent=1))
        return VoiceTrack(
            audio_uri=to_uri(wav),
            alignment_uri=to_uri(alignment),
            duration_s=round(len(audio) / rate, 3),
            scenes=spans,
            cost=meter.cost(),
        )
