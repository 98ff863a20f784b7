"""Bearer tokens for the API, from a YAML file only its owner can read (mode 0600).

    tokens:
      - {name: ana, role: operator, token: "<secret>"}
      - {name: dashboard, role: viewer, token: "<secret>"}

`viewer` reads; `operator` also creates jobs, answers reviews and controls channels.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROLES = ("viewer", "operator")
DEFAULT_FILE = Path("~/.config/monolathe/api-tokens.yaml")


class TokenFileError(Exception):
    pass


class _Token(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    role: Literal["viewer", "operator"]
    token: str = Field(min_length=24)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tokens: list[_Token] = []


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


class Tokens:
    def __init__(self, entries: list[_Token]) -> None:
        self.entries = entries

    def find(self, presented: str) -> Principal | None:
        found = None
        for entry in self.entries:  # compare with every entry: no timing hint of which
            if hmac.compare_digest(entry.token.encode(), presented.encode()):
                found = Principal(entry.name, entry.role)
        return found


def load_tokens(path: Path) -> Tokens:
    path = path.expanduser()
    if not path.is_file():
        raise TokenFileError(f"{path}: file not found; add a token with"
                             " `monolathe api --new-token NAME --role operator`")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise TokenFileError(f"{path}: mode {mode:o} lets others read the tokens;"
                             f" run `chmod 600 {path}`")
    try:
        raw = _File.model_validate(yaml.safe_load(path.read_text()) or {})
    except yaml.YAMLError as exc:
        raise TokenFileError(f"{path}: not YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TokenFileError(f"{path}: {where}: {first['msg']}") from None
    names = [t.name for t in raw.tokens]
    if len(set(names)) != len(names):
        raise TokenFileError(f"{path}: tokens: each name at most once")
    return Tokens(raw.tokens)


def add_token(path: Path, name: str, role: str) -> str:
    """Append a new random token for `name` (mode 0600 from its creation) and return it."""
    path = path.expanduser()
    entries = load_tokens(path).entries if path.exists() else []
    if any(e.name == name for e in entries):
        raise TokenFileError(f"{path}: a token named {name!r} exists already")
    token = secrets.token_urlsafe(32)
    entries.append(_Token(name=name, role=role, token=token))  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    # A new file renamed over the old one: a crash mid-write never leaves a torn token file.
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        yaml.safe_dump({"tokens": [e.model_dump() for e in entries]}, out, sort_keys=False)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o600)  # O_CREAT's mode does not apply to a leftover .part
    os.replace(tmp, path)
    return token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
