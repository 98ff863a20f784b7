"""`monolathe channel start|pause|resume|kill|status|set-budget NAME`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from temporalio.service import RPCError

from activities.config import Settings, load_channel
from workers.ended import EndedRun, ended_run
from workers.stack import CliError, channel_id, connect, start_channel
from workers.watch import activity_waits
from workflows.contracts import BudgetUpdate, ChannelInput, ChannelStatus


def print_status(status: ChannelStatus) -> None:
    flags = "killed" if status.killed else "paused" if status.paused else "running"
    print(f"channel {status.channel}: {flags}; waiting for {status.waiting_for or '-'};"
          f" next slot {status.next_slot_at or '-'}")
    print(f"  published {status.published}, failed {status.failed},"
          f" spend today ${status.spend_today_usd:.4f} of ${status.daily_budget_usd:.2f}"
          f" (${status.reserved_usd:.4f} reserved for footage), run #{status.runs}")
    for reel_id, topic in status.in_flight.items():
        print(f"  in flight: {reel_id}  {topic}")
    for reel_id, since in status.awaiting_review.items():
        print(f"  awaiting review: {reel_id}  since {since}  (monolathe review show {reel_id})")
    for reel in status.last_reels:
        print(f"  {reel.status:<9} {reel.reel_id}  {reel.topic}  {reel.error}")


def print_ended(ended: EndedRun, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(ended), indent=2))
    else:
        print(f"{ended.workflow_id}: {ended.ended} at {ended.closed_at}: {ended.message}")


async def cmd_channel(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "start":
        load_channel(settings, args.name)
    client = await connect(settings)
    handle = client.get_workflow_handle(channel_id(args.name))
    try:
        if args.action == "start":
            await start_channel(client, settings, ChannelInput(
                channel=args.name, slot_seconds=args.slot_seconds, max_reels=args.max_reels))
        elif args.action in ("pause", "resume", "kill"):
            await handle.signal(args.action)
            print(f"sent {args.action} to {handle.id}")
            if args.action == "kill":
                from workers.trends import pause_scout

                if await pause_scout(client, args.name, "channel killed"):
                    print(f"paused the trend scout schedule trends/{args.name}"
                          " (`channel start` resumes it)")
        elif args.action == "set-budget":
            if args.usd is None:
                raise CliError("set-budget needs the new daily budget in USD")
            status = await handle.execute_update(
                "set_budget", BudgetUpdate(args.usd), result_type=ChannelStatus)
            print_status(status)
        else:
            ended = await ended_run(client, handle.id)
            if ended is not None:
                print_ended(ended, args.json)
                return 0
            status = await handle.query("status", result_type=ChannelStatus)
            waits = {r: await activity_waits(client, r) for r in status.in_flight}
            if args.json:
                print(json.dumps({**asdict(status), "waits": waits}, indent=2))
            else:
                print_status(status)
                for reel_id, lines in waits.items():
                    for line in lines:
                        print(f"  waiting: {reel_id}  {line}")
    except RPCError as exc:
        raise CliError(f"{handle.id}: {exc.message}") from None
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    channel = sub.add_parser("channel", help="control a channel workflow")
    channel.add_argument("action",
                         choices=["start", "pause", "resume", "kill", "status", "set-budget"])
    channel.add_argument("name")
    channel.add_argument("usd", nargs="?", type=float, help="for set-budget: USD per day")
    channel.add_argument("--slot-seconds", type=int, default=None)
    channel.add_argument("--max-reels", type=int, default=None)
    channel.add_argument("--json", action="store_true")


COMMANDS = {"channel": cmd_channel}
