"""The artifact store: where stage outputs live between activities, addressed by URI.

The default store is a local folder (`var/artifacts`), shared by all workers on one host.
Reel ids contain slashes (`reel/<channel>/<date>/<n>`), which become nested folders.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from activities.errors import bad_input

_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]")


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def reel_dir(self, reel_id: str) -> Path:
        safe = _UNSAFE.sub("_", reel_id).strip("/")
        if not safe or ".." in safe.split("/"):
            raise bad_input(f"reel id {reel_id!r} cannot name an artifact folder")
        path = self.root / safe
        path.mkdir(parents=True, exist_ok=True)
        return path

    def path_for(self, reel_id: str, name: str) -> Path:
        return self.reel_dir(reel_id) / name


def to_uri(path: Path) -> str:
    return path.resolve().as_uri()


def to_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise bad_input(f"artifact URI {uri!r}: only file:// URIs are supported")
    path = Path(unquote(parsed.path))
    if not path.exists():
        raise bad_input(f"artifact {uri} does not exist")
    return path
