"""What the factory writes about itself is its owner's alone: the databases, logs and
backups are created 0600 in 0700 folders, and the ledger's password never appears on a
command line (which every user of the host can read in `ps`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from activities.backup import make_backup
from activities.backup_db import pg_dump
from activities.ledger import Ledger
from tests.backups.stack import make_install
from workers.devserver import DevServer
from workers.telemetry.logs import add_json_log
from workflows.backup_contracts import BackupRequest


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_databases_logs_and_backups_are_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual login umask: files 0644 unless the code says otherwise
    try:
        settings = make_install(tmp_path / "install")
        Ledger(settings.ledger_url).engine.dispose()
        ledger = Path(settings.ledger_url.removeprefix("sqlite:///"))
        server = DevServer(settings)
        assert server.start()
        try:
            made = make_backup(settings, BackupRequest(kind="state",
                                                       to_dir=str(tmp_path / "backups")))
        finally:
            server.stop()
        handler = add_json_log(tmp_path / "logs" / "monolathe.jsonl", "test", "INFO")
        import logging
        logging.getLogger().removeHandler(handler)
        handler.close()
    finally:
        os.umask(old)
    archive = Path(made.archive.removeprefix("file://"))
    for path in (ledger, settings.db_file, archive, tmp_path / "logs" / "monolathe.jsonl"):
        assert mode(path) == 0o600, f"{path}: {mode(path):o}"
    for folder in (tmp_path / "backups", tmp_path / "logs"):
        assert mode(folder) == 0o700, f"{folder}: {mode(folder):o}"
    for side in settings.db_file.parent.glob(settings.db_file.name + "-*"):
        assert mode(side) & 0o077 == 0, f"{side}: {mode(side):o}"


def test_the_ledger_password_goes_to_pg_dump_in_its_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "seen"
    tool = tmp_path / "bin" / "pg_dump"  # stands in for the real one to record what it got
    tool.parent.mkdir()
    tool.write_text(f'#!/bin/sh\necho "$@" > {seen}.argv\necho "$PGPASSWORD" > {seen}.env\n'
                    'while [ "$1" != "--file" ]; do shift; done; touch "$2"\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}:{os.environ['PATH']}")
    pg_dump("postgresql+psycopg://ledger:pa%24%24word-9f8e@db.internal:5432/ledger",
            tmp_path / "dump")
    argv = Path(f"{seen}.argv").read_text()
    assert "pa$$word" not in argv and "pa%24%24word" not in argv
    assert "postgresql://ledger@db.internal:5432/ledger" in argv
    assert Path(f"{seen}.env").read_text().strip() == "pa$$word-9f8e"
