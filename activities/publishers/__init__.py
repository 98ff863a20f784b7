"""Platform publishers behind one small protocol, and what they share.

A publisher puts one reel on one platform and returns its `Publication`. It must be safe to
call again after any crash: it resumes an upload session the ledger kept, or finds the post
an earlier attempt made (by the reel's marker) instead of posting a second time. The
publish activity holds the ledger's intent/done rows around it.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from workflows.contracts import PlatformPublishRequest, Publication


class PlatformPublisher(Protocol):
    platform: str

    def publish(self, req: PlatformPublishRequest, retrying: bool) -> Publication:
        """Publish once; `retrying` says an earlier attempt may have posted already."""
        ...


def reel_marker(reel_id: str) -> str:
    """A short token unique to the reel, carried by the post so a lookup can find it."""
    return "mlr-" + hashlib.sha1(reel_id.encode()).hexdigest()[:12]


def plain_tags(hashtags: list[str]) -> list[str]:
    return [t.lstrip("#").strip() for t in hashtags if t.lstrip("#").strip()]
