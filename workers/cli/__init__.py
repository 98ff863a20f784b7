"""The `monolathe` command: run the stack, control channels, make one-off reels.

    monolathe demo                      embedded stack, demo channel, exits after 3 reels
    monolathe up [--channel NAME ...]   dev server + all five workers until Ctrl-C
    monolathe worker QUEUE [QUEUE ...]  only some workers (e.g. `gpu` on a GPU host)
    monolathe channel start|pause|resume|kill|status|set-budget NAME
    monolathe reel make "topic" --channel NAME
    monolathe check                     validate temporal.yaml, every channel file, the ledger
    monolathe db upgrade|current        the ledger's schema: bring it to head, say where it is
    monolathe db revision -m MSG        draft the next ledger migration (developers)
    monolathe status                    today's figures per channel, queues, reels in flight
    monolathe auth youtube|instagram|tiktok NAME   store a channel's platform token on this host
    monolathe auth visuals SOURCE       store a footage provider's API key on this host
    monolathe auth llm|reddit|youtube-key NAME   store an API key (LLM, trend sources)
    monolathe trends NAME [--refresh]   the channel's ranked topic queue; scout now
    monolathe performance NAME [--days N] [--json]   views, retention, cost per 1k views
    monolathe review list|show|approve|reject|revise [REEL] [TEXT]   reels awaiting a person
    monolathe api [--host H --port P --tokens FILE]   the HTTP API and the review page
    monolathe mcp [--http --host H --port P]   the MCP server for AI agents (stdio or HTTP)
    monolathe backup [--to DIR] [--state] [--with-media|--with-models|--with-secrets]
    monolathe restore ARCHIVE           check, put in place, reconcile, start the stack
    monolathe codec-key FILE | codec-server   encrypted payloads and their Web UI decoder
    monolathe estimate NAME             one reel's cost by source and stage, budget left today
    monolathe backends                  each configured visual source's breaker, spend today
    monolathe visuals preview "TEXT"... icons by meaning for sentences, and a contact sheet
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from activities.backup import BackupError
from activities.config import ConfigError, load_settings
from workers import backup_cli, codec
from workers.blas import reexec_with_openblas
from workers.cli import (
    api,
    auth,
    channel,
    check,
    db,
    footage,
    mcp,
    performance,
    reel,
    review,
    status,
    trends,
    up,
    visuals,
)
from workers.devserver import DevServerError
from workers.search_attributes import SearchAttributesError
from workers.stack import CliError
from workers.telemetry.setup import TelemetryError

# In the order `monolathe --help` lists their commands; each adds its parsers and COMMANDS.
GROUPS = (up, channel, reel, check, db, status, footage, trends, performance, visuals, auth,
          review, api, mcp, backup_cli, codec)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="monolathe", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=None,
                   help="path to temporal.yaml (default: ./temporal.yaml or $MONOLATHE_CONFIG)")
    p.add_argument("-v", "--verbose", action="store_true", help="log SDK and worker details")
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    return p


def _runs_gpu(args: argparse.Namespace) -> bool:
    return (args.command in ("up", "demo") or (args.command == "worker" and "gpu" in args.queues)
            or (args.command == "restore" and not args.no_start))


COMMANDS = {name: command for group in GROUPS for name, command in group.COMMANDS.items()}


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

