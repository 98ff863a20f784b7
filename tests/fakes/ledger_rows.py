"""A published reel in the ledger as the publish stage leaves it: its reel row (once) and
one publication, for the tests that read performance figures back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from activities.ledger import Ledger
from activities.ledger_tables import PublicationRow, ReelRow
from workflows.contracts import PublishedReel


def published_reel(ledger: Ledger, channel: str, n: int, at: datetime, *,
                   platform: str = "youtube", external_id: str = "",
                   **reel: Any) -> PublishedReel:
    """Reel `n` of `channel` published at `at` (external id `v<n>` unless given); `reel`:
    the reel row's other columns (title `Reel <n>` unless given)."""
    reel_id = f"reel/{channel}/{at:%Y-%m-%d}/{n}"
    external_id = external_id or f"v{n}"
    with ledger.session() as s:
        if s.get(ReelRow, reel_id) is None:  # a second platform of the same reel
            s.add(ReelRow(**{"id": reel_id, "channel": channel, "day": f"{at:%Y-%m-%d}",
                             "title": f"Reel {n}", "status": "published", **reel}))
        s.add(PublicationRow(reel_id=reel_id, platform=platform, status="published",
                             external_id=external_id, published_at=at))
    return PublishedReel(reel_id, platform, external_id, at.isoformat())
