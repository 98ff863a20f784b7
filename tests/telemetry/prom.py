"""A real Prometheus (Debian's package) for the tests: find it, run it, query it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
HOW_TO_GET = ("Prometheus is not installed: `sudo apt-get install -y prometheus` (Debian/Ubuntu) "
              "gives prometheus and promtool; .ci/run installs it in CI")


def need_binary(name: str) -> str:
    """The binary's path; skip without it, but fail in CI, where .ci/run installs it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI. {HOW_TO_GET}")
        pytest.skip(HOW_TO_GET)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape_config(monolathe: str, sdk: str, interval: str = "1s") -> dict[str, Any]:
    """infra/prometheus.yml with the test's targets: same jobs, same rules, no Alertmanager."""
    config = yaml.safe_load((INFRA / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    config["rule_files"] = [str(INFRA / f) for f in config["rule_files"]]
    config.pop("alerting", None)
    targets = {"monolathe": monolathe, "temporal-sdk": sdk}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    return config


@dataclass
class Prometheus:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @classmethod
    def start(cls, folder: Path, config: dict[str, Any]) -> Prometheus:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = folder / "prometheus.log"
        process = subprocess.Popen(
            [need_binary("prometheus"), f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        prom = cls(process, f"http://127.0.0.1:{port}", log)
        prom.wait_ready()
        return prom

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"prometheus not ready: {self.log.read_text()[-2000:]}")

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = json.load(resp)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expr)["result"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
