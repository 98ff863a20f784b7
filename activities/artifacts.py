"""The artifact store: where stage outputs live between activities, addressed by URI.

The default store is a local folder (`var/artifacts`), shared by all workers on one host.
Reel ids contain slashes (`reel/<channel>/<date>/<n>`), which become nested folders.
With `data.artifacts: s3://bucket/prefix` (activities/artifacts_s3.py) that folder is each
worker's cache: `to_uri` uploads what was written under it and `to_path` fetches what is
read, so workers on different hosts hand files over; callers do not change.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from activities.errors import bad_input

if TYPE_CHECKING:
    from activities.artifacts_s3 import S3Artifacts

_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]")
_remote: S3Artifacts | None = None  # set once per worker process by `configure`


def configure(url: str, cache: Path, endpoint: str = "") -> None:
    """Select the store of this process: "" keeps file:// URIs, s3://... a bucket."""
    global _remote
    if url:
        from activities.artifacts_s3 import S3Artifacts

        _remote = S3Artifacts(url, cache, endpoint)
    else:
        _remote = None


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


def aside(path: Path) -> Path:
    """Where to write `path` before `os.replace` puts it in place, so readers only ever see
    it whole or absent: a sibling unique to this process and thread, with the same suffix
    (ffmpeg picks the format by it)."""
    return path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.partial{path.suffix}")


def to_uri(path: Path) -> str:
    if _remote is not None:
        uri = _remote.upload(path)
        if uri is not None:
            return uri
    return path.resolve().as_uri()


def to_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        if _remote is None:
            raise bad_input(f"artifact {uri}: this worker has no s3:// store; set"
                            " data.artifacts in its temporal.yaml")
        return _remote.fetch(uri)
    if parsed.scheme != "file":
        raise bad_input(f"artifact URI {uri!r}: only file:// and s3:// URIs are supported")
    path = Path(unquote(parsed.path))
    if not path.exists():
        raise bad_input(f"artifact {uri} does not exist")
    return path
