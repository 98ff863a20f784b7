"""The `monolathe` command: run the stack, control channels, make one-off reels.

    monolathe demo                      embedded stack, demo channel, exits after 3 reels
    monolathe up [--channel NAME ...]   dev server + all five workers until Ctrl-C
    monolathe worker QUEUE [QUEUE ...]  only some workers (e.g. `gpu` on a GPU host)
    monolathe channel start|pause|resume|kill|status|set-budget NAME
    monolathe reel make "topic" --channel NAME
    monolathe check                     validate temporal.yaml and every channel file
    monolathe status                    today's figures per channel, queues, reels in flight
    monolathe auth youtube|instagram NAME   store a channel's platform token on this host
    monolathe auth visuals SOURCE       store a footage provider's API key on this host
    monolathe auth llm|reddit|youtube-key NAME   store an API key (LLM, trend sources)
    monolathe trends NAME [--refresh]   the channel's ranked topic queue; scout now
    monolathe review list|show|approve|reject|revise [REEL] [TEXT]   reels awaiting a person
    monolathe api [--host H --port P --tokens FILE]   the HTTP API and the review page
    monolathe backup [--to DIR] [--state] [--with-media|--with-models|--with-secrets]
    monolathe restore ARCHIVE           check, put in place, reconcile, start the stack
    monolathe codec-key FILE | codec-server   encrypted payloads and their Web UI decoder
    monolathe estimate NAME             one reel's footage cost by source, budget left today
    monolathe backends                  each visual source's breaker, failures, spend today
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.backup import BackupError
from activities.config import ConfigError, Settings, load_channel, load_settings
from workers import backup_cli, codec
from workers.blas import reexec_with_openblas
from workers.check import channel_file_problems
from workers.codec import data_converter
from workers.devserver import DevServer, DevServerError
from workers.ended import EndedRun, ended_run
from workers.run import QUEUES, run_workers
from workers.search_attributes import SearchAttributesError
from workers.telemetry.setup import Telemetry, TelemetryError, start_telemetry
from workers.watch import ProgressPrinter, activity_waits, follow_channel, follow_reel
from workflows.contracts import (
    BudgetUpdate,
    ChannelInput,
    ChannelResult,
    ChannelStatus,
)
from workflows.visibility import channel_summary

log = logging.getLogger("monolathe")


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


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


# --- stack ---


async def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    for name in args.channel:
        load_channel(settings, name)  # fail before starting anything
    server = DevServer(settings)
    started = settings.embedded and server.start()
    telemetry = None
    try:
        telemetry = start_telemetry(settings, list(QUEUES))
        client = await connect(settings, telemetry)
        stop = _stop_event()
        print(await backup_cli.ensure_backup_schedule(client, settings))
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
            print(await backup_cli.ensure_backup_schedule(client, settings))
        await run_workers(client, settings, args.queues, _stop_event(), telemetry)
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


# --- channel control ---


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

        done = await ensure_scout_schedule(client, settings, config)
        print(f"trend scout schedule trends/{config.name} {done}: every"
              f" {config.scout_every_minutes} min")


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


# --- one-off reel ---


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


# --- human review and the HTTP API ---


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


async def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    from workers.api.serve import ApiError, serve

    try:
        await serve(settings, args.host, args.port, args.tokens, args.no_auth,
                    new_token=args.new_token, role=args.role)
    except ApiError as exc:
        raise CliError(str(exc)) from None
    return 0


# --- config check ---


async def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    print(f"{settings.source}: ok")
    problems = []
    for name in sorted(p.stem for p in settings.channels_dir.glob("*.yaml")):
        try:
            found = channel_file_problems(load_channel(settings, name),
                                          f"channels/{name}.yaml")
        except ConfigError as exc:
            found = [str(exc)]
        print(f"channels/{name}.yaml: {'invalid' if found else 'ok'}")
        problems.extend(found)
    from activities.footage import describe

    # What this host can run: the generate worker's view (keys, Apple silicon).
    for name in settings.visuals.sources:
        info = describe(settings, name)
        state = "configured" if info.configured else f"not configured: {info.reason}"
        print(f"visuals {name}: {state}")
    if problems:
        raise ConfigError("\n".join(problems))
    return 0


async def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from workers.status import collect_status, print_operator_status

    report = await collect_status(settings, timeout=args.timeout)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print_operator_status(report)
    return 0


# --- trend scout ---


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
    print_queue(settings, args.name, args.limit)
    return 0


# --- footage: estimate and breakers ---


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


# --- platform tokens ---


async def cmd_auth(settings: Settings, args: argparse.Namespace) -> int:
    from workers.auth import (
        KEY_FIELDS,
        AuthError,
        auth_instagram,
        auth_key,
        auth_visuals,
        auth_youtube,
    )

    try:
        if args.platform == "visuals":
            path = auth_visuals(settings, args.name)
            print(f"{args.name} key saved to {path} (mode 600)")
            return 0
        if args.platform in KEY_FIELDS:
            path = auth_key(settings, args.platform, args.name)
            print(f"{args.platform} key {args.name} saved to {path} (mode 600)")
            return 0
        if args.platform == "youtube":
            path = auth_youtube(settings, args.name, args.client_secrets, args.from_file,
                                open_browser=not args.no_browser)
        else:
            if not args.ig_user_id:
                raise CliError("auth instagram needs --ig-user-id (the Instagram professional"
                               " account's id)")
            path = auth_instagram(settings, args.name, args.ig_user_id, args.app_id)
    except AuthError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.platform} token for channel {args.name} saved to {path} (mode 600)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="monolathe", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=None,
                   help="path to temporal.yaml (default: ./temporal.yaml or $MONOLATHE_CONFIG)")
    p.add_argument("-v", "--verbose", action="store_true", help="log SDK and worker details")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the demo channel until it has published N reels")
    demo.add_argument("--channel", default="demo")
    demo.add_argument("--reels", type=int, default=3)
    demo.add_argument("--slot-seconds", type=int, default=3)

    up = sub.add_parser("up", help="run the dev server and all workers until Ctrl-C")
    up.add_argument("--channel", action="append", default=[], help="also start this channel")

    worker = sub.add_parser("worker", help="run the workers of some task queues")
    worker.add_argument("queues", nargs="+", metavar="QUEUE", help=", ".join(QUEUES))

    channel = sub.add_parser("channel", help="control a channel workflow")
    channel.add_argument("action",
                         choices=["start", "pause", "resume", "kill", "status", "set-budget"])
    channel.add_argument("name")
    channel.add_argument("usd", nargs="?", type=float, help="for set-budget: USD per day")
    channel.add_argument("--slot-seconds", type=int, default=None)
    channel.add_argument("--max-reels", type=int, default=None)
    channel.add_argument("--json", action="store_true")

    reel = sub.add_parser("reel", help="one-off reels")
    reel.add_argument("action", choices=["make"])
    reel.add_argument("topic")
    reel.add_argument("--channel", required=True)
    reel.add_argument("--fact", action="append", default=[],
                      help="a fact to narrate (repeat); needed for a topic not in the feeds")

    sub.add_parser("check", help="validate temporal.yaml and every channel file")

    status = sub.add_parser("status", help="today's figures: targets, spend, backends, queues")
    status.add_argument("--json", action="store_true")
    status.add_argument("--timeout", type=float, default=3.0,
                        help="seconds to wait for the Temporal server (its figures are optional)")
    estimate = sub.add_parser("estimate", help="one reel's footage cost by source, budget left")
    estimate.add_argument("name", help="the channel")
    estimate.add_argument("--json", action="store_true")
    backends = sub.add_parser("backends", help="visual sources' breakers and spend today")
    backends.add_argument("--json", action="store_true")
    trends = sub.add_parser("trends", help="a channel's ranked topic queue and its sources")
    trends.add_argument("name")
    trends.add_argument("--refresh", action="store_true", help="run the trend scout now first")
    trends.add_argument("--limit", type=int, default=20)
    auth = sub.add_parser("auth", help="store a channel's YouTube or Instagram token, or an API"
                                       " key (footage provider, LLM, trend source), here")
    auth.add_argument("platform", choices=["youtube", "instagram", "visuals", "llm", "reddit",
                                           "youtube-key"])
    auth.add_argument("name", help="the channel; for visuals: the source (runway, veo,"
                                   " replicate, pexels, pixabay); for llm, reddit,"
                                   " youtube-key: the key's name")
    auth.add_argument("--client-secrets", type=Path, default=None,
                      help="youtube: the OAuth Desktop-app client JSON")
    auth.add_argument("--from-file", type=Path, default=None,
                      help="youtube: import an authorized-user token JSON instead")
    auth.add_argument("--no-browser", action="store_true",
                      help="youtube: print the consent URL instead of opening a browser")
    auth.add_argument("--ig-user-id", default="", help="instagram: the account's id")
    auth.add_argument("--app-id", default="",
                      help="instagram: exchange a short-lived token with this app (asks for"
                           " the app secret)")
    review = sub.add_parser("review", help="reels waiting for a person before publishing")
    review.add_argument("action", choices=["list", "show", "approve", "reject", "revise"])
    review.add_argument("reel", nargs="?", default="", help="the reel id (reel/<channel>/...)")
    review.add_argument("text", nargs="?", default="", help="reject: the reason; revise: notes")

    api = sub.add_parser("api", help="serve the HTTP API and the review page")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8400)
    api.add_argument("--tokens", type=Path, default=None,
                     help="bearer tokens file, mode 0600 (default ~/.config/monolathe/"
                          "api-tokens.yaml)")
    api.add_argument("--no-auth", action="store_true",
                     help="no tokens: refused unless --host is a loopback address")
    api.add_argument("--new-token", metavar="NAME", default="",
                     help="add a token for NAME to the tokens file, print it and exit")
    api.add_argument("--role", choices=["viewer", "operator"], default="viewer")
    backup_cli.add_parsers(sub)
    codec.add_parsers(sub)
    return p


def _runs_gpu(args: argparse.Namespace) -> bool:
    return (args.command in ("up", "demo") or (args.command == "worker" and "gpu" in args.queues)
            or (args.command == "restore" and not args.no_start))


COMMANDS = {"demo": cmd_demo, "up": cmd_up, "worker": cmd_worker, "channel": cmd_channel,
            "reel": cmd_reel, "check": cmd_check, "status": cmd_status,
            "auth": cmd_auth, "trends": cmd_trends, "review": cmd_review, "api": cmd_api,
            "estimate": cmd_estimate, "backends": cmd_backends,
            **backup_cli.COMMANDS, **codec.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if argv is None and _runs_gpu(args):
        reexec_with_openblas()  # returns only when OpenBLAS is absent or already preloaded
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings(args.config)
        return asyncio.run(COMMANDS[args.command](settings, args))
    except (ConfigError, CliError, DevServerError, TelemetryError, SearchAttributesError,
            BackupError) as exc:
        print(f"monolathe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """The `monolathe` script: main(), then exit without the interpreter's teardown.

    A process that used a Temporal client can abort with "PyGILState_Release" while the
    interpreter finalizes (temporalio/sdk-python#300: the Rust runtime's threads outlive the
    event loop); seen here in about one `channel status` run in four against a dead server.
    Everything is flushed and shut down by then, so skipping the teardown loses nothing.
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    # `python -m workers.cli`: run the imported module, so that commands living in other
    # modules (backup_cli) raise the same CliError class that main() catches.
    from workers.cli import run as run_module

    run_module()
