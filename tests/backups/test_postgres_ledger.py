"""A PostgreSQL ledger goes into the archive through pg_dump and comes back by pg_restore,
against a throwaway PostgreSQL cluster (Debian's postgresql package)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.backup import LEDGER_DUMP, make_backup, verify_archive
from tests.backups.stack import free_port, make_install
from workers.restore import restore_files
from workflows.backup_contracts import BackupRequest


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing in CI; .ci/run installs the postgresql package")
        pytest.skip("PostgreSQL is not installed: `sudo apt-get install -y postgresql`")
    return Path(found[-1]).parent


def _as_owner(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses to run as root: run its tools as the postgres user there."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + cmd, capture_output=True, text=True, check=True, **kw)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    pg = _pg_bin()
    # Outside pytest's root-only temp folder: the postgres user must reach it.
    data = Path(tempfile.mkdtemp(prefix="monolathe-pg-")) / "data"
    data.parent.chmod(0o777)
    port = free_port()
    _as_owner([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
    _as_owner([str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(data.parent / "log"),
               "-o", f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1", "start"])
    url = f"postgresql://postgres@127.0.0.1:{port}"
    _as_owner([str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
               "ledger"])
    try:
        yield url + "/ledger"
    finally:
        _as_owner([str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
        shutil.rmtree(data.parent, ignore_errors=True)


def _psql(url: str, sql: str) -> str:
    psql = shutil.which("psql") or str(_pg_bin() / "psql")
    return _as_owner([psql, url, "-At", "-c", sql]).stdout.strip()


def test_a_postgresql_ledger_is_dumped_and_restored(postgres: str, tmp_path: Path) -> None:
    _psql(postgres, "CREATE TABLE publications (reel_id text, platform text, status text);"
                    " INSERT INTO publications VALUES ('reel/demo/2026-11-25/1', 'youtube',"
                    " 'published')")
    settings = make_install(tmp_path / "install", server={"embedded": False},
                            data={"ledger_url": postgres})
    made = make_backup(settings, BackupRequest(kind="state", to_dir=str(tmp_path / "b")))
    archive = Path(made.archive.removeprefix("file://"))
    manifest = verify_archive(archive)
    assert manifest.ledger_url_kind == "postgresql" and set(manifest.files) == {LEDGER_DUMP}

    _psql(postgres, "DELETE FROM publications")
    _restored, report = restore_files(settings, archive)
    assert "ledger (pg_restore)" in report.placed
    assert _psql(postgres, "SELECT status FROM publications") == "published"
