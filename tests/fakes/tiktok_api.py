"""A loopback TikTok Content Posting API v2, over TLS, as `requests` sees it.

- GET  /v2/auth/authorize/                      consent granted: 302 to the loopback redirect
- POST /v2/oauth/token/                         authorization_code (+ PKCE) and refresh_token
- POST /v2/post/publish/creator_info/query/     the creator's privacy options and limits
- POST /v2/post/publish/video/init/             a direct post (FILE_UPLOAD | PULL_FROM_URL)
- POST /v2/post/publish/inbox/video/init/       a draft for the creator's inbox
- PUT  /upload/{publish_id}                      one chunk, `Content-Range: bytes a-b/size`
- POST /v2/post/publish/status/fetch/           PROCESSING_UPLOAD, PROCESSING_DOWNLOAD,
                                                SEND_TO_USER_INBOX, PUBLISH_COMPLETE, FAILED
- POST /v2/video/query/?fields=...              the Display API: up to 20 of the creator's
                                                public videos by id, with the fields asked
                                                for (scope video.list)

Errors come as TikTok's {"error": {"code", "message", "log_id"}} (and "ok" on success).
The chunk rules are TikTok's: chunks in order, every chunk but the last exactly
`chunk_size`, the count `video_size // chunk_size`, sizes within [min_chunk, max_chunk]
(scaled down by tests that do not want 5 MB files). An unaudited client may only post
SELF_ONLY; only a public post gets a post id, and only a post id in `videos` (the creator's
public videos, with their counts) is found by video.query. Fault kinds: token, creator,
init, upload, status, query; a fault's `reason` is the TikTok error code to answer with.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Request, Reset, Response

MB = 1024 * 1024
VIDEO_FIELDS = {"id", "create_time", "cover_image_url", "share_url", "video_description",
                "duration", "height", "width", "title", "embed_html", "embed_link",
                "like_count", "comment_count", "share_count", "view_count"}


def tiktok_error(status: int, code: str, message: str = "",
                 headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"error": {"code": code, "message": message or code,
                                       "log_id": "20261206FAKE"}}, headers or {})


def ok(data: dict[str, Any]) -> Response:
    return Response(200, {"data": data, "error": {"code": "ok", "message": "",
                                                   "log_id": "20261206FAKE"}})


@dataclass
class Post:
    publish_id: str
    mode: str  # direct | inbox
    body: dict[str, Any]
    size: int = 0
    chunk_size: int = 0
    count: int = 0
    data: bytearray = field(default_factory=bytearray)
    chunks: int = 0
    status: str = "PROCESSING_UPLOAD"
    fail_reason: str = ""
    polls_left: int = 2  # processing takes a couple of status polls
    post_id: str = ""

    @property
    def title(self) -> str:
        return str(self.body.get("post_info", {}).get("title", ""))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(bytes(self.data)).hexdigest()


class FakeTikTok(FakeServer):
    def __init__(self, cert: Any, min_chunk: int = 5 * MB, max_chunk: int = 64 * MB) -> None:
        super().__init__(cert)
        self.client_key, self.client_secret = "aw-client-key-1", "tt-client-secret"
        self.token = "act.tiktok-access-0"  # each one issued after it counts from 1
        self.refresh_token = "rft.tiktok-refresh-1"
        self.open_id = "open-id-1"
        self.username = "octofacts"
        self.audited = False
        self.privacy_options = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
        self.max_duration = 600
        self.creator_flags = {"comment_disabled": False, "duet_disabled": False,
                              "stitch_disabled": False}
        self.min_chunk, self.max_chunk = min_chunk, max_chunk
        self.posts: dict[str, Post] = {}
        self.codes: dict[str, str] = {}  # code -> PKCE challenge, from authorize()
        self.consents: list[dict[str, str]] = []  # the consent page's queries
        self.refreshes = 0
        self.refresh_expired = False
        self.fail_processing = ""  # a fail_reason to end processing with
        self.tokens_in_urls = 0
        self.expired: set[str] = set()  # publish ids whose upload URL has run out (an hour)
        self.scopes = {"user.info.basic", "video.publish", "video.upload", "video.list"}
        self.videos: dict[str, dict[str, int]] = {}  # public post id -> its counts
        self.queries: list[list[str]] = []  # the video ids of each video.query call
        self._ids = itertools.count(1)

    # --- test helpers ---

    def authorize(self, challenge: str) -> str:
        """What TikTok's consent page would redirect with: a code bound to the challenge."""
        code = f"code-{next(self._ids)}"
        self.codes[code] = challenge
        return code

    def published(self) -> list[Post]:
        return [p for p in self.posts.values() if p.status in ("PUBLISH_COMPLETE",
                                                                "SEND_TO_USER_INBOX")]

    # --- routes ---

    def handle(self, req: Request) -> Response:
        if set(req.query) & {"access_token", "client_secret", "refresh_token"}:
            self.tokens_in_urls += 1
        if req.method == "PUT" and req.path.startswith("/upload/"):
            return self._upload(req, req.path.rsplit("/", 1)[-1])
        if req.path == "/v2/oauth/token/":
            return self._token(req)
        if req.method == "GET" and req.path == "/v2/auth/authorize/":
            return self._consent(req)
        if req.bearer() != self.token:
            req.read()
            return tiktok_error(401, "access_token_invalid", "The access token is invalid.")
        body = _json(req)
        routes = {
            "/v2/post/publish/creator_info/query/": ("creator", self._creator),
            "/v2/post/publish/video/init/": ("init", lambda b: self._init(b, "direct")),
            "/v2/post/publish/inbox/video/init/": ("init", lambda b: self._init(b, "inbox")),
            "/v2/post/publish/status/fetch/": ("status", self._status),
            "/v2/video/query/": ("query", lambda b: self._query(b, req.arg("fields"))),
        }
        if req.path not in routes:
            return tiktok_error(404, "not_found", req.path)
        kind, route = routes[req.path]
        fault = self.fault(kind)
        if fault is not None:
            if fault.action == "reset":
                raise Reset
            if fault.action == "commit-then-reset":
                route(body)
                raise Reset
            assert isinstance(fault.action, int)
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return tiktok_error(fault.action, fault.reason or "internal_error", headers=headers)
        return route(body)

    def _consent(self, req: Request) -> Response:
        """The consent page after the operator clicks Authorize: back to the loopback."""
        scopes = set(req.arg("scope").split(","))
        self.consents.append({k: v[0] for k, v in req.query.items()})
        if req.arg("client_key") != self.client_key or req.arg("code_challenge_method") != \
                "S256" or not {"video.publish", "video.upload"} <= scopes:
            return Response(400, {"error": "invalid_request"})
        code = self.authorize(req.arg("code_challenge"))
        target = f"{req.arg('redirect_uri')}?code={code}&scopes={','.join(sorted(scopes))}" \
                 f"&state={req.arg('state')}"
        return Response(302, b"", {"Location": target})

    def _token(self, req: Request) -> Response:
        form = req.form()
        fault = self.fault("token")
        if fault is not None and isinstance(fault.action, int):
            return Response(fault.action, {"error": fault.reason or "server_error"})
        if (form.get("client_key"), form.get("client_secret")) != (self.client_key,
                                                                   self.client_secret):
            return Response(401, {"error": "invalid_client",
                                  "error_description": "Client key or secret is incorrect."})
        if form.get("grant_type") == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            if challenge is None or hashlib.sha256(verifier.encode()).hexdigest() != challenge:
                return Response(400, {"error": "invalid_request", "error_description":
                                      "Code verifier or code challenge is invalid."})
            if not re.match(r"^http://(127\.0\.0\.1|localhost):\d+/", form.get("redirect_uri",
                                                                                "")):
                return Response(400, {"error": "invalid_request",
                                      "error_description": "redirect_uri is not registered"})
        elif form.get("grant_type") == "refresh_token":
            if self.refresh_expired or form.get("refresh_token") != self.refresh_token:
                return Response(400, {"error": "invalid_grant",
                                      "error_description": "Refresh token is invalid or"
                                      " expired."})
            self.refreshes += 1
        else:
            return Response(400, {"error": "unsupported_grant_type"})
        self.token = f"act.tiktok-access-{next(self._ids)}"
        return Response(200, {"access_token": self.token, "expires_in": 86400,
                              "open_id": self.open_id, "refresh_token": self.refresh_token,
                              "refresh_expires_in": 31536000,
                              "scope": ",".join(sorted(self.scopes)),
                              "token_type": "Bearer"})

    def _creator(self, body: dict[str, Any]) -> Response:
        return ok({"creator_avatar_url": "https://p16.example/avatar.jpg",
                   "creator_username": self.username, "creator_nickname": "Octo Facts",
                   "privacy_level_options": self.privacy_options,
                   "max_video_post_duration_sec": self.max_duration, **self.creator_flags})

    def _init(self, body: dict[str, Any], mode: str) -> Response:
        source = body.get("source_info") or {}
        info = body.get("post_info") or {}
        if mode == "direct":
            privacy = info.get("privacy_level")
            if privacy not in self.privacy_options:
                return tiktok_error(400, "privacy_level_option_mismatch",
                                    f"privacy_level {privacy} is not among the creator's")
            if not self.audited and privacy != "SELF_ONLY":
                return tiktok_error(403, "unaudited_client_can_only_post_to_private_accounts",
                                    "Unaudited clients can only post to private accounts.")
            if "is_aigc" not in info or len(str(info.get("title", "")).encode(
                    "utf-16-le")) // 2 > 2200:
                return tiktok_error(400, "invalid_params", "post_info.title or is_aigc")
        post = Post(f"v_pub_file~v2-1.{next(self._ids)}", mode, body)
        answer: dict[str, Any] = {"publish_id": post.publish_id}
        if source.get("source") == "FILE_UPLOAD":
            size, chunk, count = (int(source.get(k) or 0) for k in
                                  ("video_size", "chunk_size", "total_chunk_count"))
            problem = self._chunk_problem(size, chunk, count)
            if problem:
                return tiktok_error(400, "invalid_params", problem)
            post.size, post.chunk_size, post.count = size, chunk, count
            answer["upload_url"] = f"{self.url}/upload/{post.publish_id}?upload_token=fake"
        elif source.get("source") == "PULL_FROM_URL":
            url = str(source.get("video_url") or "")
            if not url.startswith("https://"):
                return tiktok_error(403, "url_ownership_unverified", url)
            post.status = "PROCESSING_DOWNLOAD"
        else:
            return tiktok_error(400, "invalid_params", "source_info.source")
        self.posts[post.publish_id] = post
        return ok(answer)

    def _chunk_problem(self, size: int, chunk: int, count: int) -> str:
        if size <= 0 or chunk <= 0:
            return "video_size and chunk_size must be positive"
        if size < self.min_chunk and (chunk, count) != (size, 1):
            return "a video under the minimum chunk goes whole, in one chunk"
        if size >= self.min_chunk and not self.min_chunk <= chunk <= self.max_chunk:
            return f"chunk_size {chunk} is outside [{self.min_chunk}, {self.max_chunk}]"
        if count != max(1, size // chunk) or not 1 <= count <= 1000:
            return f"total_chunk_count {count} is not video_size // chunk_size"
        return ""

    def _upload(self, req: Request, publish_id: str) -> Response:
        post = self.posts.get(publish_id)
        if post is None or req.arg("upload_token") != "fake" or publish_id in self.expired:
            req.read()
            return tiktok_error(404, "invalid_upload_url", "no such upload")
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", req.headers.get("Content-Range", ""))
        if match is None:
            req.read()
            return tiktok_error(400, "invalid_file_upload", "Content-Range is missing")
        first, last, total = (int(g) for g in match.groups())
        expected_first = post.chunks * post.chunk_size
        final = post.chunks == post.count - 1
        expected_last = post.size - 1 if final else expected_first + post.chunk_size - 1
        if (first, last, total) != (expected_first, expected_last, post.size) or \
                req.length != last - first + 1 or post.status != "PROCESSING_UPLOAD":
            req.read()
            return tiktok_error(416 if total == post.size else 400, "invalid_file_upload",
                                f"expected bytes {expected_first}-{expected_last}/{post.size}")
        fault = self.fault("upload")
        if fault is not None and fault.action == "reset":
            req.read(req.length // 2)  # half the chunk arrives, then the line drops
            raise Reset
        if fault is not None and isinstance(fault.action, int):
            req.read()
            return tiktok_error(fault.action, fault.reason or "internal_error")
        data = req.read()
        if len(data) != req.length:  # the client died mid-chunk: TikTok keeps none of it
            raise Reset
        post.data += data
        post.chunks += 1
        if post.chunks < post.count:
            return Response(206, b"")
        return Response(201, b"")

    def _status(self, body: dict[str, Any]) -> Response:
        post = self.posts.get(str(body.get("publish_id")))
        if post is None:
            return tiktok_error(400, "invalid_publish_id", "publish_id not found")
        self._advance(post)
        return ok({"status": post.status, "fail_reason": post.fail_reason,
                   "publicaly_available_post_id": [int(post.post_id)] if post.post_id else [],
                   "uploaded_bytes": len(post.data)})

    def _query(self, body: dict[str, Any], fields: str) -> Response:
        """video.query: the creator's public videos among the ids, others left out."""
        if "video.list" not in self.scopes:
            return tiktok_error(401, "scope_not_authorized", "The user did not authorize the"
                                " scope required for completing this request.")
        wanted = [f for f in fields.split(",") if f]
        unknown = sorted(set(wanted) - VIDEO_FIELDS)
        if not wanted or unknown:
            return tiktok_error(400, "invalid_params", f"fields: {','.join(unknown) or 'none'}")
        ids = (body.get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            return tiktok_error(400, "invalid_params", "filters.video_ids: 1 to 20 ids")
        self.queries.append([str(i) for i in ids])
        found = []
        for video_id in ids:
            counts = self.videos.get(str(video_id))
            if counts is not None:
                video = {"id": str(video_id), **counts}
                found.append({k: v for k, v in video.items() if k in wanted})
        return ok({"videos": found, "cursor": 0, "has_more": False})

    def _advance(self, post: Post) -> None:
        uploading = post.status == "PROCESSING_UPLOAD" and post.chunks < post.count
        if post.status not in ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD") or uploading:
            return
        post.polls_left -= 1
        if post.polls_left > 0:
            return
        if self.fail_processing:
            post.status, post.fail_reason = "FAILED", self.fail_processing
        elif post.mode == "inbox":
            post.status = "SEND_TO_USER_INBOX"
        else:
            post.status = "PUBLISH_COMPLETE"
            if post.body.get("post_info", {}).get("privacy_level") != "SELF_ONLY":
                post.post_id = str(7300000000000000000 + next(self._ids))
                self.videos[post.post_id] = {"view_count": 0, "like_count": 0,
                                             "comment_count": 0, "share_count": 0}


def _json(req: Request) -> dict[str, Any]:
    import json

    raw = req.read()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
