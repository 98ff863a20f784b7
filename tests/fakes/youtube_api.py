"""A loopback YouTube Data API v3 that speaks the protocol google-api-python-client uses.

- GET  /o/oauth2/auth                           consent: 302 back to the loopback redirect
- POST /token                                   OAuth authorization_code and refresh_token
- POST /upload/youtube/v3/videos?uploadType=resumable   starts a session (Location header)
- PUT  <session>  Content-Range: bytes a-b/N    a chunk: 308 + Range, or 200 + the video
- PUT  <session>  Content-Range: bytes */N      status query: 308 + Range, or 200 + video
- GET  /youtube/v3/channels?mine=true, /playlistItems, /videos   the marker lookup
- POST /upload/youtube/v3/thumbnails/set?videoId=...

Fault kinds: token, initiate, chunk, final-chunk, status, list, thumbnail, any-api.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakes.server import FakeServer, Request, Reset, Response

UPLOADS_PLAYLIST = "UUfakechannel"
CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28"}


def google_error(status: int, reason: str, message: str = "") -> Response:
    return Response(status, {"error": {"code": status, "message": message or reason,
                                       "errors": [{"reason": reason, "domain": "youtube",
                                                   "message": message or reason}]}})


@dataclass
class Session:
    upload_id: str
    size: int
    metadata: dict[str, Any]
    data: bytearray = field(default_factory=bytearray)
    video_id: str = ""


class FakeYouTube(FakeServer):
    def __init__(self, cert: Any, quota_limit: int = 10_000) -> None:
        super().__init__(cert)
        self.refresh_tokens = {"refresh-1"}
        self.access_tokens: set[str] = set()
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, dict[str, Any]] = {}  # id -> resource (+ sha256)
        self.thumbnails: dict[str, int] = {}
        self.quota_limit = quota_limit
        self.quota_used = 0
        self.refreshes = 0
        self.grants: dict[str, dict[str, str]] = {}  # authorization code -> its request
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # --- protocol ---

    def handle(self, req: Request) -> Response:
        if req.path == "/token":
            return self._token(req)
        if req.path == "/o/oauth2/auth":
            return self._consent(req)
        if req.bearer() not in self.access_tokens:
            return google_error(401, "authError", "Invalid Credentials")
        if req.path == "/upload/youtube/v3/videos" and req.method == "POST":
            return self._initiate(req)
        if req.path == "/upload/youtube/v3/videos" and req.method == "PUT":
            return self._put(req)
        if req.path == "/upload/youtube/v3/thumbnails/set":
            return self._thumbnail(req)
        fault = self.fault("any-api") or (self.fault("list") if req.method == "GET" else None)
        if fault:
            return self._apply(fault, req)
        if req.path == "/youtube/v3/channels":
            return Response(200, {"items": [{"id": "UCfake", "contentDetails": {
                "relatedPlaylists": {"uploads": UPLOADS_PLAYLIST}}}]})
        if req.path == "/youtube/v3/playlistItems":
            ids = list(reversed(self.videos))[: int(req.arg("maxResults", "5"))]
            return Response(200, {"items": [{"contentDetails": {"videoId": i}} for i in ids]})
        if req.path == "/youtube/v3/videos" and req.method == "GET":
            wanted = req.arg("id").split(",")
            return Response(200, {"items": [
                {"id": i, "snippet": self.videos[i]["snippet"]} for i in wanted
                if i in self.videos]})
        return google_error(404, "notFound", f"{req.method} {req.path}")

    def _token(self, req: Request) -> Response:
        form = req.form()
        fault = self.fault("token")
        if fault:
            return self._apply(fault, req)
        if form.get("grant_type") == "authorization_code":
            return self._exchange_code(form)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in \
                self.refresh_tokens:
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "Token has been expired or revoked."})
        self.refreshes += 1
        token = f"access-{self.refreshes}"
        self.access_tokens.add(token)
        return Response(200, {"access_token": token, "expires_in": 3600,
                              "token_type": "Bearer"})

    def _consent(self, req: Request) -> Response:
        """The user said yes in the browser: back to the app's loopback redirect."""
        code = f"code-{next(self._ids)}"
        self.grants[code] = {"challenge": req.arg("code_challenge"), "scope": req.arg("scope"),
                             "redirect_uri": req.arg("redirect_uri")}
        query = urlencode({"state": req.arg("state"), "code": code, "scope": req.arg("scope")})
        return Response(302, b"", {"Location": f"{req.arg('redirect_uri')}?{query}"})

    def _exchange_code(self, form: dict[str, str]) -> Response:
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri") or (
                grant["challenge"] and challenge.decode().rstrip("=") != grant["challenge"]):
            return Response(400, {"error": "invalid_grant", "error_description": "Bad code."})
        refresh = f"refresh-{len(self.refresh_tokens) + 1}"
        self.refresh_tokens.add(refresh)
        self.access_tokens.add("access-consent")
        return Response(200, {"access_token": "access-consent", "refresh_token": refresh,
                              "expires_in": 3599, "scope": grant["scope"],
                              "token_type": "Bearer"})

    def _initiate(self, req: Request) -> Response:
        metadata = json.loads(req.read() or b"{}")
        fault = self.fault("initiate")
        if fault:
            return self._apply(fault, req)
        problem = self._invalid(metadata)
        if problem:
            return google_error(400, *problem)
        if self.quota_used + 1600 > self.quota_limit:
            return google_error(403, "quotaExceeded", "The request cannot be completed because"
                                " you have exceeded your quota.")
        self.quota_used += 1600
        upload_id = f"up{next(self._ids)}"
        size = int(req.headers.get("X-Upload-Content-Length") or 0)
        self.sessions[upload_id] = Session(upload_id, size, metadata)
        location = (f"{self.url}/upload/youtube/v3/videos?uploadType=resumable"
                    f"&part=snippet,status&upload_id={upload_id}")
        return Response(200, b"", {"Location": location})

    @staticmethod
    def _invalid(metadata: dict[str, Any]) -> tuple[str, str] | None:
        snippet, status = metadata.get("snippet", {}), metadata.get("status", {})
        title = snippet.get("title", "")
        if not title or len(title) > 100 or re.search(r"[<>]", title):
            return "invalidTitle", "The request metadata specifies an invalid video title."
        if "selfDeclaredMadeForKids" not in status:
            return "invalidVideoMetadata", "selfDeclaredMadeForKids must be set"
        if status.get("publishAt") and status.get("privacyStatus") != "private":
            return "invalidPublishAt", "publishAt needs privacyStatus private"
        if snippet.get("categoryId", "22") not in CATEGORIES:
            return "invalidCategoryId", "The request metadata specifies an invalid video category."
        if status.get("privacyStatus") not in ("public", "unlisted", "private"):
            return "invalidVideoMetadata", "bad privacyStatus"
        return None

    def _put(self, req: Request) -> Response:
        session = self.sessions.get(req.arg("upload_id"))
        if session is None:
            req.read()
            return google_error(404, "notFound", "upload session not found")
        content_range = req.headers.get("Content-Range", "")
        query = re.fullmatch(r"bytes \*/(\d+|\*)", content_range)
        if query:
            fault = self.fault("status")
            if fault:
                return self._apply(fault, req)
            return self._progress(session)
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
        if not match:
            return google_error(400, "badContentRange", content_range)
        start, end = int(match[1]), int(match[2])
        final = end + 1 == session.size
        fault = self.fault("final-chunk" if final else "chunk")
        if fault and fault.action == "reset":
            req.read(limit=req.length // 2)  # the connection dies mid-chunk
            raise Reset
        if fault and fault.action != "commit-then-reset":
            req.read()
            return self._apply(fault, req)
        data = req.read()
        if start == len(session.data):  # else out of step: say where we are
            session.data.extend(data)
        if len(session.data) >= session.size and not session.video_id:
            self._finish(session)
        if fault and fault.action == "commit-then-reset":
            raise Reset
        return self._progress(session)

    def _finish(self, session: Session) -> None:
        video_id = f"vid{next(self._ids):04d}"
        session.video_id = video_id
        self.videos[video_id] = {
            "kind": "youtube#video", "id": video_id,
            "snippet": session.metadata.get("snippet", {}),
            "status": {**session.metadata.get("status", {}), "uploadStatus": "uploaded"},
            "sha256": hashlib.sha256(session.data).hexdigest(),
        }

    def _progress(self, session: Session) -> Response:
        if session.video_id:
            video = {k: v for k, v in self.videos[session.video_id].items() if k != "sha256"}
            return Response(200, video)
        headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
        return Response(308, b"", headers)

    def _thumbnail(self, req: Request) -> Response:
        req.read()
        fault = self.fault("thumbnail")
        if fault:
            return self._apply(fault, req)
        video_id = req.arg("videoId")
        if video_id not in self.videos:
            return google_error(404, "videoNotFound")
        self.thumbnails[video_id] = self.thumbnails.get(video_id, 0) + 1
        return Response(200, {"kind": "youtube#thumbnailSetResponse",
                              "items": [{"default": {"url": f"{self.url}/vi/{video_id}.jpg"}}]})

    def _apply(self, fault: Any, req: Request) -> Response:
        req.read()
        if fault.action in ("reset", "commit-then-reset"):
            raise Reset
        if fault.action == 401:
            self.access_tokens.clear()  # the token expired under us
            return google_error(401, "authError", "Invalid Credentials")
        if fault.action == 403 and fault.reason == "quotaExceeded":
            self.quota_used = self.quota_limit
        response = google_error(int(fault.action), fault.reason or "backendError")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
