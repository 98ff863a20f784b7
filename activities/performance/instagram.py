"""Instagram figures: the Graph API's media insights of each reel, through requests, with the
API version from temporal.yaml (`publishing.instagram.api_version`).

Meta retires insights metrics now and then (plays, clips_replays_count,
ig_reels_aggregated_all_plays_count, impressions, video_views went in 2025); asking for one
fails the whole call with error code 100 naming it. The fetcher drops a metric so named, asks
again, and reports it as skipped: the other figures still arrive and nothing fails. The
skip is remembered for the process, so the next reels do not pay the extra call.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

import requests
from temporalio.exceptions import ApplicationError

from activities.config import PublishingSettings
from activities.errors import auth_failed, platform_unavailable, rate_limited
from activities.ledger import Ledger
from activities.performance import FetchOutcome, ReelMetrics, as_float, as_int
from activities.progress import heartbeat
from activities.publishers.instagram import (
    AUTH_CODES,
    PLATFORM,
    RATE_CODES,
    RATE_WAIT_S,
    GraphError,
    InstagramPublisher,
    _regain_s,
)
from activities.redact import describe
from activities.secrets import SecretStore
from workflows.contracts import PublishedReel

log = logging.getLogger(__name__)

METRICS = ["views", "reach", "saved", "shares", "comments", "likes",
           "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"]
INVALID_PARAMETER = 100
NOT_FOUND_SUBCODE = 33  # "Object with ID ... does not exist" (deleted media)
TOO_FEW_VIEWERS = 10  # "(#10) Not enough viewers for the media to show insights"


class InstagramFetcher:
    platform = PLATFORM

    def __init__(self, secrets: SecretStore, ledger: Ledger,
                 settings: PublishingSettings) -> None:
        self.client = InstagramPublisher(secrets, ledger, settings)
        self.retired: set[str] = set()

    def fetch(self, channel: str, reels: list[PublishedReel], now: datetime) -> FetchOutcome:
        token = self.client._token(channel)
        outcome = FetchOutcome()
        try:
            for done, reel in enumerate(reels):
                outcome.metrics.append(self._one(reel, token))
                heartbeat({"platform": PLATFORM, "reels": done + 1, "of": len(reels)})
        except GraphError as error:
            raise self._classify(error, channel) from None
        except requests.RequestException as error:
            raise platform_unavailable(f"instagram: {describe(error, token.values())}") from None
        outcome.skipped_metrics = sorted(self.retired)
        return outcome

    def _one(self, reel: PublishedReel, token: dict[str, str]) -> ReelMetrics:
        url = f"{self.client._graph()}/{reel.external_id}/insights"
        while True:
            wanted = [m for m in METRICS if m not in self.retired]
            try:
                answer = self.client._call("GET", url, token,
                                           params={"metric": ",".join(wanted)})
                break
            except GraphError as error:
                retired = self._retired_metric(error, wanted)
                if retired:
                    log.warning("instagram: metric %s is retired; fetching without it",
                                retired)
                    self.retired.add(retired)
                    continue
                if error.code == INVALID_PARAMETER and error.subcode == NOT_FOUND_SUBCODE:
                    return ReelMetrics(reel.reel_id, reel.external_id, deleted=True,
                                       raw={"error": error.message})
                if error.code == TOO_FEW_VIEWERS:  # too new or too small: no figures yet
                    return ReelMetrics(reel.reel_id, reel.external_id,
                                       raw={"error": error.message})
                raise
        values = {item["name"]: (item.get("values") or [{}])[0].get("value")
                  for item in answer.get("data", [])}
        watch_ms = as_float(values.get("ig_reels_video_view_total_time"))
        avg_ms = as_float(values.get("ig_reels_avg_watch_time"))
        return ReelMetrics(
            reel.reel_id, reel.external_id,
            views=as_int(values.get("views")),
            watch_minutes=watch_ms / 60_000 if watch_ms is not None else None,
            avg_view_seconds=avg_ms / 1000 if avg_ms is not None else None,
            likes=as_int(values.get("likes")), comments=as_int(values.get("comments")),
            shares=as_int(values.get("shares")), saves=as_int(values.get("saved")),
            reach=as_int(values.get("reach")), raw={"insights": answer.get("data", [])})

    @staticmethod
    def _retired_metric(error: GraphError, wanted: list[str]) -> str:
        """The metric a code-100 error names, if it is one we asked for."""
        if error.code != INVALID_PARAMETER or error.subcode == NOT_FOUND_SUBCODE:
            return ""
        for name in sorted(wanted, key=len, reverse=True):  # views before a shorter prefix
            if re.search(rf"\b{re.escape(name)}\b", error.message):
                return name
        return ""

    @staticmethod
    def _classify(error: GraphError, channel: str) -> ApplicationError:
        what = f"instagram {error.status} code {error.code}/{error.subcode}: {error.message}"
        if error.code in AUTH_CODES:
            return auth_failed(f"{what}; re-run `monolathe auth instagram {channel}`")
        if error.status == 429 or error.code in RATE_CODES:
            return rate_limited(what, _regain_s(error.headers, RATE_WAIT_S))
        return platform_unavailable(what)
