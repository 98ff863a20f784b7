"""`monolathe mcp [--http] [--host H --port P --tokens FILE]`: the MCP server for agents."""

from __future__ import annotations

import argparse
from pathlib import Path

from activities.config import Settings
from workers.stack import CliError


async def cmd_mcp(settings: Settings, args: argparse.Namespace) -> int:
    from workers.api.serve import ApiError
    from workers.mcp.serve import serve_http, serve_stdio

    try:
        if args.http:
            await serve_http(settings, args.host, args.port, args.tokens, args.no_auth)
        else:
            await serve_stdio(settings, args.tokens)
    except ApiError as exc:
        raise CliError(str(exc)) from None
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mcp = sub.add_parser(
        "mcp", help="the MCP server for AI agents: stdio (default) or streamable HTTP",
        description="Over stdio (a desktop agent starts it) it acts as this host's user, or"
        " with the role of the API token in MONOLATHE_TOKEN. With --http it serves"
        " http://HOST:PORT/mcp with the API's rules: loopback by default, bearer tokens"
        " from the API's token file (`monolathe api --new-token NAME --role operator`).")
    mcp.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    mcp.add_argument("--host", default="127.0.0.1")
    mcp.add_argument("--port", type=int, default=8766)
    mcp.add_argument("--tokens", type=Path, default=None,
                     help="the API's token file (default ~/.config/monolathe/api-tokens.yaml)")
    mcp.add_argument("--no-auth", action="store_true",
                     help="HTTP without tokens (refused on any non-loopback address)")


COMMANDS = {"mcp": cmd_mcp}
