"""`monolathe backup` and `monolathe restore` (the daily schedule: workers.backup_schedule)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from temporalio.client import Client

from activities.backup import BackupError, make_backup
from activities.config import Settings
from workflows.backup_contracts import BackupRequest


def _passphrase(settings: Settings, confirm: bool) -> str:
    value = os.environ.get(settings.backups.passphrase_env, "")
    if value or not sys.stdin.isatty():
        return value
    value = getpass.getpass("backup passphrase: ")
    if confirm and getpass.getpass("again: ") != value:
        raise BackupError("the two passphrases differ")
    return value


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    req = BackupRequest(kind="state" if args.state else "full",
                        to_dir=str(args.to.resolve()) if args.to else "",
                        with_media=args.with_media, with_models=args.with_models,
                        with_secrets=args.with_secrets, keep_days=args.keep_days or 0)
    # A passphrase in the environment also signs the manifest, so restore can tell the
    # operator's own archive from a crafted one.
    passphrase = (_passphrase(settings, confirm=True) if args.with_secrets
                  else os.environ.get(settings.backups.passphrase_env, ""))
    if args.with_secrets and not passphrase:
        raise BackupError(f"--with-secrets needs a passphrase: set "
                          f"{settings.backups.passphrase_env} or run it in a terminal")
    result = make_backup(settings, req, passphrase, beat=lambda step: print(f"  {step}..."))
    print(f"{Path(result.archive.removeprefix('file://'))}: {result.kind}, {result.files} files,"
          f" {result.bytes / 1e6:.1f} MB, checked, {result.seconds:.1f} s")
    for name in result.pruned:
        print(f"  pruned {name}")
    return 0


async def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from workers.restore import reconcile, restore_files

    passphrase = os.environ.get(settings.backups.passphrase_env, "")
    settings, report = restore_files(settings, args.archive.resolve(), passphrase)
    m = report.manifest
    print(f"{args.archive}: {m.kind} backup of {m.created_at}, {len(m.files)} files checked"
          f" ({m.temporal_cli})")
    print(f"  manifest MAC {'checked' if report.authenticated else 'not checked'}"
          f" ({settings.backups.passphrase_env} {'set' if report.authenticated else 'unset'})")
    print(f"  placed {len(report.placed)} files; previous ones kept as *.before-restore")
    for warning in report.warnings:
        print(f"  warning: {warning}")
    if args.no_start:
        return 0
    from workers.devserver import DevServer
    from workers.stack import cmd_up, connect

    server = DevServer(settings)
    try:
        if settings.embedded:
            server.start()
        client = await _connect_when_ready(settings, connect)
        for reel in await reconcile(client, settings):
            parts = [f"already on {', '.join(reel.already_published)}: not posted again"
                     ] if reel.already_published else []
            if reel.marker_check:
                parts.append(f"{', '.join(reel.marker_check)}: its marker is looked for first")
            print(f"  open {reel.reel_id} runs again; " + ("; ".join(parts) or "nothing posted"))
        args.channel = []
        return await cmd_up(settings, args)
    finally:
        server.stop()


async def _connect_when_ready(settings: Settings, connect) -> Client:  # type: ignore[no-untyped-def]
    """A dev server just started listens before its frontend is healthy: wait for it."""
    for _ in range(60):
        try:
            return await connect(settings)
        except Exception:  # noqa: BLE001  (CliError until the frontend answers)
            await asyncio.sleep(0.5)
    return await connect(settings)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = sub.add_parser("backup", help="write a checked archive of the factory's state")
    backup.add_argument("--to", type=Path, default=None, help="folder (default backups.dir)")
    backup.add_argument("--state", action="store_true",
                        help="the two databases only (kind `state`)")
    backup.add_argument("--with-media", action="store_true", help="copy own media folders")
    backup.add_argument("--with-models", action="store_true", help="copy model folders")
    backup.add_argument("--with-secrets", action="store_true",
                        help="platform tokens, encrypted with a passphrase")
    backup.add_argument("--keep-days", type=int, default=None,
                        help="also prune archives older than this many days")
    restore = sub.add_parser("restore", help="check an archive, put it in place, start")
    restore.add_argument("archive", type=Path)
    restore.add_argument("--no-start", action="store_true",
                         help="only put the files in place; do not start the stack")


COMMANDS = {"backup": cmd_backup, "restore": cmd_restore}
