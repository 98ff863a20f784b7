"""`monolathe worker media` and `monolathe worker gpu` side by side with one temporal.yaml:
each takes its own metrics ports, says which, and a real Prometheus finds both through the
file-based service discovery the workers write."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.backups.stack import make_install
from tests.telemetry.prom import INFRA, Prometheus, free_port, need_binary
from workers.devserver import DevServer

LINE = re.compile(r"^(monolathe-\w+): metrics at http://127\.0\.0\.1:(\d+)/metrics, "
                  r"Temporal SDK metrics on port (\d+)$")


def _start_worker(settings_path: Path, queue: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "--config", str(settings_path),
                             "worker", queue], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)


def _announced(worker: subprocess.Popen[str]) -> tuple[str, int, int]:
    assert worker.stdout is not None
    for line in worker.stdout:
        match = LINE.match(line.strip())
        if match:
            return match[1], int(match[2]), int(match[3])
    raise AssertionError(f"the worker exited (code {worker.wait()}) without naming its ports")


def test_media_and_gpu_workers_side_by_side_take_their_own_ports_and_are_scraped(
        tmp_path: Path) -> None:
    need_binary("prometheus")
    port = free_port()
    settings = make_install(tmp_path / "install", metrics={"port": port, "sdk_port": port + 1})
    server = DevServer(settings)
    server.start()
    workers = [_start_worker(settings.source, q) for q in ("media", "gpu")]
    prometheus = None
    try:
        announced = {name: (metrics, sdk) for name, metrics, sdk in map(_announced, workers)}
        assert set(announced) == {"monolathe-media", "monolathe-gpu"}
        ports = [p for pair in announced.values() for p in pair]
        assert len(set(ports)) == 4 and port in ports  # the first took the configured port
        assert all(w.poll() is None for w in workers), "both workers keep running"

        infra = tmp_path / "install" / "infra"  # the shipped config, beside this data folder
        config = yaml.safe_load((INFRA / "prometheus.local.yml").read_text())
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config["rule_files"] = [str(INFRA / "alerts.yml")]
        for job in config["scrape_configs"]:
            job["file_sd_configs"][0]["refresh_interval"] = "1s"
        prometheus = Prometheus.start(infra, config)
        up: dict[tuple[str, str], str] = {}
        for _ in range(120):
            targets = prometheus.api("targets")["activeTargets"]
            up = {(t["labels"]["job"], t["labels"]["service"]): t["health"] for t in targets}
            if len(up) == 4 and set(up.values()) == {"up"}:
                break
            time.sleep(0.5)
        assert up == {(job, service): "up" for job in ("monolathe", "temporal-sdk")
                      for service in announced}, up
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        if prometheus is not None:
            prometheus.stop()
        server.stop()
    left = list((settings.var_dir / "prometheus").rglob("*.json"))
    assert left == [], "a stopped worker removes its targets"
    shutil.rmtree(tmp_path / "install", ignore_errors=True)
