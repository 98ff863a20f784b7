"""`monolathe check`: temporal.yaml, every channel file, the ledger (database, schema revision)
and what this host can run."""

from __future__ import annotations

import argparse

from activities.config import ConfigError, Settings, load_channel
from workers.check import channel_file_problems, tiktok_note
from workers.cli.db import ledger_line
from workers.stack import CliError


async def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    print(f"{settings.source}: ok")
    problems = []
    for name in sorted(p.stem for p in settings.channels_dir.glob("*.yaml")):
        notes = []
        try:
            config = load_channel(settings, name)
            found = channel_file_problems(config, f"channels/{name}.yaml")
            if "tiktok" in config.platforms:
                notes.append(tiktok_note(config))
        except ConfigError as exc:
            found = [str(exc)]
        print(f"channels/{name}.yaml: {'invalid' if found else 'ok'}")
        for note in notes:
            print(f"  {note}")
        problems.extend(found)
    try:
        print(ledger_line(settings))
    except CliError as exc:
        print(f"ledger: {exc}")
        problems.append(str(exc))
    from activities.footage import describe

    # What this host can run: the generate worker's view (keys, Apple silicon).
    for name in settings.visuals.sources:
        info = describe(settings, name)
        state = "configured" if info.configured else f"not configured: {info.reason}"
        print(f"visuals {name}: {state}")
    if problems:
        raise ConfigError("\n".join(problems))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("check", help="validate temporal.yaml and every channel file")


COMMANDS = {"check": cmd_check}
