"""`monolathe status`: today's figures per channel, queues, reels in flight."""

from __future__ import annotations

import argparse
import json

from activities.config import Settings


async def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from workers.status import collect_status, print_operator_status

    report = await collect_status(settings, timeout=args.timeout)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print_operator_status(report)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = sub.add_parser("status", help="today's figures: targets, spend, backends, queues")
    status.add_argument("--json", action="store_true")
    status.add_argument("--timeout", type=float, default=3.0,
                        help="seconds to wait for the Temporal server (its figures are optional)")


COMMANDS = {"status": cmd_status}
