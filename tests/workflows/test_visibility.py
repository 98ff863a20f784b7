"""Search attributes and summaries as an operator sees them: `temporal workflow list`."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput

TEMPORAL = str(Path(sys.executable).parent / "temporal")


def _temporal(env: WorkflowEnvironment, *args: str) -> list | dict:
    run = subprocess.run(
        [TEMPORAL, *args, "--address", env.client.service_client.config.target_host,
         "--namespace", env.client.namespace, "--output", "json"],
        capture_output=True, text=True, timeout=60, check=True)
    return json.loads(run.stdout) if run.stdout.strip() else []


async def _listed(env: WorkflowEnvironment, query: str, count: int) -> list[dict]:
    """Visibility is eventually consistent: wait until the query finds `count` workflows."""
    for _ in range(100):
        found = _temporal(env, "workflow", "list", "--query", query)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{query!r} found {found}")


def _attributes(execution: dict) -> dict[str, object]:
    fields = execution.get("searchAttributes", {}).get("indexedFields", {})
    return {name: json.loads(base64.b64decode(payload["data"]))
            for name, payload in fields.items()}


async def _run_channel(env: WorkflowEnvironment, doubles: Doubles) -> str:
    name = doubles.config.name
    async with worker(env.client, doubles):
        handle = await env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=name, slot_seconds=1, max_reels=1),
            id=f"channel/{name}", task_queue=QUEUE)
        await handle.result()
    return name


async def test_channel_topic_outcome_and_summary_are_listed(dev_env: WorkflowEnvironment):
    name = await _run_channel(dev_env, Doubles(channel_config(name=unique("vis"))))
    found = await _listed(dev_env, f'Channel="{name}"', 2)
    by_type = {f["type"]["name"]: f for f in found}
    assert set(by_type) == {"ChannelWorkflow", "ReelWorkflow"}
    reel = _attributes(by_type["ReelWorkflow"])
    assert (reel["Channel"], reel["Topic"], reel["Outcome"]) == (name, "topic 1", "published")
    assert _attributes(by_type["ChannelWorkflow"])["Channel"] == name
    reel_id = by_type["ReelWorkflow"]["execution"]["workflowId"]
    assert (await _listed(dev_env, f'Channel="{name}" AND Outcome="published"', 1))[0][
        "execution"]["workflowId"] == reel_id
    described = _temporal(dev_env, "workflow", "describe", "--workflow-id", reel_id)
    labels = described["executionConfig"]["userMetadata"]
    assert labels["summary"] == f"topic 1 ({name})"
    assert f"channel `{name}`" in labels["details"]


async def test_a_failed_reel_is_listed_with_its_outcome(dev_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(name=unique("visfail")), fail_voice="no voice for this")
    name = await _run_channel(dev_env, doubles)
    found = await _listed(dev_env, f'Channel="{name}" AND Outcome="failed"', 1)
    assert found[0]["type"]["name"] == "ReelWorkflow"
