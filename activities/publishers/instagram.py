"""Instagram Reels through the Instagram Graph API (content publishing), with `requests`.

Meta ships no maintained Python SDK for IG content publishing (facebook-business targets
the Marketing API), and the protocol is five plain HTTPS calls, so a thin client over
`requests` (already installed with google-auth-oauthlib) is the smaller dependency:

1. POST {graph}/{v}/{ig-user}/media  media_type=REELS, caption, share_to_feed, and either
   upload_type=resumable (we send the file) or video_url (the channel's public URL base)
2. POST {rupload}/ig-api-upload/{v}/{container}  headers offset + file_size, the bytes
3. GET  {graph}/{v}/{container}?fields=status_code,status,video_status  until FINISHED
4. POST {graph}/{v}/{ig-user}/media_publish  creation_id={container}
5. GET  {graph}/{v}/{media}?fields=permalink

The container id is kept in the ledger as soon as it exists. A retry asks the container
where it is: an unfinished upload resumes from `bytes_transferred`, a FINISHED container is
published (no second upload), a PUBLISHED one means our record was lost, and the post is
found by the reel's marker (the caption's last line) in the account's recent media.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
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

PLATFORM = "instagram"
CAPTION_MAX = 2200
HASHTAGS_MAX = 30
RATE_CODES = {4, 17, 32, 613, 80002}  # Graph API "slow down" error codes
TRANSIENT_CODES = {1, 2, 9004}
AUTH_CODES = {102, 190}
PUBLISH_LIMIT_SUBCODE = 2207042  # content_publishing_limit reached
LIMIT_WAIT_S = 3600.0  # the limit is a moving 24 h window: look again in an hour
RATE_WAIT_S = 300.0
REFRESH_BEFORE = timedelta(days=7)  # long-lived tokens last ~60 days; renew in the last week
USAGE_CEILING = 95  # percent of an app/business usage header at which we stop calling


class GraphError(Exception):
    def __init__(self, status: int, error: dict[str, Any], headers: Any) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.code = int(error.get("code") or 0)
        self.subcode = int(error.get("error_subcode") or 0)
        self.message = error.get("error_user_msg") or error.get("message", "")
        self.headers = headers


def _regain_s(headers: Any, default: float) -> float:
    """Seconds until Meta lets us call again, from the usage headers if they say."""
    for name in ("X-Business-Use-Case-Usage", "X-App-Usage"):
        raw = headers.get(name) if headers else None
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries = [e for v in data.values() for e in v] if name.startswith("X-Bus") else [data]
        minutes = [float(e.get("estimated_time_to_regain_access") or 0) for e in entries]
        if any(minutes):
            return max(minutes) * 60
    retry_after = headers.get("Retry-After") if headers else None
    return float(retry_after) if retry_after and retry_after.isdigit() else default


def _usage_pct(headers: Any) -> float:
    highest = 0.0
    for name in ("X-App-Usage", "X-Business-Use-Case-Usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        entries = [e for v in data.values() for e in v] if name.startswith("X-Bus") else [data]
        for entry in entries:
            for key in ("call_count", "total_time", "total_cputime"):
                highest = max(highest, float(entry.get(key) or 0))
    return highest


class _ProgressFile:
    """The file from an offset, heartbeating as `requests` streams it."""

    def __init__(self, path: Path, offset: int, on_progress: Callable[[int], None]) -> None:
        self.file = path.open("rb")
        self.file.seek(offset)
        self.remaining = path.stat().st_size - offset
        self.sent = offset
        self.on_progress = on_progress

    def __len__(self) -> int:
        return self.remaining

    def read(self, size: int = -1) -> bytes:
        raise_if_cancelled()
        data = self.file.read(min(size, 1024 * 1024) if size and size > 0 else 1024 * 1024)
        self.sent += len(data)
        self.on_progress(self.sent)
        return data

    def close(self) -> None:
        self.file.close()


class InstagramPublisher:
    platform = PLATFORM

    def __init__(self, secrets: SecretStore, ledger: Ledger, settings: PublishingSettings,
                 poll_s: float = 5.0, max_wait_s: float = 15 * 60) -> None:
        self.secrets = secrets
        self.ledger = ledger
        self.settings = settings
        self.poll_s = poll_s
        self.max_wait_s = max_wait_s
        self.http = requests.Session()
        # Passed on each call: requests lets REQUESTS_CA_BUNDLE override Session.verify.
        self.verify: str | bool = settings.ca_bundle or True

    # --- the publish flow ---

    def publish(self, req: PlatformPublishRequest, retrying: bool) -> Publication:
        token = self._token(req.channel)
        try:
            return self._publish(req, token, retrying)
        except GraphError as error:
            raise self._classify(error, req) from None
        except requests.RequestException as error:
            raise platform_unavailable(f"instagram: {describe(error, token.values())}") from None

    def _publish(self, req: PlatformPublishRequest, token: dict[str, str],
                 retrying: bool) -> Publication:
        user = token["ig_user_id"]
        marker = reel_marker(req.reel_id)
        container = self.ledger.upload_session(req.reel_id, PLATFORM)
        state = self._container(container, token) if container else {}
        status = state.get("status_code", "")
        if status == "PUBLISHED" or (retrying and status in ("", "ERROR", "EXPIRED")):
            found = self._find(user, marker, token)
            if found:
                return found
            if status == "PUBLISHED":
                # Posted, but not listed yet: never publish the container twice.
                raise platform_unavailable(f"instagram container {container} is published"
                                           " but not yet in the account's media; retrying")
        if status in ("", "ERROR", "EXPIRED"):
            self._check_limit(user, token)
            container = self._create(req, user, token)
            self.ledger.save_upload_session(req.reel_id, PLATFORM, container)
            state = self._container(container, token)
            status = state.get("status_code", "")
        if not req.instagram.video_url_base:
            self._upload(req, container, state, token)
        self._wait_finished(container, token)
        media = self._call("POST", f"{self._graph()}/{user}/media_publish", token,
                           data={"creation_id": container})["id"]
        link = self._call("GET", f"{self._graph()}/{media}", token,
                          params={"fields": "permalink"}).get("permalink", "")
        return Publication(PLATFORM, str(media), link)

    def _find(self, user: str, marker: str, token: dict[str, str]) -> Publication | None:
        recent = self._call("GET", f"{self._graph()}/{user}/media", token,
                            params={"fields": "id,caption,permalink,timestamp", "limit": "50"})
        for item in recent.get("data", []):
            if marker in (item.get("caption") or ""):
                log.info("instagram: marker %s already posted as %s", marker, item["id"])
                return Publication(PLATFORM, str(item["id"]), item.get("permalink", ""),
                                   reused=True)
        return None

    def _check_limit(self, user: str, token: dict[str, str]) -> None:
        answer = self._call("GET", f"{self._graph()}/{user}/content_publishing_limit", token,
                            params={"fields": "config,quota_usage"}, check_usage=True)
        for entry in answer.get("data", []):
            total = int(entry.get("config", {}).get("quota_total") or 0)
            used = int(entry.get("quota_usage") or 0)
            if total and used >= total:
                raise quota_exceeded(
                    f"instagram publishing limit reached ({used} of {total} posts in 24 h);"
                    f" looking again in {LIMIT_WAIT_S / 60:.0f} min", LIMIT_WAIT_S)

    def _create(self, req: PlatformPublishRequest, user: str, token: dict[str, str]) -> str:
        options = req.instagram
        form: dict[str, str] = {
            "media_type": "REELS",
            "caption": self.caption(req),
            "share_to_feed": "true" if options.share_to_feed else "false",
        }
        if options.video_url_base:
            # Instagram fetches the file itself from the channel's public folder.
            name = _publish_copy(req)
            form["video_url"] = f"{options.video_url_base}/{name}.mp4"
            if req.cover_uri:
                form["cover_url"] = f"{options.video_url_base}/{name}.jpg"
        else:
            form["upload_type"] = "resumable"
            if options.thumb_offset_ms:
                form["thumb_offset"] = str(options.thumb_offset_ms)
        return str(self._call("POST", f"{self._graph()}/{user}/media", token, data=form)["id"])

    def _container(self, container: str, token: dict[str, str]) -> dict[str, Any]:
        return self._call("GET", f"{self._graph()}/{container}", token,
                          params={"fields": "id,status_code,status,video_status"})

    def _upload(self, req: PlatformPublishRequest, container: str, state: dict[str, Any],
                token: dict[str, str]) -> None:
        video = to_path(req.video_uri)
        size = video.stat().st_size
        phase = state.get("video_status", {}).get("uploading_phase", {})
        offset = int(phase.get("bytes_transferred") or 0)
        if phase.get("status") == "complete" or offset >= size:
            return
        body = _ProgressFile(video, offset, lambda sent: heartbeat(
            {"platform": PLATFORM, "bytes": sent, "of": size}))
        try:
            self._call("POST", f"{self.settings.instagram_upload_url}/ig-api-upload/"
                       f"{self.settings.instagram_api_version}/{container}", token,
                       data=body, headers={"offset": str(offset), "file_size": str(size),
                                           "Authorization": f"OAuth {token['access_token']}"},
                       auth_param=False)
        finally:
            body.close()

    def _wait_finished(self, container: str, token: dict[str, str]) -> None:
        deadline = time.monotonic() + self.max_wait_s
        while True:
            state = self._container(container, token)
            status = state.get("status_code", "")
            heartbeat({"platform": PLATFORM, "container": status})
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                raise publish_rejected(f"instagram could not process the reel: "
                                       f"{state.get('status', 'ERROR')}")
            if status == "EXPIRED":
                raise platform_unavailable("instagram container expired before publishing")
            if time.monotonic() > deadline:
                raise platform_unavailable(f"instagram still processing after "
                                           f"{self.max_wait_s:.0f} s")
            raise_if_cancelled()
            time.sleep(self.poll_s)

    # --- metadata ---

    @staticmethod
    def caption(req: PlatformPublishRequest) -> str:
        tags = " ".join(f"#{t}" for t in plain_tags(req.hashtags)[:HASHTAGS_MAX])
        marker = reel_marker(req.reel_id)
        head = "\n\n".join(p for p in (req.title.strip(), req.description.strip(), tags) if p)
        if not head:
            raise bad_input(f"reel {req.reel_id}: title: Instagram needs a caption")
        room = CAPTION_MAX - len(marker) - 2
        return f"{head[:room]}\n\n{marker}"

    # --- transport and errors ---

    def _graph(self) -> str:
        return f"{self.settings.instagram_graph_url}/{self.settings.instagram_api_version}"

    def _call(self, method: str, url: str, token: dict[str, str], params: Any = None,
              data: Any = None, headers: Any = None, auth_param: bool = True,
              check_usage: bool = False) -> dict[str, Any]:
        if auth_param:
            # In a header, never the query string: a URL ends up in exception text and logs.
            headers = {**(headers or {}), "Authorization": f"OAuth {token['access_token']}"}
        resp = self.http.request(method, url, params=params, data=data, headers=headers,
                                 timeout=(10, 120), verify=self.verify)
        try:
            answer = resp.json()
        except ValueError:
            answer = {}
        if resp.status_code >= 400 or "error" in answer:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {
                "message": resp.text[:300], "code": 2 if resp.status_code >= 500 else 0}
            # An error page may echo the request back; its text becomes a history message.
            error = {**error, **{k: redact(error[k], token.values()) for k in
                                 ("message", "error_user_msg") if error.get(k)}}
            raise GraphError(resp.status_code, error, resp.headers)
        if check_usage and _usage_pct(resp.headers) >= USAGE_CEILING:
            raise rate_limited(f"instagram app usage at {_usage_pct(resp.headers):.0f}%",
                               _regain_s(resp.headers, RATE_WAIT_S))
        return answer

    def _classify(self, error: GraphError, req: PlatformPublishRequest) -> ApplicationError:
        what = f"instagram {error.status} code {error.code}/{error.subcode}: {error.message}"
        if error.code in AUTH_CODES:
            return auth_failed(f"{what}; run `monolathe auth instagram {req.channel}`")
        if error.subcode == PUBLISH_LIMIT_SUBCODE:
            return quota_exceeded(what, LIMIT_WAIT_S)
        if error.status == 429 or error.code in RATE_CODES:
            return rate_limited(what, _regain_s(error.headers, RATE_WAIT_S))
        if error.status >= 500 or error.code in TRANSIENT_CODES:
            return platform_unavailable(what)
        return publish_rejected(f"{what} (reel {req.reel_id})")

    def _token(self, channel: str) -> dict[str, str]:
        data = self.secrets.load(channel, PLATFORM)
        path = self.secrets.path(channel, PLATFORM)
        missing = [k for k in ("access_token", "ig_user_id") if not data.get(k)]
        if missing:
            raise bad_input(f"{path}: {', '.join(missing)}: missing; run "
                            f"`monolathe auth instagram {channel}`")
        if data.get("app_id") and data.get("app_secret") and _expires_soon(data, path):
            data = self._refresh(channel, data)
        return {k: str(v) for k, v in data.items()}

    def _refresh(self, channel: str, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange a long-lived token that nears its end for a fresh one (about 60 days).

        An expired token cannot be exchanged; it fails later with AuthFailed, naming the
        command that gets a new one.
        """
        try:
            # POST: the app secret and the token travel in the body, out of every URL.
            answer = self._call("POST", f"{self._graph()}/oauth/access_token", {
                "access_token": data["access_token"]}, data={
                "grant_type": "fb_exchange_token", "client_id": data["app_id"],
                "client_secret": data["app_secret"], "fb_exchange_token": data["access_token"]},
                auth_param=False)
        except (GraphError, requests.RequestException) as error:
            log.warning("instagram token of %s not refreshed: %s", channel,
                        describe(error, (str(data["access_token"]), str(data["app_secret"]))))
            return data
        data = {**data, "access_token": answer["access_token"]}
        if answer.get("expires_in"):
            data["expires_at"] = (datetime.now(UTC) + timedelta(
                seconds=int(answer["expires_in"]))).isoformat(timespec="seconds")
        self.secrets.save(channel, PLATFORM, data)
        log.info("instagram token of %s refreshed until %s", channel, data.get("expires_at"))
        return data


def _expires_soon(data: dict[str, Any], path: Path) -> bool:
    if not data.get("expires_at"):
        return False
    try:
        expires = datetime.fromisoformat(str(data["expires_at"]))
    except ValueError:
        raise bad_input(f"{path}: expires_at: {data['expires_at']!r} is not an ISO time") from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - datetime.now(UTC) < REFRESH_BEFORE


def _publish_copy(req: PlatformPublishRequest) -> str:
    """Put the reel and cover in the channel's public folder; return their base name."""
    from activities.publish import reel_slug

    folder = Path(req.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = reel_slug(req.reel_id)
    for uri, suffix in ((req.video_uri, ".mp4"), (req.cover_uri, ".jpg")):
        if uri:
            target = folder / f"{name}{suffix}"
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(to_path(uri), tmp)
            os.replace(tmp, target)
    return name
