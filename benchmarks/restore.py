"""Recovery time: from a backup archive on a wiped data folder to every channel producing again.

A throwaway installation (its own ports and folders) runs `monolathe up` with two channels
until each has published a reel; `monolathe backup` archives it live; the stack stops and its
data folder and output are deleted (a lost disk). Then the clock starts: `monolathe restore
ARCHIVE` checks and places the files, starts the dev server and the workers, and reconciles.
Measured from the restore command's start:

- files: the archive checked and in place (the restore prints its summary);
- stack: the workers polling again;
- running: every channel workflow answers its `status` query;
- next reel: every channel has published a reel it had not published at backup time.

Beside them, the mean time one reel's stages took before the backup (from the sidecars): what
the last figure cannot go below on this machine.

    python -m benchmarks.restore [--channels 2] [--out var/bench/restore.json]

Target: next reel of every channel within 60 s on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from temporalio.client import Client

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 60.0
SLOT_S = 20


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _install(root: Path, channels: int) -> Path:
    shutil.copytree(REPO / "channels", root / "channels")
    demo = yaml.safe_load((root / "channels" / "demo.yaml").read_text())
    demo["cadence"] = {"slot_seconds": SLOT_S}  # a reel every few seconds, as in the demo
    for n in range(1, channels + 1):
        name = "demo" if n == 1 else f"demo{n}"
        (root / "channels" / f"{name}.yaml").write_text(yaml.safe_dump({**demo, "name": name}))
    config = {"server": {"address": f"127.0.0.1:{_free_port()}", "ui_port": _free_port()},
              "metrics": {"port": _free_port(), "sdk_port": 0}, "logs": {"json_file": ""}}
    (root / "temporal.yaml").write_text(yaml.safe_dump(config))
    return root / "temporal.yaml"


def _monolathe(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "--config", str(config), *args],
                            stdout=out, stderr=subprocess.STDOUT, cwd=REPO)


def _published(root: Path) -> dict[str, set[str]]:
    path = root / "var" / "ledger.db"
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute("SELECT channel, id FROM reels WHERE status='published'").fetchall()
    except sqlite3.Error:
        return {}
    found: dict[str, set[str]] = {}
    for channel, reel_id in rows:
        found.setdefault(channel, set()).add(reel_id)
    return found


def _wait(what: str, check, timeout: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic()
        time.sleep(0.25)
    raise SystemExit(f"bench-restore: {what} did not happen within {timeout:.0f} s")


async def _all_running(address: str, names: list[str]) -> bool:
    try:
        client = await Client.connect(address)
        for name in names:
            await client.get_workflow_handle(f"channel/{name}").query("status")
    except Exception:  # noqa: BLE001  (not up yet: the server, a worker or the query)
        return False
    return True


def _production_seconds(out: Path) -> float:
    """Mean seconds the stages of one reel took before the backup (from the sidecars)."""
    totals = [sum(json.loads(p.read_text()).get("stage_seconds", {}).values())
              for p in out.rglob("*.json")]
    return round(sum(totals) / len(totals), 2) if totals else 0.0


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(channels: int, out: Path) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="bench-restore-"))
    config = _install(root, channels)
    names = ["demo", *(f"demo{n}" for n in range(2, channels + 1))]
    address = yaml.safe_load(config.read_text())["server"]["address"]
    log = root / "stack.log"
    stack = _monolathe(config, "up", *(a for n in names for a in ("--channel", n)), log=log)
    try:
        _wait("the first reel of every channel",
              lambda: all(_published(root).get(n) for n in names), 900)
        before = _published(root)
        backup = subprocess.run(
            [sys.executable, "-m", "workers.cli", "--config", str(config), "backup", "--to",
             str(root / "backups")], capture_output=True, text=True, cwd=REPO, check=False)
        if backup.returncode != 0:
            raise SystemExit(f"bench-restore: backup failed: {backup.stderr}")
    finally:
        _stop(stack)
    archive = next((root / "backups").glob("monolathe_full_*.tar.gz"))
    reel_s = _production_seconds(root / "out")
    shutil.rmtree(root / "var")
    shutil.rmtree(root / "out", ignore_errors=True)

    restore_log = root / "restore.log"
    started = time.monotonic()
    restore = _monolathe(config, "restore", str(archive), log=restore_log)
    try:
        placed = _wait("the restore's file check",
                       lambda: "files checked" in restore_log.read_text(), 300)
        stack_up = _wait("the workers",
                         lambda: "workers running" in restore_log.read_text(), 300)
        running = _wait("every channel answering",
                        lambda: asyncio.run(_all_running(address, names)), 300)
        next_reel = _wait("a new reel of every channel",
                          lambda: all(_published(root).get(n, set()) - before.get(n, set())
                                      for n in names), 900)
    finally:
        _stop(restore)
    figures = {
        "channels": channels,
        "archive_mb": round(archive.stat().st_size / 1e6, 2),
        "files_s": round(placed - started, 2),
        "stack_s": round(stack_up - started, 2),
        "channels_running_s": round(running - started, 2),
        "next_reel_s": round(next_reel - started, 2),
        "reel_production_s": reel_s,
        "restore_overhead_s": round(next_reel - started - reel_s, 2),
        "target_s": TARGET_S,
        "ratio_to_target": round((next_reel - started) / TARGET_S, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "restore_output": restore_log.read_text()[-2000:],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    shutil.rmtree(root, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench" / "restore.json")
    args = parser.parse_args()
    f = run(args.channels, args.out)
    print(f"archive {f['archive_mb']} MB, {f['channels']} channels")
    for key, label in (("files_s", "archive checked, files in place"),
                       ("stack_s", "dev server and workers up"),
                       ("channels_running_s", "every channel answering"),
                       ("next_reel_s", "every channel published its next reel")):
        print(f"  {label:<40} {f[key]:>7.1f} s")
    print(f"  one reel's stages before the backup          {f['reel_production_s']:>7.1f} s")
    print(f"  next reel / target ({TARGET_S:.0f} s)            {f['ratio_to_target']:>7.2f}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
