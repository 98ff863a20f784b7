"""temporal.yaml's `api`: which Host names the HTTP API answers and how large a body it takes."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from pydantic import Field, field_validator

from activities.config.common import Strict

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(\*\.)?({_LABEL}\.)*{_LABEL}")


class _Api(Strict):
    # Host names the API answers besides its bound address.
    allowed_hosts: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(1_048_576, ge=1024, le=67_108_864)  # larger bodies get 413

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        """As a Host header carries them, without the port: lowercase, IPv6 in brackets."""
        names = []
        for name in (v.strip().lower() for v in value):
            try:
                address = ipaddress.ip_address(name.strip("[]"))
                names.append(f"[{address}]" if address.version == 6 else str(address))
            except ValueError:
                if not _HOST.fullmatch(name):
                    raise ValueError(f"{name!r} is not a host name (like reels.example.com, an"
                                     " IP address or *.example.com; no scheme, port or path)")
                names.append(name)
        return names


@dataclass(frozen=True)
class ApiSettings:
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576


def api_settings(raw: _Api) -> ApiSettings:
    return ApiSettings(tuple(raw.allowed_hosts), raw.max_body_bytes)
