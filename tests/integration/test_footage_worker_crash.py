"""A generate worker killed with SIGKILL while it polls a paid job: the retry on a new worker
process polls the same job, and the provider saw one submission."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.artifacts import to_path
from activities.ledger import Ledger
from tests.fakes.footage_apis import FakeRunway
from tests.integration.footage_probe import FootageProbe, FootageProbeWorkflow
from workflows.contracts import Footage, FootageRequest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
QUEUE = "footage-crash-generate"


def _config(tmp_path: Path, address: str, fake: FakeRunway, cert: Path) -> Path:
    path = tmp_path / "temporal.yaml"
    path.write_text(f"""
server: {{address: '{address}', embedded: false}}
queues: {{generate: {QUEUE}}}
data: {{var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db'}}
metrics: {{enabled: false, sdk_port: 0}}
logs: {{json_file: ''}}
publishing: {{secrets_dir: {tmp_path / 'secrets'}}}
visuals:
  ca_bundle: {cert}
  poll_seconds: 0.3
  sources:
    runway: {{kind: video, quality: 0.95, model: gen4.5, usd_per_second: 0.12,
              durations: [5, 10], base_url: '{fake.url}'}}
""")
    return path


def _worker(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RUNWAYML_API_SECRET": "runway-key"}
    with (config.parent / "worker.log").open("ab") as log:  # read it when the test fails
        return subprocess.Popen([sys.executable, "-m", "workers.cli", "--config", str(config),
                                 "worker", "generate"], cwd=REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


async def _until(check, what: str, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_a_killed_worker_resumes_the_same_job_and_pays_once(
        dev_env: WorkflowEnvironment, tmp_path: Path, fake_cert: tuple[Path, Path],
        footage_media: tuple[bytes, bytes]) -> None:
    with FakeRunway(fake_cert, *footage_media) as fake:
        fake.polls_to_finish = 10**6  # the job runs until the first worker is dead
        config = _config(tmp_path, dev_env.client.service_client.config.target_host, fake,
                         fake_cert[0])
        first = _worker(config)
        second = None
        try:
            async with Worker(dev_env.client, task_queue="footage-crash-wf",
                              workflows=[FootageProbeWorkflow]):
                request = FootageRequest(
                    reel_id="reel/crash/2026-11-25/1", scene=2, source="runway",
                    prompt="Slow push-in on a glacier", keywords=["glacier"], duration_s=4.0,
                    width=1080, height=1920)
                handle = await dev_env.client.start_workflow(
                    FootageProbeWorkflow.run, FootageProbe(request, QUEUE),
                    id="footage-crash-probe", task_queue="footage-crash-wf")
                await _until(lambda: fake.submissions == 1 and any(
                    j.polls >= 3 for j in fake.jobs.values()), "the first worker to poll")
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=30)
                job = next(iter(fake.jobs.values()))
                polls_before = job.polls
                fake.polls_to_finish = polls_before + 3
                second = _worker(config)
                footage: Footage = await asyncio.wait_for(handle.result(), timeout=120)
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
        assert fake.submissions == 1
        assert job.polls > polls_before  # the second worker polled the same job
        assert footage.job_id == job.id and footage.usd == pytest.approx(0.60)
        assert to_path(footage.clip.uri).read_bytes() == fake.video
        row = Ledger(f"sqlite:///{tmp_path / 'var' / 'l.db'}").footage_job(
            request.reel_id, 2, "runway", 0)
        assert row is not None and row.submissions == 1 and row.status == "done"
