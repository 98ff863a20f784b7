"""A loopback Instagram Graph API for Reels publishing, over TLS, as `requests` sees it.

- POST /{v}/{ig-user}/media                 a REELS container (upload_type=resumable|video_url)
- POST /ig-api-upload/{v}/{container}       bytes from the `offset` header, of `file_size`
- GET  /{v}/{container}?fields=status_code,video_status
- POST /{v}/{ig-user}/media_publish         creation_id -> media id
- GET  /{v}/{media}?fields=permalink, /{v}/{ig-user}/media, /content_publishing_limit

Errors come as Graph errors ({"error": {"message", "type", "code", "error_subcode"}}).
Fault kinds: create, upload, status, publish, limit, media-list, permalink; a fault's
`reason` is the Graph error code to answer with (`190`, `4`, `2`, `100`, `9:2207042`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Fault, Request, Reset, Response

VERSION = "v21.0"


def graph_error(status: int, code: int, message: str, subcode: int = 0,
                headers: dict[str, str] | None = None) -> Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEf"}
    if subcode:
        error["error_subcode"] = subcode
    return Response(status, {"error": error}, headers or {})


@dataclass
class Container:
    id: str
    form: dict[str, str]
    data: bytearray = field(default_factory=bytearray)
    size: int = 0
    status: str = "IN_PROGRESS"
    polls_left: int = 2  # processing takes a couple of status polls
    media_id: str = ""


class FakeInstagram(FakeServer):
    def __init__(self, cert: Any, limit: int = 50) -> None:
        super().__init__(cert)
        self.token = "ig-long-lived-1"
        self.user_id = "17841400000000001"
        self.containers: dict[str, Container] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.limit = limit
        self.usage_header = ""  # X-App-Usage on every answer when set
        self.app_id, self.app_secret, self.short_token = "4242", "app-secret", "short-1"
        self.renewals = 0
        self.tokens_in_urls = 0  # requests that carried a credential in the query string
        self.fail_processing = ""  # a container `status` to end processing with ERROR
        self._ids = itertools.count(1)

    def handle(self, req: Request) -> Response:
        response = self._route(req)
        if self.usage_header:
            response.headers["X-App-Usage"] = self.usage_header
        return response

    def _route(self, req: Request) -> Response:
        parts = req.path.strip("/").split("/")
        if parts[:1] == ["ig-api-upload"]:
            if req.headers.get("Authorization", "") != f"OAuth {self.token}":
                req.read()
                return graph_error(400, 190, "Invalid OAuth access token.")
            return self._upload(req, parts[-1])
        if {"access_token", "client_secret", "fb_exchange_token"} & set(req.query):
            self.tokens_in_urls += 1
        form = req.form() if req.method == "POST" else {k: v[0] for k, v in req.query.items()}
        if parts[1:] == ["oauth", "access_token"]:
            return self._exchange(form)
        # The Graph API takes the token as a parameter or as an `OAuth`/`Bearer` header.
        scheme, _, header_token = req.headers.get("Authorization", "").partition(" ")
        token = header_token if scheme in ("OAuth", "Bearer") else form.get("access_token")
        if token != self.token:
            return graph_error(400, 190, "Error validating access token: Session has expired.",
                               subcode=463)
        if parts[0] != VERSION:
            return graph_error(400, 2500, f"Unknown version {parts[0]}")
        node, edge = parts[1], parts[2] if len(parts) > 2 else ""
        if node == self.user_id and edge == "media" and req.method == "POST":
            return self._fault("create") or self._create(form)
        if node == self.user_id and edge == "media_publish":
            fault = self.fault("publish")
            if fault and fault.action == "commit-then-reset":
                self._publish(form)  # posted, but the answer never reaches the client
                raise Reset
            return self._apply(fault) if fault else self._publish(form)
        if node == self.user_id and edge == "media":
            return self._fault("media-list") or Response(200, {"data": [
                {k: m[k] for k in ("id", "caption", "permalink", "timestamp")}
                for m in reversed(self.media.values())]})
        if node == self.user_id and edge == "content_publishing_limit":
            return self._fault("limit") or Response(200, {"data": [{
                "config": {"quota_total": self.limit, "quota_duration": 86400},
                "quota_usage": len(self.media)}]})
        if node == self.user_id and not edge:
            return Response(200, {"id": self.user_id, "username": "monolathe.demo"})
        if node in self.containers:
            return self._fault("status") or self._status(self.containers[node])
        if node in self.media:
            return self._fault("permalink") or Response(200, {
                "id": node, "permalink": self.media[node]["permalink"]})
        return graph_error(400, 100, f"Unsupported request: {req.method} {req.path}")

    def _exchange(self, form: dict[str, str]) -> Response:
        """fb_exchange_token: a short-lived token and the app's secret -> a long-lived one."""
        if (form.get("grant_type") != "fb_exchange_token" or form.get("client_id") != self.app_id
                or form.get("client_secret") != self.app_secret
                or form.get("fb_exchange_token") not in (self.short_token, self.token)):
            return graph_error(400, 190, "Error validating client secret or token.")
        if form["fb_exchange_token"] == self.token:  # renewing a long-lived token
            self.renewals += 1
            self.token = f"ig-long-lived-{self.renewals + 1}"
        return Response(200, {"access_token": self.token, "token_type": "bearer",
                              "expires_in": 5183944})

    def _fault(self, kind: str) -> Response | None:
        fault = self.fault(kind)
        return self._apply(fault) if fault else None

    def _apply(self, fault: Fault) -> Response:
        if fault.action in ("reset", "commit-then-reset"):
            raise Reset
        code, _, subcode = (fault.reason or "2").partition(":")
        messages = {"190": "Error validating access token: Session has expired.",
                    "4": "Application request limit reached",
                    "2": "An unexpected error has occurred. Please retry your request later.",
                    "100": "Invalid parameter",
                    "9": "Application request limit reached"}
        response = graph_error(int(fault.action), int(code), messages.get(code, "error"),
                               int(subcode or 0), dict(fault.headers))
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def _create(self, form: dict[str, str]) -> Response:
        if form.get("media_type") != "REELS":
            return graph_error(400, 100, "The parameter media_type is required.")
        caption = form.get("caption", "")
        if len(caption) > 2200 or caption.count("#") > 30:
            return graph_error(400, 100, "Invalid parameter", 2207035,)
        if form.get("share_to_feed") not in (None, "true", "false"):
            return graph_error(400, 100, "Invalid parameter share_to_feed")
        if form.get("upload_type") != "resumable" and not form.get("video_url"):
            return graph_error(400, 100, "The parameter video_url is required.")
        container = Container(f"1790000{next(self._ids):05d}", form)
        if form.get("video_url"):
            container.size = -1  # Instagram downloads it; we only check the URL's shape
            if not form["video_url"].startswith("https://"):
                container.status = "ERROR"
        self.containers[container.id] = container
        answer = {"id": container.id}
        if form.get("upload_type") == "resumable":
            answer["uri"] = f"{self.url}/ig-api-upload/{VERSION}/{container.id}"
        return Response(200, answer)

    def _upload(self, req: Request, container_id: str) -> Response:
        container = self.containers.get(container_id)
        fault = self.fault("upload")
        if fault and fault.action == "reset":
            half = req.read(limit=req.length // 2)  # the connection dies mid-file
            if container is not None:
                container.data.extend(half)
            raise Reset
        if fault:
            req.read()
            return self._apply(fault)
        data = req.read()
        if container is None:
            return graph_error(400, 100, "Invalid container")
        offset, size = int(req.headers.get("offset", -1)), int(req.headers.get("file_size", 0))
        if offset != len(container.data):
            return graph_error(400, 100, f"offset {offset} does not match the "
                               f"{len(container.data)} bytes received")
        container.size = size
        container.data.extend(data)
        return Response(200, {"success": True, "message": "Upload successful."})

    def _status(self, container: Container) -> Response:
        uploaded = container.size == -1 or (container.size and len(container.data) >=
                                            container.size)
        if uploaded and container.status == "IN_PROGRESS":
            container.polls_left -= 1
            if container.polls_left <= 0:
                container.status = "ERROR" if self.fail_processing else "FINISHED"
        status = self.fail_processing if container.status == "ERROR" else container.status
        return Response(200, {"id": container.id, "status_code": container.status,
                              "status": status,
                              "video_status": {"uploading_phase": {
                                  "status": "complete" if uploaded else "in_progress",
                                  "bytes_transferred": len(container.data)}}})

    def _publish(self, form: dict[str, str]) -> Response:
        container = self.containers.get(form.get("creation_id", ""))
        if container is None or container.status != "FINISHED":
            return graph_error(400, 9007, "Media ID is not available", 2207027)
        if len(self.media) >= self.limit:
            return graph_error(400, 9, "Application request limit reached", 2207042)
        media_id = f"1800000{next(self._ids):05d}"
        self.media[media_id] = {
            "id": media_id, "caption": container.form.get("caption", ""),
            "permalink": f"https://www.instagram.com/reel/C{media_id}/",
            "timestamp": "2026-11-23T17:00:00+0000",
            "sha256": hashlib.sha256(container.data).hexdigest(),
            "form": container.form,
        }
        container.status, container.media_id = "PUBLISHED", media_id
        return Response(200, {"id": media_id})

    def dump(self) -> str:
        return json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "form"}
                           for k, v in self.media.items()})
