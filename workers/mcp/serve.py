"""`monolathe mcp`: the MCP server over stdio or streamable HTTP.

HTTP follows the API's rules (workers/api/serve.py): loopback unless told otherwise, bearer
tokens from the same 0600 file, `--no-auth` only on a loopback address, and only the Host
names the API would answer (DNS rebinding).
"""

from __future__ import annotations

import os
from pathlib import Path

from activities.config import Settings
from workers.api.serve import ApiError, auth_for
from workers.api.tokens import DEFAULT_FILE, TokenFileError, load_tokens

PATH = "/mcp"
TOKEN_ENV = "MONOLATHE_TOKEN"


async def _server(settings: Settings, access: object):  # type: ignore[no-untyped-def]
    from workers.api.service import Factory
    from workers.mcp.tools import build
    from workers.stack import connect

    client = await connect(settings)
    return build(Factory(settings, client), access)  # type: ignore[arg-type]


async def serve_stdio(settings: Settings, token_file: Path | None) -> None:
    """For a desktop agent that starts this process: this host's user, or the role of the
    token in MONOLATHE_TOKEN."""
    from workers.mcp.access import Access, Refused

    presented = os.environ.get(TOKEN_ENV, "")
    tokens = None
    if presented:
        try:
            tokens = load_tokens(token_file or DEFAULT_FILE)
        except TokenFileError as exc:
            raise ApiError(str(exc)) from None
    try:
        access = Access(tokens, presented)
    except Refused as exc:
        raise ApiError(str(exc)) from None
    server = await _server(settings, access)
    await server.run_stdio_async()


def http_app(server: object, settings: Settings, host: str, tokens: object):  # type: ignore[no-untyped-def]
    """The SDK's Starlette app behind the API's Host check and a bearer-token gate."""
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from workers.api.guard import allowed_hosts
    from workers.mcp.access import RequireToken

    app = server.streamable_http_app(  # type: ignore[attr-defined]
        streamable_http_path=PATH, host=host,
        max_request_body_size=settings.api.max_body_bytes,
        # The Host check below is the API's own, with temporal.yaml's api.allowed_hosts.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    gated = RequireToken(app, tokens)  # type: ignore[arg-type]
    return TrustedHostMiddleware(gated, allowed_hosts=allowed_hosts(
        host, settings.api.allowed_hosts), www_redirect=False)


async def serve_http(settings: Settings, host: str, port: int, token_file: Path | None,
                     no_auth: bool) -> None:
    import uvicorn

    from workers.mcp.access import Access

    tokens = auth_for(host, token_file, no_auth)
    server = await _server(settings, Access(tokens))
    app = http_app(server, settings, host, tokens)
    print(f"monolathe MCP on http://{host}:{port}{PATH} (streamable HTTP)"
          + ("; authentication OFF (loopback only)" if tokens is None else
             "; bearer tokens from the API's token file"), flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            lifespan="on")
    await uvicorn.Server(config).serve()
