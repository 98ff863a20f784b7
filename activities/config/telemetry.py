"""temporal.yaml's `metrics`, `tracing` and `logs`: what the processes tell about themselves."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from activities.config.common import Strict


class _Metrics(Strict):
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)  # monolathe's own metrics; 0 = any free port
    sdk_port: int = Field(9465, ge=0, le=65535)  # Temporal SDK metrics; 0 = off
    enabled: bool = True


class _Tracing(Strict):
    otlp_endpoint: str = ""  # e.g. http://127.0.0.1:4318/v1/traces; empty = no exporter

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://", value):
            raise ValueError(f"{value!r} is not an http(s):// URL of an OTLP/HTTP receiver")
        return value


class _Logs(Strict):
    json_file: str = "var/logs/monolathe.jsonl"  # JSON lines for Loki; empty = none
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
