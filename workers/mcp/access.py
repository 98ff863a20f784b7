"""Who calls a tool, and whether they may.

Over HTTP every request carries `Authorization: Bearer <token>` from the API's token file
(workers/api/tokens.py); a request without a known token is answered 401 before the MCP
layer sees it, and each tool call looks the token up again to learn its role. Over stdio
the server is a child of the desktop agent, run by this host's user: it acts as that user
(an operator) unless MONOLATHE_TOKEN names a token, whose role then applies.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from workers.api.tokens import Principal, Tokens

LOCAL = Principal("local", "operator")


class Refused(Exception):
    """A tool this caller may not use."""


def bearer(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else ""


class Access:
    def __init__(self, tokens: Tokens | None, stdio_token: str = "") -> None:
        self.tokens = tokens
        self.stdio = LOCAL
        if stdio_token:
            found = tokens.find(stdio_token) if tokens is not None else None
            if found is None:
                raise Refused("MONOLATHE_TOKEN: not a token of the API's token file")
            self.stdio = found

    def who(self, headers: Mapping[str, str] | None) -> Principal:
        if headers is None:
            return self.stdio  # stdio: no request headers
        if self.tokens is None:
            return LOCAL  # --no-auth, allowed only on loopback
        found = self.tokens.find(bearer(headers)) if bearer(headers) else None
        if found is None:
            raise Refused("a bearer token is required (Authorization: Bearer ...)")
        return found

    def need(self, headers: Mapping[str, str] | None, role: str) -> Principal:
        who = self.who(headers)
        if not who.may(role):
            raise Refused(f"token {who.name!r} is a {who.role}; this tool needs {role}")
        return who


class RequireToken:
    """ASGI: refuse any HTTP request without a known bearer token (401), before its body."""

    def __init__(self, app: ASGIApp, tokens: Tokens | None) -> None:
        self.app, self.tokens = app, tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.tokens is not None:
            presented = bearer(Headers(scope=scope))
            if not presented or self.tokens.find(presented) is None:
                response = JSONResponse(
                    {"error": "a bearer token is required (Authorization: Bearer ...)"},
                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
