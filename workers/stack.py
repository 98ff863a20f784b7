"""What the commands share: the connection to Temporal and the stack `monolathe up` starts.

The command groups (workers/cli/), the HTTP API and `monolathe restore` import from here, so
nothing imports the command line back.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from urllib.parse import quote

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.config import Settings, load_channel
from workers.backup_schedule import ensure_backup_schedule
from workers.codec import data_converter
from workers.devserver import DevServer
from workers.run import QUEUES, run_workers
from workers.telemetry.setup import Telemetry, start_telemetry
from workflows.contracts import ChannelInput
from workflows.visibility import channel_summary


class CliError(Exception):
    """A failure to report in one line, without a traceback."""


def channel_id(name: str) -> str:
    return f"channel/{name}"


def ui_link(settings: Settings, workflow_id: str) -> str:
    return (f"{settings.ui_url}/namespaces/{settings.namespace}/workflows/"
            f"{quote(workflow_id, safe='')}")


async def connect(settings: Settings, telemetry: Telemetry | None = None) -> Client:
    options = telemetry.client_options() if telemetry is not None else {}
    try:
        return await Client.connect(settings.address, namespace=settings.namespace,
                                    data_converter=data_converter(settings), **options)
    except RuntimeError as exc:
        raise CliError(
            f"no Temporal server at {settings.address} ({exc}); start one with `monolathe up`"
        ) from None


def stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    for name in args.channel:
        load_channel(settings, name)  # fail before starting anything
    server = DevServer(settings)
    started = settings.embedded and server.start()
    telemetry = None
    try:
        telemetry = start_telemetry(settings, list(QUEUES))
        client = await connect(settings, telemetry)
        stop = stop_event()
        print(await ensure_backup_schedule(client, settings))
        print(f"Temporal at {settings.address}; Web UI {settings.ui_url}"
              + (" (embedded dev server)" if started else ""))
        if telemetry.metrics_port:
            print(f"metrics at {telemetry.metrics_url}")
        runner = asyncio.create_task(run_workers(client, settings, list(QUEUES), stop, telemetry))
        for name in args.channel:
            await start_channel(client, settings, ChannelInput(channel=name))
        print("workers running on queues " + ", ".join(QUEUES) + "; Ctrl-C to stop")
        await runner
        print("workers stopped")
    finally:
        if telemetry is not None:
            telemetry.shutdown()
        server.stop()
    return 0


async def start_channel(client: Client, settings: Settings, input: ChannelInput) -> None:
    try:
        await client.start_workflow(
            "ChannelWorkflow", input, id=channel_id(input.channel),
            task_queue=settings.queues.reels, static_summary=channel_summary(input.channel),
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        print(f"started {channel_id(input.channel)}  {ui_link(settings, channel_id(input.channel))}")
    except WorkflowAlreadyStartedError:
        print(f"{channel_id(input.channel)} is already running")
    config = load_channel(settings, input.channel)
    if config.trend_sources:
        from workers.trends import ensure_scout_schedule

        done = await ensure_scout_schedule(client, settings, config, resume=True)
        print(f"trend scout schedule trends/{config.name} {done}: every"
              f" {config.scout_every_minutes} min")
    if any(p in ("youtube", "instagram", "tiktok") for p in config.platforms):
        from workers.performance_schedule import ensure_performance_schedule

        done = await ensure_performance_schedule(client, settings, config.name)
        print(f"performance schedule performance/{config.name} {done}: every hour")
