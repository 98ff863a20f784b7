"""`monolathe api`: uvicorn serving the app, with tokens from a 0600 file."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from activities.config import Settings
from workers.api.tokens import (
    DEFAULT_FILE,
    TokenFileError,
    Tokens,
    add_token,
    is_loopback,
    load_tokens,
)


class ApiError(Exception):
    pass


def auth_for(host: str, token_file: Path | None, no_auth: bool) -> Tokens | None:
    """The tokens to check, or None when the operator turned auth off on a loopback host."""
    if no_auth:
        if not is_loopback(host):
            raise ApiError(f"--no-auth is refused on {host}: only a loopback address"
                           " (127.0.0.1, ::1, localhost) may serve without tokens")
        return None
    try:
        return load_tokens(token_file or DEFAULT_FILE)
    except TokenFileError as exc:
        raise ApiError(str(exc)) from None


async def serve(settings: Settings, host: str, port: int, token_file: Path | None,
                no_auth: bool, new_token: str = "", role: str = "viewer") -> None:
    from workers.api.app import create_app
    from workers.api.guard import allowed_hosts
    from workers.stack import connect

    if new_token:
        try:
            token = add_token(token_file or DEFAULT_FILE, new_token, role)
        except TokenFileError as exc:
            raise ApiError(str(exc)) from None
        print(f"{role} token for {new_token} (kept in {token_file or DEFAULT_FILE}):\n{token}")
        return
    tokens = auth_for(host, token_file, no_auth)
    client = await connect(settings)
    app = create_app(settings, client, tokens, host)
    names = allowed_hosts(host, settings.api.allowed_hosts)
    print(f"monolathe api on http://{host}:{port}/ (docs at /docs)"
          + ("; authentication OFF (loopback only)" if tokens is None else "")
          + f"\nanswers Host: {', '.join(names)} (more in temporal.yaml api.allowed_hosts)")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           ws="auto"))
    await server.serve()
