"""TikTok through its Content Posting API v2, with `requests`.

TikTok ships no maintained Python SDK for content posting, and the protocol is a few JSON
POSTs and chunked PUTs, so this is a thin client like the Instagram one:

1. POST {api}/v2/post/publish/creator_info/query/  privacy levels the creator offers, whether
   comments/duet/stitch are off, the longest video they may post (direct mode, every post)
2. POST {api}/v2/post/publish/video/init/  post_info (title, privacy, is_aigc, brand flags)
   and source_info: FILE_UPLOAD (size, chunk size, count) or PULL_FROM_URL (a verified
   prefix); or POST .../inbox/video/init/ for a draft the creator finishes in the app
3. PUT {upload_url}  one chunk at a time, `Content-Range: bytes a-b/size` (206, then 201)
4. POST {api}/v2/post/publish/status/fetch/  until PUBLISH_COMPLETE (or SEND_TO_USER_INBOX
   for a draft) or FAILED with its fail_reason

Never twice: the ledger's upload session (JSON) says where this reel stands. It is written
before init ("init"), again the moment TikTok hands out the publish_id and upload URL, and
after every chunk. A retry asks the status endpoint about a kept publish_id: a post that is
complete is returned, an upload in progress resumes at `uploaded_bytes`, an uploaded one is
polled. A FILE_UPLOAD init whose answer was lost posts nothing (no bytes ever reach it), so
it is started again; a PULL_FROM_URL init whose answer was lost may have posted, and TikTok
lists no such posts to look the marker up in, so that one case stops for the operator.
"""

from __future__ import annotations

import json
import logging
import struct
import time
from dataclasses import dataclass
from typing import Any

import requests
from temporalio.exceptions import ApplicationError

from activities.artifacts import to_path
from activities.config import PublishingSettings
from activities.config.channel_platforms import AUDIT_RULE
from activities.errors import (
    auth_failed,
    bad_input,
    platform_unavailable,
    publish_rejected,
    rate_limited,
)
from activities.ledger import Ledger
from activities.mp4info import track_durations
from activities.progress import heartbeat, raise_if_cancelled
from activities.publishers import plain_tags, reel_marker
from activities.publishers.tiktok_token import PLATFORM, TikTokTokens
from activities.redact import describe, redact
from activities.secrets import SecretStore
from workflows.contracts import PlatformPublishRequest, Publication

log = logging.getLogger(__name__)

TITLE_MAX = 2200  # UTF-16 code units, as TikTok counts its "runes"
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
MAX_CHUNKS = 1000
RATE_WAIT_S = 60.0  # the init limit is 6 calls a minute per token
DONE = {"PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"}
REJECTED_CODES = {
    "spam_risk_too_many_posts": "the creator's daily post cap is reached",
    "spam_risk_user_banned_from_posting": "the creator is banned from posting",
    "spam_risk_too_many_pending_share": "too many drafts wait in the creator's inbox",
    "reached_active_user_cap": "the unaudited app's daily cap of posting users is reached",
    "unaudited_client_can_only_post_to_private_accounts": AUDIT_RULE,
}
FIELD_CODES = {
    "privacy_level_option_mismatch": "tiktok.privacy_level",
    "url_ownership_unverified": "tiktok.video_url_base",
}


class TikTokError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


@dataclass
class Plan:
    size: int
    chunk_size: int
    count: int

    def chunk(self, index: int) -> tuple[int, int]:
        """[first, last] byte of chunk `index`; the last chunk takes the trailing bytes."""
        first = index * self.chunk_size
        last = self.size - 1 if index == self.count - 1 else first + self.chunk_size - 1
        return first, last


def chunk_plan(size: int, chunk_bytes: int, min_chunk: int = MIN_CHUNK,
               max_chunk: int = MAX_CHUNK) -> Plan:
    """Chunks within TikTok's rules: whole below the minimum, count = size // chunk_size."""
    if size <= 0:
        raise bad_input("video: the reel file is empty")
    chunk = max(min_chunk, min(chunk_bytes, max_chunk))
    if size < min_chunk or size <= chunk:
        return Plan(size, size, 1)
    count = size // chunk
    if count > MAX_CHUNKS:
        raise bad_input(f"video: {size} bytes need more than {MAX_CHUNKS} chunks")
    return Plan(size, chunk, count)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip_utf16(text: str, room: int) -> str:
    out, used = [], 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > room:
            break
        out.append(char)
        used += width
    return "".join(out).rstrip()


