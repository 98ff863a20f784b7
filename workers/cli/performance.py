"""`monolathe performance CHANNEL [--days N] [--json]`: views, retention and cost per 1,000
views of the channel's reels, from the ledger (PerformanceWorkflow fills it)."""

from __future__ import annotations

import argparse
import json

from activities.config import Settings, load_channel


async def cmd_performance(settings: Settings, args: argparse.Namespace) -> int:
    from activities.ledger import Ledger
    from workers.performance_report import performance_report, print_report

    # A typo in the name fails with the file it looked for.
    config = load_channel(settings, args.name)
    report = performance_report(Ledger(settings.ledger_url), args.name, args.days,
                                hook_styles=config.hook_experiment)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def _days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--days: {text!r} is not a whole number of days >= 1")
    return int(text)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    perf = sub.add_parser("performance", help="a channel's reels: views at 1 h, 24 h and 7 d,"
                                              " retention, cost per 1,000 views")
    perf.add_argument("name")
    perf.add_argument("--days", type=_days, default=28,
                      help="reels published in the last N days (default 28)")
    perf.add_argument("--json", action="store_true", help="print JSON instead of a table")


COMMANDS = {"performance": cmd_performance}
