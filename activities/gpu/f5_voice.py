"""Voice cloning with F5-TTS on MLX (f5-tts-mlx), from a local weights folder.

f5-tts-mlx's own `from_pretrained` always asks the hub, and its sampler hands array scalars
to `mx.random.normal` as a shape, which mlx 0.32 rejects; so this module has its own small
loader and sampler around the package's model classes. The sampler steps the flow ODE one
step at a time, checking for cancellation between steps while a helper thread heartbeats.

The folder holds what the hub repos hold: `vocab.txt`, `model_v1.safetensors` (the
PyTorch-layout checkpoint, or MLX-layout weights), and `vocos/` (`config.yaml`,
`model.safetensors`) for the vocoder. An optional `config.json` gives the DiT's sizes; the
defaults are F5-TTS v1 base's.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from activities.errors import bad_input
from activities.gpu import runtime
from activities.progress import heartbeating, raise_if_cancelled
from workflows.contracts import VoiceConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SAMPLE_RATE = 24_000
HOP_LENGTH = 256
TARGET_RMS = 0.1
STEPS = 8  # f5-tts-mlx's default: 8 RK4 steps, classifier-free guidance 2.0, sway -1.0
CFG_STRENGTH = 2.0
SWAY = -1.0
F5_V1_BASE = {"dim": 1024, "depth": 22, "heads": 16, "dim_head": 64, "ff_mult": 2,
              "text_dim": 512, "conv_layers": 4}
_TORCH_RENAMES = (
    (".to_out", ".to_out.layers"), (".text_blocks", ".text_blocks.layers"),
    (".ff.ff.0.0", ".ff.ff.layers.0.layers.0"), (".ff.ff.2", ".ff.ff.layers.2"),
    (".time_mlp", ".time_mlp.layers"), (".conv1d", ".conv1d.layers"),
)


def check_folder(model: str) -> Path:
    path = Path(model).expanduser()
    if not path.is_dir():
        raise bad_input(f"voice.model: {model!r} is not a folder with F5-TTS weights")
    needed = ["vocab.txt", "vocos/config.yaml", "vocos/model.safetensors"]
    missing = [n for n in needed if not (path / n).is_file()]
    if not _weights_file(path):
        missing.append("model_v1.safetensors")
    if missing:
        raise bad_input(f"voice.model: {path} lacks {', '.join(missing)}")
    return path.resolve()


def _weights_file(path: Path) -> Path | None:
    for name in ("model_v1.safetensors", "model.safetensors"):
        if (path / name).is_file():
            return path / name
    return None


def _convert_torch_layout(weights: dict[str, Any]) -> dict[str, Any]:
    """The EMA PyTorch checkpoint's names and conv layouts -> f5-tts-mlx's modules."""
    out = {}
    for key, value in weights.items():
        key = key.replace("ema_model.", "")
        if not key or "mel_spec." in key or key in ("initted", "step"):
            continue
        for old, new in _TORCH_RENAMES:
            if old in key:
                key = key.replace(old, new)
                break
        if key.endswith((".dwconv.weight", ".conv1d.layers.0.weight", ".conv1d.layers.2.weight")):
            value = value.swapaxes(1, 2)
        out[key] = value
    return out


@dataclass
class F5Voice:
    model: Any
    folder: Path


def load(folder: Path) -> F5Voice:
    def build() -> F5Voice:
        import mlx.core as mx
        from f5_tts_mlx.cfm import F5TTS
        from f5_tts_mlx.dit import DiT
        from vocos_mlx import Vocos

        vocab_lines = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        vocab = {v: i for i, v in enumerate(vocab_lines)}
        sizes = dict(F5_V1_BASE)
        if (folder / "config.json").is_file():
            sizes.update(json.loads((folder / "config.json").read_text()))
        vocos = Vocos.from_pretrained(str(folder / "vocos"))  # a local path: no hub call
        model = F5TTS(
            transformer=DiT(**sizes, text_num_embeds=len(vocab) - 1, text_mask_padding=True),
            vocab_char_map=vocab,
            vocoder=vocos.decode,
        )
        weights_file = _weights_file(folder)
        assert weights_file is not None  # check_folder made sure
        weights = mx.load(str(weights_file), format="safetensors")
        if any(k.startswith("ema_model.") or ".ff.ff.0.0" in k for k in weights):
            weights = _convert_torch_layout(weights)
        try:
            model.load_weights(list(weights.items()))
        except ValueError as exc:
            raise bad_input(f"voice.model: {weights_file}: does not fit the DiT sizes "
                            f"{sizes} ({str(exc)[:200]})") from None
        mx.eval(model.parameters())
        return F5Voice(model, folder)

    return runtime.shelf("tts").get(str(folder), build)


def read_reference(path: str) -> np.ndarray:
    """The clip to clone as float32 mono at 24 kHz, loudness raised as f5-tts-mlx does."""
    import soundfile as sf

    try:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:
        raise bad_input(f"voice.reference_audio: {path}: cannot read ({exc})") from None
    audio = audio.mean(axis=1)
    if len(audio) < rate * 0.5:
        raise bad_input(f"voice.reference_audio: {path}: under half a second of audio")
    if rate != SAMPLE_RATE:  # linear resampling is enough for a conditioning clip
        t = np.arange(int(len(audio) * SAMPLE_RATE / rate)) * rate / SAMPLE_RATE
        audio = np.interp(t, np.arange(len(audio)), audio).astype(np.float32)
    rms = float(np.sqrt(np.mean(audio**2)))
    if 0 < rms < TARGET_RMS:
        audio = audio * (TARGET_RMS / rms)
    return audio.astype(np.float32)


def estimated_frames(ref_frames: int, ref_text: str, text: str, speed: float) -> int:
    """f5-tts-mlx's heuristic: the clip's speaking rate, applied to the new text."""
    pauses = r"。，、；：？！"
    ref_len = len(ref_text.encode()) + 3 * len(re.findall(pauses, ref_text))
    gen_len = len(text.encode()) + 3 * len(re.findall(pauses, text))
    return ref_frames + int(ref_frames / max(ref_len, 1) * gen_len / speed)


def speak(voice: VoiceConfig, text: str, seed: int = 0) -> np.ndarray:
    """One scene's speech in the reference clip's voice, float32 mono at 24 kHz."""
    import mlx.core as mx
    from f5_tts_mlx.utils import convert_char_to_pinyin, lens_to_mask, list_str_to_idx

    folder = check_folder(voice.model)
    with heartbeating(lambda: {"loading": folder.name}):  # ~1.4 GB for F5 v1 base
        f5 = load(folder).model
    ref = read_reference(voice.reference_audio)
    cond = f5._mel_spec(mx.array(ref))  # (1, frames, mels)
    ref_frames = cond.shape[1]
    chars = convert_char_to_pinyin([voice.reference_text.strip() + " " + text])
    tokens = list_str_to_idx(chars, f5._vocab_char_map)
    total = max(estimated_frames(ref_frames, voice.reference_text, text, voice.speed),
                ref_frames + 1, int(tokens.shape[1]) + 1)
    cond = mx.pad(cond, [(0, 0), (0, total - ref_frames), (0, 0)])
    cond_mask = lens_to_mask(mx.array([ref_frames]), length=total)[..., None]
    step_cond = mx.where(cond_mask, cond, mx.zeros_like(cond))

    def flow(t: mx.array, x: mx.array) -> mx.array:
        pred = f5.transformer(x=x, cond=step_cond, text=tokens, time=t, mask=None,
                              drop_audio_cond=False, drop_text=False)
        null = f5.transformer(x=x, cond=step_cond, text=tokens, time=t, mask=None,
                              drop_audio_cond=True, drop_text=True)
        return pred + (pred - null) * CFG_STRENGTH

    mx.random.seed(seed)
    y = mx.random.normal((1, total, f5.num_channels))
    times = mx.linspace(0, 1, STEPS)
    times = times + SWAY * (mx.cos(mx.pi / 2 * times) - 1 + times)
    step = 0
    with heartbeating(lambda: {"f5_step": step, "of": STEPS - 1}), runtime.compute_lock:
        for step in range(STEPS - 1):
            raise_if_cancelled()
            t, dt = times[step], times[step + 1] - times[step]
            k1 = flow(t, y)
            k2 = flow(t + dt / 2, y + dt / 2 * k1)
            k3 = flow(t + dt / 2, y + dt / 2 * k2)
            k4 = flow(t + dt, y + dt * k3)
            y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            mx.eval(y)
        mel = mx.where(cond_mask, cond, y)
        audio = f5._vocoder(mel).reshape(-1)
        mx.eval(audio)
    return np.array(audio[len(ref):], dtype=np.float32)
