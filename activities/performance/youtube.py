"""YouTube figures: the Analytics API v2 (reports.query, dimensions=video) for watch time and
retention, the Data API v3 (videos.list part=statistics) for fresh counts and for noticing a
video that is gone. Both through google-api-python-client with the channel's OAuth token.

The Analytics API lags a day or two behind; the Data API's counts are live. A young reel's
views therefore come from videos.list, and the Analytics figures fill in as they arrive.

Quota: videos.list costs 1 unit of the Cloud project's Data API quota, the same quota the
uploads spend; the fetches may spend at most `metrics_quota_units` of it a day, so they can
never starve an upload. reports.query has a quota of its own, counted per call. A quota the
API says is spent waits for midnight Pacific time (next_retry_delay), never spins.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import google_auth_httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from temporalio.exceptions import ApplicationError

from activities.config import PublishingSettings
from activities.errors import auth_failed, platform_unavailable, rate_limited
from activities.ledger import Ledger
from activities.performance import FetchOutcome, ReelMetrics, as_float, as_int
from activities.progress import heartbeat
from activities.publishers.youtube import (
    ANALYTICS_SCOPE,
    NETWORK_ERRORS,
    PLATFORM,
    QUOTA_REASONS,
    RATE_LIMIT_S,
    RATE_REASONS,
    YouTubePublisher,
    _error_reason,
    _retry_after,
    quota_day,
)
from activities.redact import describe, redact
from activities.secrets import SecretStore
from workflows.contracts import PublishedReel

ANALYTICS = "youtube-analytics"  # its own quota row in the ledger
METRICS = "youtube-metrics"  # the fetches' share of the Data API quota
METRIC_NAMES = ["views", "estimatedMinutesWatched", "averageViewDuration",
                "averageViewPercentage", "likes", "comments", "shares", "subscribersGained"]
BATCH = 50  # videos.list takes at most 50 ids; reports.query's filter is kept as small
SCOPE_REASONS = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "forbidden"}


class YouTubeFetcher:
    platform = PLATFORM

    def __init__(self, secrets: SecretStore, ledger: Ledger, settings: PublishingSettings,
                 clock: Any = None) -> None:
        self.ledger = ledger
        self.settings = settings
        self.secrets = secrets
        # The publisher knows the token file and the transport; the fetches share them.
        self.client = YouTubePublisher(secrets, ledger, settings, clock=clock)

    def fetch(self, channel: str, reels: list[PublishedReel], now: datetime) -> FetchOutcome:
        self._check_scope(channel)
        creds = self.client._credentials(channel)
        token_before = creds.token
        account = creds.client_id or "default"
        http = google_auth_httplib2.AuthorizedHttp(creds, http=self.client._http())
        outcome = FetchOutcome()
        try:
            data = build("youtube", "v3", http=http, static_discovery=True,
                         client_options=self.client._client_options(), cache_discovery=False)
            analytics = build("youtubeAnalytics", "v2", http=http, static_discovery=True,
                              client_options=self._analytics_options(),
                              cache_discovery=False)
            for start in range(0, len(reels), BATCH):
                batch = reels[start:start + BATCH]
                stats = self._statistics(data, batch, account)
                report = self._report(analytics, batch, account, now)
                outcome.metrics += [self._merge(r, stats.get(r.external_id),
                                                report.get(r.external_id)) for r in batch]
                heartbeat({"platform": PLATFORM, "reels": len(outcome.metrics),
                           "of": len(reels)})
        except HttpError as error:
            raise self._classify(error, channel, account) from None
        except RefreshError as error:
            raise auth_failed(
                f"youtube token of channel {channel} was refused ({redact(error)}); re-run "
                f"`monolathe auth youtube {channel}`") from None
        except NETWORK_ERRORS as error:
            raise platform_unavailable(f"youtube: {describe(error)}") from None
        finally:
            if creds.token != token_before:
                self._save_credentials(channel, creds)
        return outcome

    def _save_credentials(self, channel: str, creds: Any) -> None:
        """The refreshed token back to its file; a file that never listed its scopes still
        does not (the defaults filled in here are a guess, not what was granted)."""
        info = self.secrets.load(channel, PLATFORM)
        fresh = json.loads(creds.to_json())
        if not info.get("scopes"):
            fresh.pop("scopes", None)
        self.secrets.save(channel, PLATFORM, {**info, **fresh})

    # --- the two APIs ---

    def _statistics(self, data: Any, batch: list[PublishedReel],
                    account: str) -> dict[str, dict[str, Any]]:
        self._check_metrics_quota(account, 1)
        answer = data.videos().list(part="statistics",
                                    id=",".join(r.external_id for r in batch)).execute()
        self._spend(PLATFORM, account, 1)
        self._spend(METRICS, account, 1)
        return {item["id"]: item for item in answer.get("items", [])}

    def _report(self, analytics: Any, batch: list[PublishedReel], account: str,
                now: datetime) -> dict[str, dict[str, Any]]:
        self._check_analytics_quota(account)
        first = min(datetime.fromisoformat(r.published_at) for r in batch)
        answer = analytics.reports().query(
            ids="channel==MINE", dimensions="video", metrics=",".join(METRIC_NAMES),
            filters="video==" + ",".join(r.external_id for r in batch),
            startDate=(first - timedelta(days=1)).strftime("%Y-%m-%d"),
            endDate=now.strftime("%Y-%m-%d"), sort="-views", maxResults=200).execute()
        self._spend(ANALYTICS, account, 1)
        names = [h["name"] for h in answer.get("columnHeaders", [])]
        return {row[0]: dict(zip(names, row, strict=False)) for row in answer.get("rows", [])}

    @staticmethod
    def _merge(reel: PublishedReel, video: dict[str, Any] | None,
               row: dict[str, Any] | None) -> ReelMetrics:
        raw = {"statistics": (video or {}).get("statistics"), "analytics": row}
        if video is None:  # videos.list leaves out an id it does not have: deleted
            return ReelMetrics(reel.reel_id, reel.external_id, deleted=True, raw=raw)
        stats, row = video.get("statistics", {}), row or {}
        views = as_int(stats.get("viewCount"))
        return ReelMetrics(
            reel.reel_id, reel.external_id,
            views=views if views is not None else as_int(row.get("views")),
            watch_minutes=as_float(row.get("estimatedMinutesWatched")),
            avg_view_seconds=as_float(row.get("averageViewDuration")),
            avg_view_percentage=as_float(row.get("averageViewPercentage")),
            likes=as_int(stats.get("likeCount", row.get("likes"))),
            comments=as_int(stats.get("commentCount", row.get("comments"))),
            shares=as_int(row.get("shares")),
            subscribers_gained=as_int(row.get("subscribersGained")),
            raw=raw)

    # --- scope, quota, errors ---

    def _check_scope(self, channel: str) -> None:
        """A token made before the fetches existed lacks the Analytics scope: say so first."""
        info = self.secrets.load(channel, PLATFORM)
        scopes = info.get("scopes")
        if isinstance(scopes, str):
            scopes = scopes.split()
        if scopes and ANALYTICS_SCOPE not in scopes:
            raise self._missing_scope(channel)

    @staticmethod
    def _missing_scope(channel: str) -> ApplicationError:
        return auth_failed(
            f"youtube token of channel {channel} was granted without {ANALYTICS_SCOPE}, which"
            f" the performance figures need; re-run `monolathe auth youtube {channel}`")

    def _check_metrics_quota(self, account: str, units: int) -> None:
        day = quota_day(self.client.clock())
        used, exhausted = self.ledger.quota_used(PLATFORM, account, day)
        mine, _ = self.ledger.quota_used(METRICS, account, day)
        if exhausted:
            raise self.client._quota_wait(f"youtube quota spent ({used} units today)")
        if mine + units > self.settings.youtube_metrics_quota_units:
            raise self.client._quota_wait(
                f"youtube performance fetches spent their {mine} of"
                f" {self.settings.youtube_metrics_quota_units} units today")
        if used + units > self.settings.youtube_daily_quota_units:
            raise self.client._quota_wait(f"youtube quota spent ({used} units today)")

    def _check_analytics_quota(self, account: str) -> None:
        used, exhausted = self.ledger.quota_used(ANALYTICS, account,
                                                 quota_day(self.client.clock()))
        limit = self.settings.youtube_analytics_daily_queries
        if exhausted or used + 1 > limit:
            raise self.client._quota_wait(f"youtube analytics quota spent ({used} of {limit}"
                                          " queries today)")

    def _spend(self, platform: str, account: str, units: int, exhausted: bool = False) -> None:
        self.ledger.spend_quota(platform, account, quota_day(self.client.clock()), units,
                                exhausted)

    def _classify(self, error: HttpError, channel: str, account: str) -> ApplicationError:
        status = error.resp.status if error.resp else 0
        reason, message = _error_reason(error)
        what = f"youtube {status} {reason}: {message} ({error.uri.split('?')[0]})".strip()
        if status == 403 and reason in QUOTA_REASONS:
            analytics = "youtubeanalytics" in error.uri or "/v2/reports" in error.uri
            self._spend(ANALYTICS if analytics else PLATFORM, account, 0, exhausted=True)
            return self.client._quota_wait(what)
        if status == 429 or (status == 403 and reason in RATE_REASONS):
            return rate_limited(what, _retry_after(error, RATE_LIMIT_S))
        if status == 403 and (reason in SCOPE_REASONS or "scope" in message.lower()):
            return self._missing_scope(channel)
        if status == 401:
            return auth_failed(f"{what}; re-run `monolathe auth youtube {channel}`")
        return platform_unavailable(what)

    def _analytics_options(self) -> dict[str, str]:
        endpoint = self.settings.youtube_analytics_endpoint
        return {"api_endpoint": endpoint} if endpoint else {}

