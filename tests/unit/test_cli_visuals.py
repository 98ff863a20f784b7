"""`monolathe check` lists every footage source; `monolathe auth visuals` stores a key 0600."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _monolathe(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RUNWAYML_API_SECRET", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                        "REPLICATE_API_TOKEN", "PEXELS_API_KEY", "PIXABAY_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "--config", str(tmp_path / "temporal.yaml"), *args],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False, input=stdin, env=env)


def _project(tmp_path: Path) -> None:
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    shipped = (REPO / "temporal.yaml").read_text()
    (tmp_path / "temporal.yaml").write_text(shipped.replace(
        "secrets_dir: ~/.config/monolathe", f"secrets_dir: {tmp_path / 'secrets'}"))


def test_check_lists_every_source_and_what_it_lacks(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 0, run.stderr
    assert "visuals runway: not configured: no key: monolathe auth visuals runway" in run.stdout
    assert "visuals procedural: configured" in run.stdout
    assert "visuals replicate-flux: not configured: no key: monolathe auth visuals replicate" \
        in run.stdout
    if sys.platform != "darwin":
        assert "visuals flux-mlx: not configured: needs Apple silicon (mflux)" in run.stdout


def test_auth_visuals_stores_the_key_and_check_sees_it(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "auth", "visuals", "pexels", stdin="pexels-key\n")
    assert run.returncode == 0, run.stderr
    path = tmp_path / "secrets" / "_visuals" / "pexels.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "visuals pexels: configured" in _monolathe(tmp_path, "check").stdout


def test_auth_visuals_refuses_an_unknown_source_in_one_line(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "auth", "visuals", "sora", stdin="x\n")
    assert run.returncode == 2
    assert "sora: not a keyed source in visuals.sources" in run.stderr
    assert "Traceback" not in run.stderr
