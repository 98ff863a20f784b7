"""`monolathe estimate NAME` and `monolathe backends`: footage cost and the sources' breakers.

Neither needs a running stack: without Temporal they answer from temporal.yaml, the channel
file and the ledger, and say so.
"""

from __future__ import annotations

import argparse

from temporalio.client import Client

from activities.config import Settings
from workers.stack import CliError, connect


async def _client(settings: Settings) -> tuple[Client | None, str]:
    try:
        return await connect(settings), ""
    except CliError as exc:
        return None, (f"Temporal not reachable at {settings.address}: breakers and"
                      f" reservations not read ({str(exc).split(' (')[0]})")


async def cmd_estimate(settings: Settings, args: argparse.Namespace) -> int:
    from temporalio.exceptions import ApplicationError

    from activities.config import load_channel
    from activities.topics import find_topic
    from workers.footage_cli import cmd_estimate as estimate

    config = load_channel(settings, args.name)  # a bad name or file: ConfigError, one line
    topic = None
    if args.topic:
        try:
            topic = find_topic(config, args.topic, args.fact)
        except ApplicationError as exc:
            raise CliError(exc.message) from None
    client, offline = await _client(settings)
    return await estimate(client, settings, args.name, args.json, offline, topic)


async def cmd_backends(settings: Settings, args: argparse.Namespace) -> int:
    from workers.footage_cli import cmd_backends as backends

    client, offline = await _client(settings)
    return await backends(client, settings, args.json, offline)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    estimate = sub.add_parser("estimate", help="one reel's cost by source and stage, budget left")
    estimate.add_argument("name", help="the channel")
    estimate.add_argument("--topic", default="", help="price this topic's reel (a feed title,"
                          " or any title with --fact); default: the channel feed's topics")
    estimate.add_argument("--fact", action="append", default=[], help="a fact (repeat)")
    estimate.add_argument("--json", action="store_true")
    backends = sub.add_parser("backends", help="visual sources' breakers and spend today")
    backends.add_argument("--json", action="store_true")


COMMANDS = {"estimate": cmd_estimate, "backends": cmd_backends}
