"""`monolathe db upgrade | current | revision` and `monolathe check`'s ledger line, run as the
operator runs them, on a SQLite ledger and on a PostgreSQL one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from activities.ledger import Ledger
from activities.ledger_schema import _MIGRATIONS, head_revision, upgrade_ledger
from tests.unit.test_ledger_schema import later_migration

REPO = Path(__file__).resolve().parents[2]


def monolathe(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "--config", str(tmp_path / "temporal.yaml"), *args],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


def install(tmp_path: Path, ledger_url: str) -> None:
    shutil.copytree(REPO / "channels", tmp_path / "channels", dirs_exist_ok=True)
    (tmp_path / "temporal.yaml").write_text(
        f"server: {{address: '127.0.0.1:1'}}\ndata: {{ledger_url: '{ledger_url}'}}\n")


def test_upgrade_then_current_name_the_database_and_the_head(tmp_path: Path,
                                                              ledger_url: str) -> None:
    install(tmp_path, ledger_url)
    database = ledger_url.split(":", 1)[0]
    before = monolathe(tmp_path, "db", "current")
    assert before.returncode == 1, before.stderr
    assert f"({database}): schema empty" in before.stdout
    upgraded = monolathe(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"({database}): schema {head_revision()} (head)" in upgraded.stdout
    current = monolathe(tmp_path, "db", "current")
    assert current.returncode == 0 and f"schema {head_revision()} (head)" in current.stdout
    check = monolathe(tmp_path, "check")
    assert check.returncode == 0, check.stderr
    assert f"({database}): schema {head_revision()} (head)" in check.stdout


def test_check_says_a_sqlite_ledger_is_not_made_yet_and_makes_none(tmp_path: Path) -> None:
    install(tmp_path, "sqlite:///var/ledger.db")
    check = monolathe(tmp_path, "check")
    assert check.returncode == 0, check.stderr
    assert "(sqlite): not created yet" in check.stdout
    assert not (tmp_path / "var").exists()


def test_a_ledger_upgraded_by_newer_code_fails_check_naming_its_revision(
        tmp_path: Path, ledger_url: str) -> None:
    install(tmp_path, ledger_url)
    ledger = Ledger(ledger_url)
    upgrade_ledger(ledger.engine, versions=later_migration(tmp_path))
    ledger.engine.dispose()
    check = monolathe(tmp_path, "check")
    assert check.returncode == 2
    assert "schema 9001_reel_mood, which this version of monolathe does not know" in check.stderr
    assert "Traceback" not in check.stderr
    upgrade = monolathe(tmp_path, "db", "upgrade")
    assert upgrade.returncode == 2 and "9001_reel_mood" in upgrade.stderr
    assert "Traceback" not in upgrade.stderr


def test_an_unreachable_postgresql_ledger_is_one_line(tmp_path: Path) -> None:
    install(tmp_path, "postgresql://monolathe:secret@127.0.0.1:1/ledger")
    for args in (("db", "current"), ("check",)):
        run = monolathe(tmp_path, *args)
        assert run.returncode == 2, run.stdout
        assert "cannot connect" in run.stderr and "127.0.0.1:1" in run.stderr
        assert "secret" not in run.stderr + run.stdout  # the password is masked
        assert "Traceback" not in run.stderr


def test_revision_drafts_the_next_numbered_migration(tmp_path: Path) -> None:
    install(tmp_path, "sqlite:///var/ledger.db")
    refused = monolathe(tmp_path, "db", "revision", "-m", "reel mood")
    assert refused.returncode == 2 and "at head" in refused.stderr  # an empty ledger
    assert monolathe(tmp_path, "db", "upgrade").returncode == 0
    number = max(int(p.name[:4]) for p in (_MIGRATIONS / "versions").glob("[0-9]*.py")) + 1
    draft = _MIGRATIONS / "versions" / f"{number:04d}_reel_mood.py"
    head = head_revision()
    try:
        run = monolathe(tmp_path, "db", "revision", "-m", "reel mood")
        assert run.returncode == 0, run.stderr
        assert f"drafted {draft}" in run.stdout
        text = draft.read_text()
        assert f"revision: str = '{number:04d}_reel_mood'" in text
        assert f"down_revision: str | Sequence[str] | None = '{head}'" in text
    finally:
        draft.unlink(missing_ok=True)
