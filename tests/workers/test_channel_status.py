"""`monolathe channel status` tells how an ended channel ended, on a real dev server."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.config import Settings, load_settings
from workers.run import build_worker
from workflows.contracts import ChannelInput

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Project:
    root: Path
    settings: Settings
    env: WorkflowEnvironment

    def channel(self, feed_text: str | None = None) -> str:
        """A copy of the demo channel under a fresh name, optionally with its own feed file."""
        name = f"st-{uuid.uuid4().hex[:8]}"
        text = (self.root / "channels" / "demo.yaml").read_text()
        text = text.replace("name: demo", f"name: {name}")
        if feed_text is not None:
            feed = self.root / f"{name}-feed.yaml"
            feed.write_text(feed_text)
            text = text.replace("feed: feeds/science.yaml", f"feed: {feed}")
        (self.root / "channels" / f"{name}.yaml").write_text(text)
        return name

    async def start(self, name: str, **options) -> WorkflowHandle:
        return await self.env.client.start_workflow(
            "ChannelWorkflow", ChannelInput(**{"channel": name, "slot_seconds": 1,
                                               **options.pop("input", {})}),
            id=f"channel/{name}", task_queue=self.settings.queues.reels, **options)

    def cli(self, *args: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "workers.cli", "--config", str(self.root / "temporal.yaml"),
             *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
        assert run.returncode == 0, run.stderr
        return run.stdout

    def status(self, name: str) -> dict:
        return json.loads(self.cli("channel", "status", name, "--json"))


@pytest_asyncio.fixture
async def project(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Project]:
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    queue = f"status-{uuid.uuid4().hex[:8]}"
    (tmp_path / "temporal.yaml").write_text(
        f"server: {{address: '{dev_env.client.service_client.config.target_host}',"
        f" embedded: false}}\nqueues: {{reels: {queue}}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    async with build_worker(dev_env.client, settings, "reels"):
        yield Project(tmp_path, settings, dev_env)


async def test_status_of_a_failed_channel_names_the_failure(project: Project):
    name = project.channel(feed_text="hello: this is not a feed\n")
    handle = await project.start(name)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    shown = project.status(name)
    assert shown["ended"] == "failed"
    assert shown["closed_at"]
    assert shown["message"].startswith("pick_topic: ")
    assert shown["message"].endswith(f"{name}-feed.yaml: topics: must be a non-empty list")
    said = project.cli("channel", "status", name)
    assert said.startswith(f"channel/{name}: failed at {shown['closed_at']}: pick_topic: ")


async def test_status_of_a_completed_channel_says_so(project: Project):
    name = project.channel()
    handle = await project.start(name, input={"max_reels": 0})
    await handle.result()
    shown = project.status(name)
    assert shown["ended"] == "completed"
    assert shown["message"] == "done: published 0, failed 0"


async def test_status_of_a_terminated_and_a_timed_out_channel(project: Project):
    terminated, timed_out = project.channel(), project.channel()
    handle = await project.start(terminated, input={"slot_seconds": 3600})
    await handle.terminate(reason="operator stopped it")
    late = await project.start(timed_out, input={"slot_seconds": 3600},
                               execution_timeout=timedelta(seconds=2))
    with pytest.raises(WorkflowFailureError):
        await late.result()
    shown = project.status(terminated)
    assert (shown["ended"], shown["message"]) == ("terminated", "operator stopped it")
    assert project.status(timed_out)["ended"] == "timed out"


async def test_a_channel_started_by_the_cli_has_a_summary_and_its_channel_attribute(
        project: Project):
    name = project.channel()
    # in a thread: the worker shares this event loop and must answer the status query
    await asyncio.to_thread(project.cli, "channel", "start", name, "--slot-seconds", "3600")
    handle = project.env.client.get_workflow_handle(f"channel/{name}")
    try:
        assert await (await handle.describe()).static_summary() == f"channel {name}"
        for _ in range(100):  # the channel's first workflow task upserts the attribute
            found = [w.id async for w in project.env.client.list_workflows(
                f'Channel="{name}" AND WorkflowType="ChannelWorkflow"')]
            if found:
                break
            await asyncio.sleep(0.2)
        assert found == [f"channel/{name}"]
        shown = await asyncio.to_thread(project.cli, "channel", "status", name)
        assert f"channel {name}: running; waiting for" in shown
    finally:
        await handle.terminate(reason="test over")
