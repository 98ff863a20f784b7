"""`monolathe trends NAME [--refresh]`: the channel's ranked topic queue; scout now."""

from __future__ import annotations

import argparse

from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from activities.config import Settings, load_channel
from workers.stack import CliError, connect


async def cmd_trends(settings: Settings, args: argparse.Namespace) -> int:
    from workers.trends import ensure_scout_schedule, print_queue, print_report, refresh

    config = load_channel(settings, args.name)
    if args.refresh:
        if not config.trend_sources:
            raise CliError(f"channel {args.name} has no trends.sources to scout")
        client = await connect(settings)
        try:
            await ensure_scout_schedule(client, settings, config)
            print(f"scouting {args.name} now ...")
            print_report(await refresh(client, settings, args.name))
        except (RPCError, WorkflowFailureError) as exc:
            raise CliError(f"trend scout of {args.name}: {getattr(exc, 'cause', None) or exc}"
                           ) from None
    print_queue(settings, args.name, args.limit, config.trend_performance_weight)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    trends = sub.add_parser("trends", help="a channel's ranked topic queue and its sources")
    trends.add_argument("name")
    trends.add_argument("--refresh", action="store_true", help="run the trend scout now first")
    trends.add_argument("--limit", type=int, default=20)


COMMANDS = {"trends": cmd_trends}
