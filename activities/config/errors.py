"""How a bad configuration is reported: one line per problem, `file: field: reason`.

Every check in this package, pydantic's and our own, speaks through these helpers, so an
operator reads the same shape of message whichever file or field is wrong, e.g.
`channels/demo.yaml: cadence.per_day: Input should be greater than or equal to 1`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class ConfigError(Exception):
    """A configuration file is missing or invalid; the message is meant for the operator."""


def problem_line(file: Path | str, field: str, reason: str) -> str:
    """`file: field: reason`, or `file: reason` when the whole file is at fault."""
    return f"{file}: {field}: {reason}" if field else f"{file}: {reason}"


def problem(file: Path | str, field: str, reason: str) -> ConfigError:
    return ConfigError(problem_line(file, field, reason))


def invalid(file: Path | str, error: ValidationError) -> ConfigError:
    """Every problem pydantic found, one line each, fields as dotted paths."""
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        reason = item["msg"]
        if item["type"] == "extra_forbidden":
            reason = "unknown field"
        lines.append(problem_line(file, where, reason))
    return ConfigError("\n".join(lines))


def display(path: Path) -> str:
    """The path as the operator typed it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
