"""`make demo` with a PostgreSQL ledger publishes its three reels: the operator's own command
(the embedded dev server, all five workers in one process) against a throwaway cluster."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from activities.ledger import Ledger, ReelRow
from activities.ledger_schema import head_revision, schema_version
from tests.backups.stack import make_install
from tests.pg import PgCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_make_demo_on_postgresql_publishes_three_reels(tmp_path: Path,
                                                       pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database("demo")
    settings = make_install(tmp_path / "install", data={"ledger_url": url})
    env = {**os.environ, "MONOLATHE_CONFIG": str(settings.source)}
    run = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "demo"], env=env,
                         capture_output=True, text=True, timeout=1500, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 published, 0 failed." in run.stdout, run.stdout[-3000:]

    ledger = Ledger(url)
    assert schema_version(ledger.engine).current == head_revision()
    with ledger.session() as s:
        reels = list(s.exec(select(ReelRow).where(ReelRow.channel == "demo")))
    assert sorted(r.status for r in reels) == ["published"] * 3
    for reel in reels:
        [publication] = ledger.publications(reel.id)  # the local platform, once
        assert publication.status == "published"
        assert Path(publication.url.removeprefix("file://")).is_file()
    ledger.engine.dispose()
    assert not list((tmp_path / "install" / "var").glob("ledger.db*"))  # no SQLite beside
