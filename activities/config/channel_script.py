"""A channel's `script` and `topics`: who writes the narration, and how far topics must differ."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from activities.config.common import Strict, resolve
from activities.config.errors import problem
from activities.config.llm import LlmSettings
from activities.secrets import check_key_name
from workflows.contracts import ScriptConfig


class _Script(Strict):
    writer: Literal["template", "mlx", "api"] = "template"
    model: str = ""  # mlx: a local mlx-lm folder; api: the model name (default: llm.model)
    base_url: str = ""  # api: default llm.base_url
    api_key: str | None = None  # api: the key's name (default llm.api_key); "" = no key
    max_tokens: int = Field(700, ge=64, le=4096)
    temperature: float = Field(0.7, ge=0.0, le=2.0)

    @field_validator("api_key")
    @classmethod
    def _key_name(cls, value: str | None) -> str | None:
        return check_key_name(value) if value else value


class _Topics(Strict):
    avoid_similar: bool = False
    max_similarity: float = Field(0.8, gt=0.0, le=1.0)


def script_config(shown: str, base: Path, raw: _Script, llm: LlmSettings) -> ScriptConfig:
    if raw.writer == "template":
        return ScriptConfig(**{**raw.model_dump(), "api_key": ""})
    if raw.writer == "api":
        base_url = raw.base_url or llm.base_url
        if not re.match(r"^https?://", base_url):
            raise problem(shown, "script.base_url", f"{base_url!r} is not an http(s):// URL")
        return ScriptConfig(**{**raw.model_dump(), "base_url": base_url.rstrip("/"),
                               "model": raw.model or llm.model,
                               "api_key": llm.api_key if raw.api_key is None else raw.api_key})
    if not raw.model:
        raise problem(shown, "script.model", f"required when script.writer is {raw.writer!r}"
                      " (a local mlx-lm folder)")
    folder = resolve(base, raw.model)
    if not (folder / "config.json").is_file():
        raise problem(shown, "script.model",
                      f"{folder} has no config.json (not an mlx-lm model folder)")
    return ScriptConfig(**{**raw.model_dump(), "model": str(folder), "api_key": ""})
