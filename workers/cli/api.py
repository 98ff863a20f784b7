"""`monolathe api [--host H --port P --tokens FILE]`: the HTTP API and the review page."""

from __future__ import annotations

import argparse
from pathlib import Path

from activities.config import Settings
from workers.stack import CliError


async def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    from workers.api.serve import ApiError, serve

    try:
        await serve(settings, args.host, args.port, args.tokens, args.no_auth,
                    new_token=args.new_token, role=args.role)
    except ApiError as exc:
        raise CliError(str(exc)) from None
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    api = sub.add_parser("api", help="serve the HTTP API and the review page")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8400)
    api.add_argument("--tokens", type=Path, default=None,
                     help="bearer tokens file, mode 0600 (default ~/.config/monolathe/"
                          "api-tokens.yaml)")
    api.add_argument("--no-auth", action="store_true",
                     help="no tokens: refused unless --host is a loopback address")
    api.add_argument("--new-token", metavar="NAME", default="",
                     help="add a token for NAME to the tokens file, print it and exit")
    api.add_argument("--role", choices=["viewer", "operator"], default="viewer")


COMMANDS = {"api": cmd_api}
