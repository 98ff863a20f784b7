"""Backups record the ledger's schema revision, and restore refuses a ledger newer than the
code: on a SQLite ledger and on a PostgreSQL one."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.backup import BackupError, make_backup, verify_archive
from activities.ledger import Ledger
from activities.ledger_schema import head_revision, upgrade_ledger
from tests.backups.stack import make_install
from tests.unit.test_ledger_schema import later_migration
from workers.restore import restore_files
from workflows.backup_contracts import BackupRequest

REEL = "reel/demo/2026-11-25/1"


def _install(tmp_path: Path, ledger_url: str):  # type: ignore[no-untyped-def]
    if ledger_url.startswith("sqlite"):
        ledger_url = "sqlite:///var/ledger.db"  # inside the install, where restore puts it
    return make_install(tmp_path / "install", server={"embedded": False},
                        data={"ledger_url": ledger_url})


def _backup(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    made = make_backup(settings, BackupRequest(kind="state", to_dir=str(tmp_path / "b")))
    return Path(made.archive.removeprefix("file://"))


def test_the_manifest_names_the_ledgers_revision(tmp_path: Path, ledger_url: str) -> None:
    settings = _install(tmp_path, ledger_url)
    ledger = Ledger(settings.ledger_url)
    ledger.publication_intent(REEL, "youtube")
    ledger.engine.dispose()
    manifest = verify_archive(_backup(settings, tmp_path))
    assert manifest.ledger_revision == head_revision()


def test_restore_refuses_a_ledger_newer_than_the_code(tmp_path: Path, ledger_url: str) -> None:
    settings = _install(tmp_path, ledger_url)
    ledger = Ledger(settings.ledger_url)
    ledger.publication_intent(REEL, "youtube")
    ledger.publication_done(REEL, "youtube", "vid-1", "https://youtu.be/vid-1")
    upgrade_ledger(ledger.engine, versions=later_migration(tmp_path))  # newer code ran here
    ledger.engine.dispose()
    archive = _backup(settings, tmp_path)
    assert verify_archive(archive).ledger_revision == "9001_reel_mood"

    with pytest.raises(BackupError, match=f"{archive.name}.*revision 9001_reel_mood, newer"
                                          f".*head is {head_revision()}"):
        restore_files(settings, archive)
