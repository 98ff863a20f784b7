"""A PostgreSQL ledger goes into the archive through pg_dump and comes back by pg_restore,
against a throwaway PostgreSQL cluster (Debian's postgresql package, tests/pg.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.backup import LEDGER_DUMP, make_backup, verify_archive
from tests.backups.stack import make_install
from tests.pg import PgCluster
from workers.restore import restore_files
from workflows.backup_contracts import BackupRequest


@pytest.fixture
def postgres(pg_cluster: PgCluster) -> str:
    return pg_cluster.new_database("ledger")


def test_a_postgresql_ledger_is_dumped_and_restored(postgres: str, pg_cluster: PgCluster,
                                                    tmp_path: Path) -> None:
    pg_cluster.psql(postgres, "CREATE TABLE publications (reel_id text, platform text,"
                              " status text); INSERT INTO publications VALUES"
                              " ('reel/demo/2026-11-25/1', 'youtube', 'published')")
    settings = make_install(tmp_path / "install", server={"embedded": False},
                            data={"ledger_url": postgres})
    made = make_backup(settings, BackupRequest(kind="state", to_dir=str(tmp_path / "b")))
    archive = Path(made.archive.removeprefix("file://"))
    manifest = verify_archive(archive)
    assert manifest.ledger_url_kind == "postgresql" and set(manifest.files) == {LEDGER_DUMP}

    pg_cluster.psql(postgres, "DELETE FROM publications")
    _restored, report = restore_files(settings, archive)
    assert "ledger (pg_restore)" in report.placed
    assert pg_cluster.psql(postgres, "SELECT status FROM publications") == "published"
