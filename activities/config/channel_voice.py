"""A channel's `voice`: Piper's bundled or own voice, or an F5-TTS clone of a reference clip."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from activities.config.common import Strict, resolve
from activities.config.errors import problem
from workflows.contracts import VoiceConfig


class _Voice(Strict):
    backend: Literal["piper", "f5-mlx"] = "piper"
    model: str = "joe-us"  # piper: a bundled voice or .onnx file; f5-mlx: a weights folder
    speed: float = Field(1.0, ge=0.5, le=2.0)
    reference_audio: str = ""  # f5-mlx: a clip of the channel's voice to clone
    reference_text: str = ""  # f5-mlx: its transcript


def voice_config(shown: str, base: Path, raw: _Voice) -> VoiceConfig:
    if raw.backend == "piper":
        return VoiceConfig(**raw.model_dump())
    folder = resolve(base, raw.model)
    if not (folder / "vocab.txt").is_file():
        raise problem(shown, "voice.model",
                      f"{folder} has no vocab.txt (not an F5-TTS weights folder)")
    if not raw.reference_audio or not raw.reference_text.strip():
        raise problem(shown, "voice.reference_audio, voice.reference_text",
                      "both are required for f5-mlx (the clip to clone and what it says)")
    clip = resolve(base, raw.reference_audio)
    if not clip.is_file():
        raise problem(shown, "voice.reference_audio", f"file {clip} not found")
    return VoiceConfig(**{**raw.model_dump(), "model": str(folder), "reference_audio": str(clip)})
