"""`monolathe reel make "topic" --channel NAME`: one reel, followed to the end."""

from __future__ import annotations

import argparse

from temporalio.client import WorkflowFailureError

from activities.config import Settings, load_channel
from workers.stack import CliError, connect, ui_link
from workers.watch import ProgressPrinter, follow_reel


async def cmd_reel(settings: Settings, args: argparse.Namespace) -> int:
    from activities.topics import find_topic
    from workers.jobs import JobError, start_reel

    config = load_channel(settings, args.channel)
    topic = find_topic(config, args.topic, args.fact)
    client = await connect(settings)
    try:
        handle = await start_reel(client, settings, config, topic)
    except JobError as exc:
        raise CliError(str(exc)) from None
    reel_id = handle.id
    print(f"{reel_id}: {ui_link(settings, reel_id)}")
    try:
        result = await follow_reel(client, handle, ProgressPrinter())
    except WorkflowFailureError as exc:
        raise CliError(f"{reel_id} failed: {exc.cause}") from None
    if result.status == "rejected":
        raise CliError(f"{reel_id} rejected in review: {result.reason}"
                       f" (cost ${result.total_usd:.5f}; not published)")
    for pub in result.publications:
        print(f"  {pub.platform}: {pub.url}")
    print(f"  sidecar {result.sidecar_uri}  total ${result.total_usd:.5f}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reel = sub.add_parser("reel", help="one-off reels")
    reel.add_argument("action", choices=["make"])
    reel.add_argument("topic")
    reel.add_argument("--channel", required=True)
    reel.add_argument("--fact", action="append", default=[],
                      help="a fact to narrate (repeat); needed for a topic not in the feeds")


COMMANDS = {"reel": cmd_reel}
