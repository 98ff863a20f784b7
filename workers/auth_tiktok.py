"""`monolathe auth tiktok CHANNEL`: TikTok's desktop OAuth 2 flow with PKCE and a loopback
redirect, the token saved to the secret store (mode 0600) on this host.

The operator registers `http://127.0.0.1:*/callback/` as a redirect URI of their TikTok
app (desktop apps may only redirect to a loopback host, any port). The command listens on
a free port, opens (or prints) TikTok's consent page asking for `video.publish` and
`video.upload`, takes the code from the redirect (checking `state`), and exchanges it with
the PKCE verifier at `/v2/oauth/token/`. TikTok's desktop flow takes the challenge as the
hex SHA-256 of the verifier, not RFC 7636's base64url. The client key and secret are read
from the terminal, never argv, and kept in the token file: the publish worker needs them to
refresh the access token.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from activities.config import Settings, load_channel

CALLBACK = "/callback/"
WAIT_S = 300.0  # the operator has five minutes to consent


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)[:64]
    return verifier, hashlib.sha256(verifier.encode()).hexdigest()


def consent_url(auth_url: str, client_key: str, redirect_uri: str, state: str,
                challenge: str) -> str:
    from activities.publishers.tiktok_token import SCOPES

    return auth_url + "?" + urlencode({
        "client_key": client_key, "scope": ",".join(SCOPES), "response_type": "code",
        "redirect_uri": redirect_uri, "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256"})


def _wait_for_code(server: HTTPServer, state: str) -> dict[str, str]:
    got: dict[str, str] = {}
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path != CALLBACK:
                self.send_response(404)
                self.end_headers()
                return
            if query.get("state") != state:
                got["error"] = "the redirect's state does not match (a forged request?)"
            elif query.get("error"):
                got["error"] = f"{query['error']}: {query.get('error_description', '')}"
            else:
                got["code"] = query.get("code", "")
            body = ("TikTok authorized; you may close this tab." if got.get("code") else
                    "TikTok authorization failed; see the terminal.").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            done.set()

    server.RequestHandlerClass = Handler
    server.timeout = 0.5
    deadline = threading.Timer(WAIT_S, done.set)
    deadline.daemon = True
    deadline.start()
    while not done.is_set():
        server.handle_request()
    deadline.cancel()
    return got


def auth_tiktok(settings: Settings, channel: str, open_browser: bool = True,
                client_key: str | None = None, client_secret: str | None = None,
                show: Callable[[str], None] | None = None) -> Path:
    import requests
    from temporalio.exceptions import ApplicationError

    from activities.errors import PLATFORM_UNAVAILABLE
    from activities.publishers.tiktok_token import PLATFORM, SCOPES, TikTokTokens, stamped
    from activities.redact import redact
    from activities.secrets import SecretStore
    from workers.auth import AuthError, _read_secret

    load_channel(settings, channel)  # a typo in the name fails before any browser opens
    key = client_key if client_key is not None else _read_secret("TikTok client key: ")
    secret = client_secret if client_secret is not None else _read_secret(
        "TikTok client secret: ")
    if not key or not secret:
        raise AuthError("auth tiktok needs the app's client key and client secret")
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    try:
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}{CALLBACK}"
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        url = consent_url(settings.publishing.tiktok_auth_url, key, redirect_uri, state,
                          challenge)
        (show or print)(f"Open this page to let monolathe post to TikTok:\n  {url}")
        if open_browser:
            webbrowser.open(url)
        got = _wait_for_code(server, state)
    finally:
        server.server_close()
    if not got.get("code"):
        raise AuthError(f"tiktok authorization failed: {got.get('error', 'no answer in time')}")
    store = SecretStore(settings.publishing.secrets_dir)
    tokens = TikTokTokens(store, settings.publishing, requests.Session())
    hidden = [secret, got["code"], verifier]
    try:
        answer = tokens.exchange({"client_key": key, "client_secret": secret,
                                  "code": got["code"], "grant_type": "authorization_code",
                                  "redirect_uri": redirect_uri, "code_verifier": verifier},
                                 hidden)
    except ApplicationError as exc:
        if exc.type == PLATFORM_UNAVAILABLE:
            raise AuthError(exc.message) from None
        raise
    if "access_token" not in answer:
        why = redact(answer.get("error_description") or answer.get("error") or answer, hidden)
        raise AuthError(f"tiktok refused the code: {why}")
    granted = set(str(answer.get("scope", "")).split(","))
    missing = [s for s in SCOPES if s not in granted]
    info = {"client_key": key, "client_secret": secret, **stamped(answer)}
    path = store.save(channel, PLATFORM, info)
    if missing:
        (show or print)(f"warning: the token lacks {', '.join(missing)}; direct posts need"
                        " video.publish, inbox drafts video.upload, the performance figures"
                        " video.list")
    return path
