"""What both files' models share: the strict base, reading YAML, resolving paths."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from activities import yaml_plain
from activities.config.errors import problem

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Strict(BaseModel):
    """A section that refuses unknown fields: a typo is an error, never a silent default."""

    model_config = ConfigDict(extra="forbid")


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise problem(path, "", "file not found")
    try:
        data = yaml_plain.load(path.read_text(encoding="utf-8"))
    except yaml_plain.YamlRefused as exc:  # `line N: reason`: never the line's own text
        raise problem(path, "", str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise problem(path, "(top level)", "must be a mapping of fields")
    return data


def resolve(base: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path).resolve()


def resolve_sqlite(base: Path, url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(resolve(base, url[len(prefix) :]))
    return url
