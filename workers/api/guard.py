"""What every request passes before a route sees it, as ASGI middleware: the Host check, who
is asking, the cross-site check, and the body cap.

FastAPI reads a request's body before it resolves a route's dependencies, so a check made in
a dependency comes after the body is in memory. Here the headers decide first: a request
that may not send a body is answered before one byte of it is read, and an allowed body is
read at most up to the cap, then handed to the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workers.api.tokens import Principal, Tokens, is_loopback

COOKIE = "monolathe_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_POSTS = frozenset({"/login"})  # the only body a request without a token may send
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def allowed_hosts(bind: str, configured: Sequence[str] = ()) -> list[str]:
    """The Host names answered (anything else gets 400): the loopback names when the API
    listens on loopback (a wildcard bind listens there too), the bound address itself, and
    `api.allowed_hosts`. A page whose own name was rebound to this address sends its own
    name as Host, never one of these (DNS rebinding)."""
    names: list[str] = []
    if is_loopback(bind) or bind in WILDCARD_BINDS:
        names += LOOPBACK_NAMES
    if bind not in WILDCARD_BINDS:
        names.append(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind.lower())
    names += configured
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Caller:
    """Who is asking and how: `bearer` (a header a page cannot set cross-site), `cookie`
    (the review page's, sent by the browser wherever the request comes from), `query`
    (a WebSocket's ?token=), or `ambient` (no token: auth off, or none presented)."""

    who: Principal | None
    via: str

    @property
    def browser_driven(self) -> bool:
        return self.via != "bearer"


def caller(scope: Scope, tokens: Tokens | None) -> Caller:
    connection = HTTPConnection(scope)
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        presented, via = header[7:].strip(), "bearer"
    elif connection.cookies.get(COOKIE):
        presented, via = connection.cookies[COOKIE], "cookie"
    elif scope["type"] == "websocket" and connection.query_params.get("token"):
        # Browsers cannot set headers on a WebSocket; plain HTTP never takes a token in the URL.
        presented, via = connection.query_params["token"], "query"
    else:
        presented, via = "", "ambient"
    if tokens is None:
        return Caller(Principal("local", "operator"), via)
    return Caller(tokens.find(presented) if presented else None, via)


def caller_of(connection: HTTPConnection) -> Caller:
    return connection.scope["state"]["caller"]


def _origin(value: str) -> str:
    """scheme://host[:port] of an Origin or Referer, lowercase, the default port dropped."""
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.netloc:
        return value.strip().lower() or "null"
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower().rpartition("@")[2]
    if netloc.endswith(f":{_DEFAULT_PORTS.get(scheme, '-')}"):
        netloc = netloc.rsplit(":", 1)[0]
    return f"{scheme}://{netloc}"


def served_origin(scope: Scope) -> str:
    """The origin this request was sent to: its scheme (https behind TLS, or a local proxy's
    X-Forwarded-Proto) and its Host, which the host check has already accepted."""
    scheme = {"ws": "http", "wss": "https"}.get(scope["scheme"], scope["scheme"])
    return _origin(f"{scheme}://{Headers(scope=scope).get('host', '')}")


def cross_site(scope: Scope, found: Caller) -> str:
    """Why a browser-driven request is refused as coming from another site, or ""."""
    headers = Headers(scope=scope)
    sent = headers.get("origin") or headers.get("referer") or ""
    here = served_origin(scope)
    if not sent:
        if found.via != "cookie":
            return ""  # curl or a script with auth off: no browser, nothing to forge
        return ("a request signed in by the review page's cookie must say where it comes from"
                f" (Origin or Referer {here}); API clients send Authorization: Bearer instead")
    if _origin(sent) != here:
        return (f"cross-site request refused: it comes from {_origin(sent)}, not {here};"
                " API clients send Authorization: Bearer instead of a cookie")
    return ""


class Guard:
    """Who, cross-site and size, before the app; the caller is left in scope["state"]."""

    def __init__(self, app: ASGIApp, tokens: Tokens | None, max_body_bytes: int) -> None:
        self.app, self.tokens, self.cap = app, tokens, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        found = caller(scope, self.tokens)
        scope.setdefault("state", {})["caller"] = found
        if scope["type"] == "websocket":
            if found.browser_driven and Headers(scope=scope).get("origin") \
                    and cross_site(scope, found):
                await send({"type": "websocket.close", "code": 4403,
                            "reason": "cross-site WebSocket refused"})
                return
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope, found)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body = await _read_capped(receive, self.cap)
        if body is None:
            return  # the client went away mid-body: nobody to answer
        if isinstance(body, JSONResponse):
            await body(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _refusal(self, scope: Scope, found: Caller) -> JSONResponse | None:
        headers = Headers(scope=scope)
        declares_body = headers.get("content-length", "0") != "0" \
            or "transfer-encoding" in headers
        unsafe = scope["method"] in UNSAFE
        if found.who is None and (unsafe or declares_body) and scope["path"] not in OPEN_POSTS:
            return JSONResponse(
                {"error": "a bearer token is required (Authorization: Bearer ...)"},
                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if unsafe and found.browser_driven:
            why = cross_site(scope, found)
            if why:
                return JSONResponse({"error": why}, status_code=403)
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > self.cap):
            return _too_large(self.cap)
        return None


def _too_large(cap: int) -> JSONResponse:
    return JSONResponse({"error": f"request body over {cap} bytes (api.max_body_bytes in"
                                  " temporal.yaml)"}, status_code=413)


async def _read_capped(receive: Receive, cap: int) -> bytes | JSONResponse | None:
    """The whole body, a 413 once it passes `cap` (nothing more is read), or None when the
    client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return _too_large(cap)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # what comes after the body: a disconnect

    return replay
