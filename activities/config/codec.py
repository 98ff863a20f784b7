"""temporal.yaml's `codec`: payload encryption in Temporal and the codec server for the Web UI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from activities.config.common import Strict, resolve


class _Codec(Strict):
    key_file: str = ""  # 32 random bytes (hex or raw); set = payloads encrypted in Temporal
    port: int = Field(8081, ge=1, le=65535)  # `monolathe codec-server` for the Web UI
    cors_origin: str = ""  # the Web UI's origin; empty = the embedded UI's


@dataclass(frozen=True)
class CodecSettings:
    key_file: Path | None = None  # None: payloads stay plain JSON
    port: int = 8081
    cors_origin: str = ""


def codec_settings(raw: _Codec, base: Path) -> CodecSettings:
    return CodecSettings(key_file=resolve(base, raw.key_file) if raw.key_file else None,
                         port=raw.port, cors_origin=raw.cors_origin)
