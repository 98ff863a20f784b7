"""Platform tokens per channel, on the publish worker's disk, never in the repo or history.

`<secrets_dir>/<channel>/<platform>.json`, the folder 0700 and the file 0600 (written
atomically). A file readable by others is refused, as ssh refuses a loose private key:
a leaked refresh token publishes to someone's channel until they notice.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from activities.errors import bad_input

AUTH_MISSING = "AuthMissing"  # no usable token: an operator must run `monolathe auth`
# A key's or channel's name becomes one path segment under secrets_dir, never more: a name
# from a channel file must not reach another provider's key (`../visuals/runway`).
KEY_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
KEY_NAME_RULE = "a key name is letters, digits, '.', '_' or '-' (at most 64)"


def check_key_name(name: str) -> str:
    if not KEY_NAME.fullmatch(name):
        raise ValueError(f"{name[:80]!r}: {KEY_NAME_RULE}")
    return name


class SecretStore:
    def __init__(self, root: Path) -> None:
        self.root = root.expanduser()

    def path(self, channel: str, platform: str) -> Path:
        return self.root / check_key_name(channel) / f"{check_key_name(platform)}.json"

    def load(self, channel: str, platform: str) -> dict[str, Any]:
        path = self.path(channel, platform)
        if not path.is_file():
            raise bad_input(
                f"{path}: no {platform} token for channel {channel}; run "
                f"`monolathe auth {platform} {channel}` on the publish worker's host"
            )
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise bad_input(f"{path}: mode {mode:o} lets others read the token; chmod 600 it")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise bad_input(f"{path}: not a JSON token file ({exc})") from None
        if not isinstance(data, dict):
            raise bad_input(f"{path}: (top level): must be a JSON object")
        return data

    def save(self, channel: str, platform: str, data: dict[str, Any]) -> Path:
        path = self.path(channel, platform)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.chmod(tmp, 0o600)  # O_CREAT's mode does not apply to a leftover .part
        os.replace(tmp, path)
        return path
