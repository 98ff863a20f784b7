"""YouTube Shorts through the YouTube Data API v3 (google-api-python-client).

The client is built from the discovery document shipped in the library (no network), with
OAuth user credentials from the channel's token file; google-auth refreshes an expired
access token (and retries a 401 once) through the token file's `token_uri`.

Uploads are resumable. The session URI is written to the ledger the moment YouTube hands it
out, before any byte is sent, so a retry on any worker asks the session how far it got
(an empty PUT with `Content-Range: bytes */SIZE`: 308 + `Range`, or 200 with the finished
video) and goes on from there. If the session is gone, the retry looks the reel's marker
tag up among the channel's recent uploads before it uploads again.

Quota is counted per OAuth client (YouTube's quota belongs to the Cloud project) and per
quota day, which starts at midnight Pacific time; a spent quota makes the activity wait for
the reset through `next_retry_delay` instead of failing.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.artifacts import to_path
from activities.config import PublishingSettings
from activities.errors import (
    auth_failed,
    bad_input,
    platform_unavailable,
    publish_rejected,
    quota_exceeded,
    rate_limited,
)
from activities.ledger import Ledger
from activities.progress import heartbeat, raise_if_cancelled
from activities.publishers import plain_tags, reel_marker
from activities.redact import describe, redact
from activities.secrets import SecretStore
from workflows.contracts import PlatformPublishRequest, Publication

log = logging.getLogger(__name__)

PLATFORM = "youtube"
SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
]
# The performance figures (activities/performance/youtube.py). Asked for by `monolathe auth`,
# not sent on the publisher's own refreshes, so a token made before it keeps uploading.
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/yt-analytics.readonly"
AUTH_SCOPES = [*SCOPES, ANALYTICS_SCOPE]
# Quota units per call (YouTube Data API v3 quota calculator).
INSERT_UNITS = 1600
LIST_UNITS = 1
THUMBNAIL_UNITS = 50
CHUNK_BYTES = 8 * 256 * 1024  # a multiple of 256 KiB, as resumable uploads require
QUOTA_TZ = ZoneInfo("America/Los_Angeles")
RESET_MARGIN_S = 120  # ask again a little after midnight PT, not on the stroke
RATE_LIMIT_S = 60.0  # when YouTube says "slow down" without a Retry-After
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, httplib2.HttpLib2Error, TransportError)


def attempt_time() -> datetime:
    """When the server scheduled this attempt (the wall clock outside an activity).

    The quota day follows the server's clock, so a retry after the reset wait is in the new
    quota day even on a test server that skips time.
    """
    if activity.in_activity():
        return activity.info().current_attempt_scheduled_time
    return datetime.now(UTC)


def quota_day(now: datetime) -> str:
    return now.astimezone(QUOTA_TZ).strftime("%Y-%m-%d")


def seconds_to_reset(now: datetime) -> float:
    local = now.astimezone(QUOTA_TZ)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds() + RESET_MARGIN_S


def _error_reason(error: HttpError) -> tuple[str, str]:
    """(reason, message) from a Google API error body."""
    try:
        body = json.loads(error.content.decode("utf-8", "replace"))["error"]
        reasons = [e.get("reason", "") for e in body.get("errors", [])]
        return (reasons[0] if reasons else body.get("status", "")), body.get("message", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "", error.content.decode("utf-8", "replace")[:300] if error.content else ""


def _retry_after(error: HttpError, default: float) -> float:
    value = error.resp.get("retry-after", "") if error.resp else ""
    return float(value) if str(value).isdigit() else default


class _SessionRecorder:
    """Wraps the authorized http: saves the resumable session URI as soon as it exists."""

    def __init__(self, http: Any, on_session: Any) -> None:
        self.http = http
        self.on_session = on_session

    def request(self, uri: str, method: str = "GET", **kwargs: Any) -> tuple[Any, bytes]:
        resp, content = self.http.request(uri, method=method, **kwargs)
        if method == "POST" and "uploadType=resumable" in uri and resp.status == 200:
            location = resp.get("location")
            if location:
                self.on_session(location)
        return resp, content


class _ChunkFile(MediaFileUpload):
    """Chunks as bytes, not as a stream slice: httplib2 re-sends a request body after a
    reset connection, and a half-read stream would go out short and hang the upload."""

    def has_stream(self) -> bool:
        return False


class YouTubePublisher:
    platform = PLATFORM

    def __init__(self, secrets: SecretStore, ledger: Ledger, settings: PublishingSettings,
                 chunk_bytes: int = CHUNK_BYTES, clock: Any = None) -> None:
        self.secrets = secrets
        self.ledger = ledger
        self.settings = settings
        self.chunk_bytes = chunk_bytes
        self.clock = clock or attempt_time

    # --- the publish flow ---

    def publish(self, req: PlatformPublishRequest, retrying: bool) -> Publication:
        video = to_path(req.video_uri)
        creds = self._credentials(req.channel)
        token_before = creds.token
        account = creds.client_id or "default"
        http = google_auth_httplib2.AuthorizedHttp(creds, http=self._http())
        try:
            youtube = build("youtube", "v3", http=http, static_discovery=True,
                            client_options=self._client_options(), cache_discovery=False)
            reused = True
            video_id = self._resume(req, http, video, account)
            if video_id is None and retrying:
                video_id = self._find(req, youtube, account)
            if video_id is None:
                video_id = self._upload(req, youtube, http, video, account, resume_at=None)
                reused = False
            elif isinstance(video_id, int):  # a live session: go on from that byte
                video_id = self._upload(req, youtube, http, video, account, resume_at=video_id)
                reused = False
        except HttpError as error:
            raise self._classify(error, req, account) from None
        except RefreshError as error:
            raise auth_failed(
                f"youtube token of channel {req.channel} was refused ({redact(error)}); run "
                f"`monolathe auth youtube {req.channel}`"
            ) from None
        except NETWORK_ERRORS as error:
            raise platform_unavailable(f"youtube: {describe(error)}") from None
        finally:
            if creds.token != token_before:
                self._save_credentials(req.channel, creds)
        if not reused and req.youtube.thumbnail and req.cover_uri:
            self._thumbnail(youtube, str(video_id), req, account)
        return Publication(PLATFORM, str(video_id), f"https://youtube.com/shorts/{video_id}",
                           reused=reused)

    def _resume(self, req: PlatformPublishRequest, http: Any, video: Path,
                account: str) -> str | int | None:
        """The video id if the kept session finished, the next byte if it is alive, else None."""
        session = self.ledger.upload_session(req.reel_id, PLATFORM)
        if not session:
            return None
        size = video.stat().st_size
        resp, content = http.request(session, "PUT", headers={
            "Content-Range": f"bytes */{size}", "Content-Length": "0"})
        if resp.status in (200, 201):
            return json.loads(content)["id"]
        if resp.status == 308:
            ranges = resp.get("range", "")
            return int(ranges.rsplit("-", 1)[1]) + 1 if ranges else 0
        if resp.status in (404, 410):
            log.info("youtube session of %s expired; looking for the upload", req.reel_id)
            self.ledger.save_upload_session(req.reel_id, PLATFORM, "")
            return None
        raise HttpError(resp, content, uri=session)

    def _find(self, req: PlatformPublishRequest, youtube: Any, account: str) -> str | None:
        """An earlier attempt's upload, by the reel's marker tag among the latest uploads."""
        marker = reel_marker(req.reel_id)
        channels = youtube.channels().list(part="contentDetails", mine=True).execute()
        self._spend(account, LIST_UNITS)
        items = channels.get("items", [])
        if not items:
            return None
        uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        playlist = youtube.playlistItems().list(part="contentDetails", playlistId=uploads,
                                                maxResults=50).execute()
        self._spend(account, LIST_UNITS)
        ids = [i["contentDetails"]["videoId"] for i in playlist.get("items", [])]
        if not ids:
            return None
        videos = youtube.videos().list(part="snippet", id=",".join(ids)).execute()
        self._spend(account, LIST_UNITS)
        for item in videos.get("items", []):
            if marker in item.get("snippet", {}).get("tags", []):
                log.info("youtube: %s was already uploaded as %s", req.reel_id, item["id"])
                return str(item["id"])
        return None

    def _upload(self, req: PlatformPublishRequest, youtube: Any, http: Any, video: Path,
                account: str, resume_at: int | None) -> str:
        if resume_at is None:
            self._check_quota(account, INSERT_UNITS)
        media = _ChunkFile(str(video), mimetype="video/mp4", chunksize=self.chunk_bytes,
                           resumable=True)
        request = youtube.videos().insert(part="snippet,status", body=self.body(req),
                                          media_body=media, notifySubscribers=True)
        if resume_at is not None:
            request.resumable_uri = self.ledger.upload_session(req.reel_id, PLATFORM)
            request.resumable_progress = resume_at

        def remember(session: str) -> None:
            self.ledger.save_upload_session(req.reel_id, PLATFORM, session)
            self._spend(account, INSERT_UNITS)

        recorder = _SessionRecorder(http, remember)
        size = video.stat().st_size
        response = None
        while response is None:
            raise_if_cancelled()
            # No library retries: a failed chunk fails the attempt and Temporal's retry
            # resumes the kept session with its own backoff.
            _, response = request.next_chunk(http=recorder, num_retries=0)
            heartbeat({"platform": PLATFORM, "bytes": request.resumable_progress, "of": size})
        return str(response["id"])

    def _thumbnail(self, youtube: Any, video_id: str, req: PlatformPublishRequest,
                   account: str) -> None:
        """Best effort: unverified channels may not set thumbnails; the video stands."""
        try:
            youtube.thumbnails().set(
                videoId=video_id,
                media_body=MediaFileUpload(str(to_path(req.cover_uri)), mimetype="image/jpeg"),
            ).execute()
            self._spend(account, THUMBNAIL_UNITS)
        except (HttpError, *NETWORK_ERRORS) as error:
            log.warning("youtube thumbnail of %s not set: %s", video_id, error)

    # --- metadata ---

    @staticmethod
    def body(req: PlatformPublishRequest) -> dict[str, Any]:
        title = " ".join(req.title.replace("<", "").replace(">", "").split())[:100]
        if not title:
            raise bad_input(f"reel {req.reel_id}: title: YouTube needs a non-empty title")
        tags = plain_tags(req.hashtags)
        description = req.description.replace("<", "").replace(">", "")
        hashtag_line = " ".join(f"#{t}" for t in [*tags, "Shorts"] if f"#{t}" not in description)
        description = f"{description}\n\n{hashtag_line}".strip()[:4900]
        options = req.youtube
        status: dict[str, Any] = {
            "privacyStatus": options.privacy,
            "selfDeclaredMadeForKids": options.made_for_kids,
            "containsSyntheticMedia": options.synthetic_media,
        }
        if req.publish_at:
            status["privacyStatus"] = "private"  # YouTube only schedules private videos
            status["publishAt"] = req.publish_at
        return {
            "snippet": {
                "title": title,
                "description": description,
                "tags": [*tags, reel_marker(req.reel_id)],
                "categoryId": options.category_id,
                "defaultLanguage": req.language,
                "defaultAudioLanguage": req.language,
            },
            "status": status,
        }

    # --- quota ---

    def _check_quota(self, account: str, units: int) -> None:
        now = self.clock()
        used, exhausted = self.ledger.quota_used(PLATFORM, account, quota_day(now))
        limit = self.settings.youtube_daily_quota_units
        if exhausted or used + units > limit:
            raise self._quota_wait(f"youtube quota spent ({used} of {limit} units today)")

    def _spend(self, account: str, units: int, exhausted: bool = False) -> None:
        self.ledger.spend_quota(PLATFORM, account, quota_day(self.clock()), units, exhausted)

    def _quota_wait(self, why: str) -> ApplicationError:
        wait = seconds_to_reset(self.clock())
        return quota_exceeded(f"{why}; waiting {wait / 3600:.1f} h for the reset at"
                              " midnight Pacific time", wait)

    # --- errors ---

    def _classify(self, error: HttpError, req: PlatformPublishRequest,
                  account: str) -> ApplicationError:
        status = error.resp.status if error.resp else 0
        reason, message = _error_reason(error)
        what = f"youtube {status} {reason}: {message}".strip()
        if status == 403 and reason in QUOTA_REASONS:
            self._spend(account, 0, exhausted=True)
            return self._quota_wait(what)
        if status == 429 or (status == 403 and reason in RATE_REASONS):
            return rate_limited(what, _retry_after(error, RATE_LIMIT_S))
        if status == 401:
            return auth_failed(f"{what}; run `monolathe auth youtube {req.channel}`")
        if status >= 500 or status in (404, 408, 409):
            return platform_unavailable(what)
        return publish_rejected(f"{what} (reel {req.reel_id})")

    # --- credentials and transport ---

    def _credentials(self, channel: str) -> Credentials:
        info = self.secrets.load(channel, PLATFORM)
        path = self.secrets.path(channel, PLATFORM)
        missing = [k for k in ("refresh_token", "client_id", "client_secret") if not info.get(k)]
        if missing:
            raise bad_input(f"{path}: {', '.join(missing)}: missing; run "
                            f"`monolathe auth youtube {channel}`")
        expiry = None
        if info.get("expiry"):
            try:  # google-auth keeps naive UTC datetimes
                expiry = datetime.fromisoformat(str(info["expiry"]).rstrip("Z")).replace(
                    tzinfo=None)
            except ValueError:
                raise bad_input(f"{path}: expiry: {info['expiry']!r} is not an ISO time") from None
        # The token endpoint comes from temporal.yaml, not from the token file, so a
        # tampered file cannot send the refresh token elsewhere (google-auth does the same).
        return Credentials(
            token=info.get("token"), refresh_token=info["refresh_token"],
            token_uri=self.settings.youtube_token_uri, client_id=info["client_id"],
            client_secret=info["client_secret"], scopes=info.get("scopes") or SCOPES,
            expiry=expiry,
        )

    def _save_credentials(self, channel: str, creds: Credentials) -> None:
        info = self.secrets.load(channel, PLATFORM)
        info.update(json.loads(creds.to_json()))
        self.secrets.save(channel, PLATFORM, info)

    def _http(self) -> httplib2.Http:
        http = httplib2.Http(timeout=60, ca_certs=self.settings.ca_bundle or None)
        # 308 is "Resume Incomplete" to the upload protocol, not a redirect to follow
        # (googleapiclient.http.build_http does the same for the http it builds).
        http.redirect_codes = http.redirect_codes - {308}
        return http

    def _client_options(self) -> dict[str, str]:
        endpoint = self.settings.youtube_api_endpoint
        return {"api_endpoint": endpoint} if endpoint else {}
