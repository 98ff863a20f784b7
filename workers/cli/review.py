"""`monolathe review list|show|approve|reject|revise [REEL] [TEXT]`: reels awaiting a person."""

from __future__ import annotations

import argparse
import json
import os

from activities.config import Settings
from workers.stack import CliError, connect


async def cmd_review(settings: Settings, args: argparse.Namespace) -> int:
    from workers.jobs import JobError, Jobs
    from workflows.contracts import ReviewAnswer

    jobs = Jobs(await connect(settings), settings)
    try:
        if args.action == "list":
            waiting = await jobs.awaiting_review()
            for job in waiting:
                review = job.review or {}
                print(f"{job.id}  {job.topic}  waiting since {review.get('since', '?')}"
                      f" (revisions {review.get('revisions', 0)})")
            print(f"{len(waiting)} reel(s) awaiting review")
            return 0
        if not args.reel:
            raise CliError(f"review {args.action} needs the reel id (see `monolathe review list`)")
        if args.action == "show":
            print(json.dumps(await jobs.manifest(args.reel), indent=2))
            return 0
        state = await jobs.answer(args.reel, args.action,
                                  ReviewAnswer(args.text, by=os.environ.get("USER", "cli")))
    except JobError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.reel}: {state.status}" + (f" ({state.text})" if state.text else ""))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    review = sub.add_parser("review", help="reels waiting for a person before publishing")
    review.add_argument("action", choices=["list", "show", "approve", "reject", "revise"])
    review.add_argument("reel", nargs="?", default="", help="the reel id (reel/<channel>/...)")
    review.add_argument("text", nargs="?", default="", help="reject: the reason; revise: notes")


COMMANDS = {"review": cmd_review}
