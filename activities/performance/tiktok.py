"""TikTok figures: the Display API's `POST /v2/video/query/` (scope `video.list`), through the
publisher's `requests` session, token refresh and error reading (activities/publishers).

One call takes up to 20 video ids in `{"filters": {"video_ids": [...]}}` and answers with the
videos it found, with the fields asked for in the query string: views, likes, comments and
shares. It has no watch time or retention figure. A video it leaves out is no longer the
creator's public video (deleted, or made private): that reel gets its one `deleted` row.

Which id: a direct post's status (`/v2/post/publish/status/fetch/`) names the public post id
(`publicaly_available_post_id`) once the post is public, and the publisher records that id.
A post that was not public when it completed (`SELF_ONLY`, all an unaudited app may post) or
an inbox draft is recorded by its `publish_id` instead; the fetcher asks the status endpoint
about such a reel for a post id that appeared since, and remembers one found for the
process. Until one appears, the reel's rows carry no figures and say why, since video.query
reads public posts only.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import requests
from temporalio.exceptions import ApplicationError

from activities.config import PublishingSettings
from activities.errors import auth_failed, platform_unavailable, rate_limited
from activities.ledger import Ledger
from activities.performance import FetchOutcome, ReelMetrics, as_int
from activities.progress import heartbeat
from activities.publishers.tiktok import RATE_WAIT_S, TikTokError, TikTokPublisher
from activities.publishers.tiktok_token import METRICS_SCOPE, PLATFORM
from activities.redact import describe
from activities.secrets import SecretStore
from workflows.contracts import PublishedReel

log = logging.getLogger(__name__)

FIELDS = "id,view_count,like_count,comment_count,share_count"
QUERY = f"/v2/video/query/?fields={FIELDS}"
BATCH = 20  # video.query takes at most 20 ids a call
SCOPE_CODES = {"scope_not_authorized", "scope_permission_missed"}
NOT_PUBLIC = ("no public post id: the post is private (SELF_ONLY) or an inbox draft, and"
              " video.query reads public posts only")


class TikTokFetcher:
    platform = PLATFORM

    def __init__(self, secrets: SecretStore, ledger: Ledger,
                 settings: PublishingSettings) -> None:
        # The publisher owns the session, the CA bundle, the token refresh and the error
        # reading; the fetches share them.
        self.client = TikTokPublisher(secrets, ledger, settings)
        self.post_ids: dict[str, str] = {}  # publish_id -> public post id, once learnt

    def fetch(self, channel: str, reels: list[PublishedReel], now: datetime) -> FetchOutcome:
        token = self.client.tokens.load(channel)
        granted = token.get("scope")
        if granted and METRICS_SCOPE not in granted.split(","):
            raise self._missing_scope(channel)
        outcome = FetchOutcome()
        try:
            ids = {r.reel_id: self._post_id(r, token, channel) for r in reels}
            public = [r for r in reels if ids[r.reel_id]]
            found: dict[str, dict[str, Any]] = {}
            for start in range(0, len(public), BATCH):
                batch = [ids[r.reel_id] for r in public[start:start + BATCH]]
                found.update(self._query(batch, token, channel))
                heartbeat({"platform": PLATFORM, "reels": start + len(batch),
                           "of": len(public)})
        except TikTokError as error:
            raise self._classify(error, channel) from None
        except requests.RequestException as error:
            raise platform_unavailable(f"tiktok: {describe(error, token.values())}") from None
        outcome.metrics = [self._metrics(r, ids[r.reel_id], found) for r in reels]
        return outcome

    def _post_id(self, reel: PublishedReel, token: dict[str, str], channel: str) -> str:
        """The public post id of a reel; "" while it has none."""
        if reel.external_id.isdigit():
            return reel.external_id
        if reel.external_id in self.post_ids:
            return self.post_ids[reel.external_id]
        try:
            state = self.client._status(reel.external_id, token, channel)
        except TikTokError as error:
            if error.status == 429 or error.status >= 500 or error.code in (
                    "rate_limit_exceeded", "access_token_invalid", *SCOPE_CODES):
                raise
            log.info("tiktok: status of %s: %s", reel.external_id, error.code)
            return ""  # TikTok has forgotten the publish_id: no post id to learn
        posts = [str(p) for p in state.get("publicaly_available_post_id") or []]
        if posts:
            self.post_ids[reel.external_id] = posts[0]
            return posts[0]
        return ""

    def _query(self, video_ids: list[str], token: dict[str, str],
               channel: str) -> dict[str, dict[str, Any]]:
        answer = self.client._call(QUERY, token, {"filters": {"video_ids": video_ids}}, channel)
        return {str(v.get("id")): v for v in answer.get("videos") or [] if isinstance(v, dict)}

    @staticmethod
    def _metrics(reel: PublishedReel, post_id: str,
                 found: dict[str, dict[str, Any]]) -> ReelMetrics:
        if not post_id:
            return ReelMetrics(reel.reel_id, reel.external_id,
                               raw={"publish_id": reel.external_id, "error": NOT_PUBLIC})
        video = found.get(post_id)
        if video is None:  # video.query leaves out what is no longer a public video
            return ReelMetrics(reel.reel_id, post_id, deleted=True, raw={"video": None})
        return ReelMetrics(
            reel.reel_id, post_id, views=as_int(video.get("view_count")),
            likes=as_int(video.get("like_count")), comments=as_int(video.get("comment_count")),
            shares=as_int(video.get("share_count")), raw={"video": video})

    @staticmethod
    def _missing_scope(channel: str) -> ApplicationError:
        return auth_failed(
            f"tiktok token of channel {channel} was granted without {METRICS_SCOPE}, which"
            f" the performance figures need; re-run `monolathe auth tiktok {channel}`")

    def _classify(self, error: TikTokError, channel: str) -> ApplicationError:
        what = f"tiktok {error.status} {error.code}: {error.message}".strip()
        if error.code == "rate_limit_exceeded" or error.status == 429:
            after = error.headers.get("Retry-After", "") if error.headers else ""
            return rate_limited(what, float(after) if after.isdigit() else RATE_WAIT_S)
        if error.code in SCOPE_CODES:
            return self._missing_scope(channel)
        if error.code == "access_token_invalid" or error.status == 401:
            return auth_failed(f"{what}; re-run `monolathe auth tiktok {channel}`")
        return platform_unavailable(what)
