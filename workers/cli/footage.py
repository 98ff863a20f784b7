"""`monolathe estimate NAME` and `monolathe backends`: footage cost and the sources' breakers."""

from __future__ import annotations

import argparse

from temporalio.service import RPCError

from activities.config import Settings
from workers.stack import CliError, connect


async def cmd_estimate(settings: Settings, args: argparse.Namespace) -> int:
    from workers.footage_cli import cmd_estimate as estimate

    client = await connect(settings)
    try:
        return await estimate(client, settings, args.name, args.json)
    except RPCError as exc:
        raise CliError(f"estimate {args.name}: {exc.message}") from None


async def cmd_backends(settings: Settings, args: argparse.Namespace) -> int:
    from workers.footage_cli import cmd_backends as backends

    client = await connect(settings)
    try:
        return await backends(client, args.json)
    except RPCError as exc:
        raise CliError(f"backends: {exc.message}") from None


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    estimate = sub.add_parser("estimate", help="one reel's footage cost by source, budget left")
    estimate.add_argument("name", help="the channel")
    estimate.add_argument("--json", action="store_true")
    backends = sub.add_parser("backends", help="visual sources' breakers and spend today")
    backends.add_argument("--json", action="store_true")


COMMANDS = {"estimate": cmd_estimate, "backends": cmd_backends}
