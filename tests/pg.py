"""A throwaway PostgreSQL cluster (Debian's postgresql package) for the tests that must hold on
the database multi-host operators use.

One cluster per test session (initdb takes a few seconds), a fresh database per test. The
`ledger_url` fixture runs a test twice, on a SQLite file and on a PostgreSQL database. Where
PostgreSQL is not installed the PostgreSQL half is skipped with the command that installs it;
in CI (`CI=true`) it fails instead, since .ci/run installs the package.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing in CI; .ci/run installs the postgresql package")
        pytest.skip("PostgreSQL is not installed: `sudo apt-get install -y postgresql`")
    try:
        import psycopg  # noqa: F401
    except ModuleNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("psycopg is missing in CI; `make install` installs the postgres extra")
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")
    return Path(found[-1]).parent


def as_owner(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses to run as root: run its tools as the postgres user there."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + cmd, capture_output=True, text=True, check=True, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    bin: Path
    data: Path
    port: int
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def new_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL (no driver named, as an operator writes it)."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        as_owner([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name])
        return f"{self.server_url}/{name}"

    def psql(self, url: str, sql: str) -> str:
        return as_owner([str(self.bin / "psql"), url, "-At", "-c", sql]).stdout.strip()


def start_cluster() -> Iterator[PgCluster]:
    pg = pg_bin()
    # Outside pytest's root-only temp folder: the postgres user must reach it.
    data = Path(tempfile.mkdtemp(prefix="monolathe-pg-")) / "data"
    data.parent.chmod(0o777)
    port = _free_port()
    as_owner([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
    # max_connections above the default 100: a chaos run's worker processes each keep a pool.
    as_owner([str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(data.parent / "log"),
              "-o", (f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1"
                    " -c max_connections=300 -c fsync=off"), "start"])
    try:
        yield PgCluster(pg, data, port)
    finally:
        as_owner([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    yield from start_cluster()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    return pg_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes the URL of a new, empty ledger: on SQLite files, then again on PostgreSQL
    databases (the test runs once on each)."""
    if request.param == "sqlite":
        names = itertools.count(1)
        return lambda: f"sqlite:///{tmp_path}/l{next(names)}.db"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database


@pytest.fixture
def ledger_url(new_ledger_url: Callable[[], str]) -> str:
    """A new ledger's URL: the test runs on a SQLite file and on a PostgreSQL database."""
    return new_ledger_url()
