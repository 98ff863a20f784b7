"""`monolathe demo`, `up` and `worker`: the stack, whole or by task queue."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy

from activities.config import Settings, load_channel
from workers.backup_schedule import ensure_backup_schedule
from workers.devserver import DevServer
from workers.run import QUEUES, run_workers
from workers.stack import CliError, channel_id, cmd_up, connect, stop_event, ui_link
from workers.telemetry.setup import start_telemetry
from workers.watch import ProgressPrinter, follow_channel
from workflows.contracts import ChannelInput, ChannelResult
from workflows.visibility import channel_summary


async def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    unknown = [q for q in args.queues if q not in QUEUES]
    if unknown:
        raise CliError(f"unknown queue(s) {unknown}; choose from {', '.join(QUEUES)}")
    telemetry = start_telemetry(settings, args.queues)
    try:
        if telemetry.metrics_port:  # side-by-side workers each say which port they took
            print(f"{telemetry.service}: metrics at {telemetry.metrics_url}, Temporal SDK"
                  f" metrics on port {telemetry.sdk_port or '-'}", flush=True)
        client = await connect(settings, telemetry)
        if "reels" in args.queues:  # the queue BackupWorkflow runs on keeps its schedule
            print(await ensure_backup_schedule(client, settings))
        await run_workers(client, settings, args.queues, stop_event(), telemetry)
    finally:
        telemetry.shutdown()
    return 0


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    config = load_channel(settings, args.channel)
    server = DevServer(settings)
    started = settings.embedded and server.start()
    stop = asyncio.Event()
    runner: asyncio.Task[None] | None = None
    telemetry = None
    try:
        telemetry = start_telemetry(settings, list(QUEUES), strict=False)
        client = await connect(settings, telemetry)
        print(f"Temporal dev server {'started' if started else 'found'} at {settings.address};"
              f" Web UI {settings.ui_url}")
        runner = asyncio.create_task(run_workers(client, settings, list(QUEUES), stop, telemetry))
        handle = await client.start_workflow(
            "ChannelWorkflow",
            ChannelInput(channel=config.name, slot_seconds=args.slot_seconds,
                         max_reels=args.reels),
            id=channel_id(config.name),
            task_queue=settings.queues.reels,
            static_summary=channel_summary(config.name, config.niche),
            id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
            result_type=ChannelResult,
        )
        print(f"channel {config.name}: {args.reels} reels, a slot every {args.slot_seconds} s"
              f" -> {config.out_dir}")
        printer = ProgressPrinter()
        try:
            result = await follow_channel(client, handle, printer)
        except WorkflowFailureError as exc:
            raise CliError(f"channel {config.name} failed: {exc.cause}") from None
        print()
        for reel in result.reels:
            if reel.status == "published":
                video = Path(reel.urls[0].removeprefix("file://")) if reel.urls else None
                print(f"  {reel.reel_id}: {video}  (${reel.usd:.5f})")
                if video:
                    print(f"      sidecar {video.with_suffix('.json')}")
            else:
                print(f"  {reel.reel_id}: {reel.status} {reel.error}")
        print(f"\n{result.published} published, {result.failed} failed.")
        print(f"Look at the runs in the Web UI: {ui_link(settings, handle.id)}")
        print("  (reel workflows are its children; the UI lives while `monolathe up` runs)")
        return 0 if result.published >= args.reels else 1
    finally:
        stop.set()
        if runner is not None:
            await runner
        if telemetry is not None:
            telemetry.shutdown()
        server.stop()


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="run the demo channel until it has published N reels")
    demo.add_argument("--channel", default="demo")
    demo.add_argument("--reels", type=int, default=3)
    demo.add_argument("--slot-seconds", type=int, default=3)

    up = sub.add_parser("up", help="run the dev server and all workers until Ctrl-C")
    up.add_argument("--channel", action="append", default=[], help="also start this channel")

    worker = sub.add_parser("worker", help="run the workers of some task queues")
    worker.add_argument("queues", nargs="+", metavar="QUEUE", help=", ".join(QUEUES))


COMMANDS = {"demo": cmd_demo, "up": cmd_up, "worker": cmd_worker}