class TikTokPublisher:
    platform = PLATFORM

    def __init__(self, secrets: SecretStore, ledger: Ledger, settings: PublishingSettings,
                 poll_s: float = 5.0, max_wait_s: float = 15 * 60,
                 min_chunk: int = MIN_CHUNK, max_chunk: int = MAX_CHUNK) -> None:
        self.ledger = ledger
        self.settings = settings
        self.poll_s = poll_s
        self.max_wait_s = max_wait_s
        self.min_chunk, self.max_chunk = min_chunk, max_chunk
        self.http = requests.Session()
        self.verify: str | bool = settings.ca_bundle or True
        self.tokens = TikTokTokens(secrets, settings, self.http)

    # --- the publish flow ---

    def publish(self, req: PlatformPublishRequest, retrying: bool) -> Publication:
        token = self.tokens.load(req.channel)
        try:
            try:
                return self._publish(req, token)
            except TikTokError as error:
                raise self._classify(error, req) from None
            except requests.RequestException as error:
                raise platform_unavailable(f"tiktok: {describe(error, token.values())}"
                                           ) from None
        except ApplicationError as failure:
            if failure.non_retryable:  # a refusal stays beside the session for the operator
                self._record(req, failure.message)
            raise

    def _publish(self, req: PlatformPublishRequest, token: dict[str, str]) -> Publication:
        session = self._session(req)
        if session.get("publish_id"):
            state = self._status(session["publish_id"], token, req.channel)
            status = state.get("status", "")
            if status in DONE:
                return self._publication(session, state)
            if status == "FAILED":
                self._save(req, {})
                raise publish_rejected(f"tiktok could not post reel {req.reel_id}: "
                                       f"{state.get('fail_reason') or 'FAILED'}")
            resumable = session.get("source") == "FILE_UPLOAD" and \
                session.get("state") != "uploaded"
            if resumable and not self._upload(req, session,
                                              int(state.get("uploaded_bytes") or 0)):
                session = {}  # the upload URL expired before the last chunk: begin again
        elif session.get("state") == "init" and session.get("source") == "PULL_FROM_URL":
            raise publish_rejected(
                f"tiktok: an earlier attempt asked TikTok to pull reel {req.reel_id} and"
                " its answer was lost; it may be posted. Look at the account, then clear"
                f" the upload session of {req.reel_id} to post it again")
        if not session.get("publish_id"):
            session = self._init(req, token)
            if session["source"] == "FILE_UPLOAD" and not self._upload(req, session, 0):
                raise platform_unavailable("tiktok refused a fresh upload URL; retrying")
        return self._publication(session, self._wait(req, session, token))

    def _init(self, req: PlatformPublishRequest, token: dict[str, str]) -> dict[str, Any]:
        options = req.tiktok
        video = to_path(req.video_uri)
        source: dict[str, Any]
        if options.video_url_base:
            from activities.publishers.instagram import _publish_copy

            name = _publish_copy(req)  # TikTok pulls the file from the channel's folder
            source = {"source": "PULL_FROM_URL",
                      "video_url": f"{options.video_url_base}/{name}.mp4"}
        else:
            plan = chunk_plan(video.stat().st_size, self.settings.tiktok_chunk_bytes,
                              self.min_chunk, self.max_chunk)
            source = {"source": "FILE_UPLOAD", "video_size": plan.size,
                      "chunk_size": plan.chunk_size, "total_chunk_count": plan.count}
        username = ""
        if options.mode == "inbox":
            # Drafts carry no post_info: the creator sets caption, privacy and the AI label
            # in the TikTok app before posting.
            path, body = "/v2/post/publish/inbox/video/init/", {"source_info": source}
        else:
            creator = self._call("/v2/post/publish/creator_info/query/", token, {}, req.channel)
            username = str(creator.get("creator_username") or "")
            body = {"post_info": self.post_info(req, creator, video), "source_info": source}
            path = "/v2/post/publish/video/init/"
        session: dict[str, Any] = {"state": "init", "source": source["source"],
                                   "mode": options.mode, "username": username}
        if source["source"] == "FILE_UPLOAD":
            session.update(size=source["video_size"], chunk_size=source["chunk_size"],
                           count=source["total_chunk_count"])
        self._save(req, session)  # before init: a lost answer is known to have been asked
        answer = self._call(path, token, body, req.channel)
        session.update(state="initiated", publish_id=str(answer["publish_id"]),
                       upload_url=str(answer.get("upload_url") or ""))
        self._save(req, session)
        log.info("tiktok: reel %s initiated as %s (%s, %s)", req.reel_id, session["publish_id"],
                 options.mode, source["source"])
        return session

    def post_info(self, req: PlatformPublishRequest, creator: dict[str, Any],
                  video: Any) -> dict[str, Any]:
        """The direct post's metadata, checked against what the creator may post."""
        options = req.tiktok
        offered = [str(p) for p in creator.get("privacy_level_options") or []]
        if options.privacy_level not in offered:
            raise bad_input(f"channel {req.channel}: tiktok.privacy_level:"
                            f" {options.privacy_level} is not offered by this TikTok account"
                            f" (it offers {', '.join(offered) or 'nothing'})")
        longest = int(creator.get("max_video_post_duration_sec") or 0)
        seconds = _duration(video)
        if longest and seconds is not None and seconds > longest:
            raise bad_input(f"reel {req.reel_id}: duration: {seconds:.1f} s is longer than"
                            f" the {longest} s this TikTok account may post"
                            " (max_video_post_duration_sec)")
        return {
            "title": self.title(req),
            "privacy_level": options.privacy_level,
            # A creator who turned an interaction off for everyone cannot have it on here.
            "disable_comment": options.disable_comment or bool(creator.get("comment_disabled")),
            "disable_duet": options.disable_duet or bool(creator.get("duet_disabled")),
            "disable_stitch": options.disable_stitch or bool(creator.get("stitch_disabled")),
            "video_cover_timestamp_ms": options.video_cover_timestamp_ms,
            "brand_content_toggle": options.brand_content_toggle,
            "brand_organic_toggle": options.brand_organic_toggle,
            "is_aigc": True,  # every reel is made by the factory: always labelled
        }

    def _upload(self, req: PlatformPublishRequest, session: dict[str, Any],
                received: int) -> bool:
        """Send the chunks from the first one TikTok lacks; False if the URL is gone."""
        video = to_path(req.video_uri)
        plan = Plan(int(session["size"]), int(session["chunk_size"]), int(session["count"]))
        if video.stat().st_size != plan.size:
            raise bad_input(f"reel {req.reel_id}: video: the file changed size since the"
                            " upload began")
        index = min(received // plan.chunk_size, plan.count)
        with video.open("rb") as file:
            while index < plan.count:
                raise_if_cancelled()
                first, last = plan.chunk(index)
                file.seek(first)
                data = file.read(last - first + 1)
                resp = self.http.put(session["upload_url"], data=data, timeout=(10, 300),
                                     verify=self.verify, headers={
                                         "Content-Type": "video/mp4",
                                         "Content-Length": str(len(data)),
                                         "Content-Range": f"bytes {first}-{last}/{plan.size}"})
                if resp.status_code in (403, 404, 410):
                    log.info("tiktok upload URL of %s expired; initiating again", req.reel_id)
                    self._save(req, {})
                    return False
                if resp.status_code not in (200, 201, 206):
                    raise _error(resp) or TikTokError(resp.status_code, "upload", "", {})
                index += 1
                session.update(state="uploaded" if index == plan.count else "uploading",
                               next_byte=last + 1)
                self._save(req, session)
                heartbeat({"platform": PLATFORM, "bytes": last + 1, "of": plan.size})
        session["state"] = "uploaded"
        self._save(req, session)
        return True

    def _wait(self, req: PlatformPublishRequest, session: dict[str, Any],
              token: dict[str, str]) -> dict[str, Any]:
        deadline = time.monotonic() + self.max_wait_s
        while True:
            state = self._status(session["publish_id"], token, req.channel)
            status = state.get("status", "")
            heartbeat({"platform": PLATFORM, "status": status})
            if status in DONE:
                return state
            if status == "FAILED":
                self._save(req, {})
                raise publish_rejected(f"tiktok could not post reel {req.reel_id}: "
                                       f"{state.get('fail_reason') or 'FAILED'}")
            if time.monotonic() > deadline:
                raise platform_unavailable(f"tiktok still at {status} after"
                                           f" {self.max_wait_s:.0f} s; looking again")
            raise_if_cancelled()
            time.sleep(self.poll_s)

    def _status(self, publish_id: str, token: dict[str, str], channel: str) -> dict[str, Any]:
        return self._call("/v2/post/publish/status/fetch/", token, {"publish_id": publish_id},
                          channel)

    def _publication(self, session: dict[str, Any], state: dict[str, Any]) -> Publication:
        posts = [str(p) for p in state.get("publicaly_available_post_id") or []]
        post_id = posts[0] if posts else ""
        username = session.get("username") or ""
        url = f"https://www.tiktok.com/@{username}/video/{post_id}" if post_id and username \
            else ""
        return Publication(PLATFORM, post_id or str(session["publish_id"]), url)

    # --- metadata ---

    @staticmethod
    def title(req: PlatformPublishRequest) -> str:
        """The caption: title, description, hashtags and the marker, within 2200 runes."""
        tags = " ".join(f"#{t}" for t in plain_tags(req.hashtags))
        marker = reel_marker(req.reel_id)
        head = "\n\n".join(p for p in (req.title.strip(), req.description.strip(), tags) if p)
        if not head:
            raise bad_input(f"reel {req.reel_id}: title: TikTok needs a caption")
        return f"{clip_utf16(head, TITLE_MAX - utf16_len(marker) - 2)}\n\n{marker}"

    # --- the ledger's session ---

    def _session(self, req: PlatformPublishRequest) -> dict[str, Any]:
        raw = self.ledger.upload_session(req.reel_id, PLATFORM)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}

    def _save(self, req: PlatformPublishRequest, session: dict[str, Any]) -> None:
        self.ledger.save_upload_session(req.reel_id, PLATFORM,
                                        json.dumps(session) if session else "")

    def _record(self, req: PlatformPublishRequest, message: str) -> None:
        """Keep the refusal beside the session, for `channel status` and the operator."""
        session = self._session(req)
        session["last_error"] = message
        self._save(req, session)

    # --- transport and errors ---

    def _call(self, path: str, token: dict[str, str], body: dict[str, Any],
              channel: str = "") -> dict[str, Any]:
        """POST a JSON call; an access token TikTok calls invalid is refreshed once."""
        for attempt in (1, 2):
            resp = self.http.post(f"{self.settings.tiktok_api_url}{path}", json=body,
                                  timeout=(10, 60), verify=self.verify, headers={
                                      "Authorization": f"Bearer {token['access_token']}",
                                      "Content-Type": "application/json; charset=UTF-8"})
            error = _error(resp, token.values())
            if error is None:
                data = resp.json().get("data")
                return data if isinstance(data, dict) else {}
            if error.code != "access_token_invalid" or not channel or attempt == 2:
                raise error
            token.update(self.tokens.load(channel, force_refresh=True))
        raise AssertionError("unreachable")

    def _classify(self, error: TikTokError, req: PlatformPublishRequest) -> ApplicationError:
        what = f"tiktok {error.status} {error.code}: {error.message}".strip()
        if error.code == "rate_limit_exceeded" or error.status == 429:
            after = error.headers.get("Retry-After", "") if error.headers else ""
            return rate_limited(what, float(after) if after.isdigit() else RATE_WAIT_S)
        if error.code in ("access_token_invalid", "scope_not_authorized",
                          "scope_permission_missed"):
            return auth_failed(f"{what}; run `monolathe auth tiktok {req.channel}`")
        if error.code in FIELD_CODES:
            return bad_input(f"channel {req.channel}: {FIELD_CODES[error.code]}: {what}")
        if error.code in REJECTED_CODES:
            return publish_rejected(f"{what} ({REJECTED_CODES[error.code]}; reel"
                                    f" {req.reel_id})")
        if error.status >= 500 or error.code == "internal_error":
            return platform_unavailable(what)
        return publish_rejected(f"{what} (reel {req.reel_id})")


def _error(resp: requests.Response, secrets: Any = ()) -> TikTokError | None:
    """The TikTok error of an answer (`error.code` other than "ok"), redacted; or None."""
    try:
        answer = resp.json()
    except ValueError:
        answer = {}
    error = answer.get("error") if isinstance(answer, dict) else None
    code = str(error.get("code", "")) if isinstance(error, dict) else ""
    if resp.status_code < 400 and code in ("", "ok"):
        return None
    message = str(error.get("message", "")) if isinstance(error, dict) else resp.text[:300]
    return TikTokError(resp.status_code, code or str(resp.status_code),
                       redact(message, [str(s) for s in secrets]), resp.headers)


def _duration(video: Any) -> float | None:
    try:
        return track_durations(video).get("video")
    except (OSError, ValueError, IndexError, struct.error):
        return None  # not an MP4 this reader knows: TikTok checks the duration itself
