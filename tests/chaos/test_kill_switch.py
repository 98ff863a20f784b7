"""The kill switch on real channels: one channel killed leaves the others producing; a fleet
kill (the `temporal` CLI's batch signal, as an operator sends it) closes every channel and
reel in seconds.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest
from temporalio.client import WorkflowExecutionStatus

from tests.chaos.harness import BIN, Stack
from workflows.contracts import ChannelInput, ChannelStatus

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.slow]
NAMES = ("alpha", "beta", "gamma")
FLEET_KILL_BOUND_S = 30  # what our users' plans promise; the measured figure is printed


def _channel_files(stack: Stack) -> None:
    """Three channels like the demo one, in a small square frame so reels come quickly."""
    demo = (stack.settings.channels_dir / "demo.yaml").read_text()
    for name in NAMES:
        text = demo.replace("name: demo", f"name: {name}").replace('aspect: "9:16"',
                                                                   'aspect: "1:1"')
        text = text.replace("x264_preset: veryfast", "x264_preset: superfast")
        (stack.settings.channels_dir / f"{name}.yaml").write_text(text)


async def _status(stack: Stack, name: str) -> ChannelStatus:
    assert stack.client is not None
    return await stack.client.get_workflow_handle(f"channel/{name}").query(
        "status", result_type=ChannelStatus)


async def _until(stack: Stack, name: str, check, what: str, timeout: float = 600) -> ChannelStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await _status(stack, name)
        if check(status):
            return status
        await asyncio.sleep(0.2)
    raise AssertionError(f"channel {name}: {what} never happened")


def _remember_reels(stack: Stack, status: ChannelStatus) -> None:
    for reel_id in [*status.in_flight, *(r.reel_id for r in status.last_reels)]:
        if reel_id not in stack.reel_ids:
            stack.reel_ids.append(reel_id)


async def test_kill_one_channel_then_the_fleet(stack: Stack):
    _channel_files(stack)
    client = await stack.start()
    for name in NAMES:
        await client.start_workflow("ChannelWorkflow", ChannelInput(channel=name, slot_seconds=5),
                                    id=f"channel/{name}", task_queue=stack.settings.queues.reels)
    for name in NAMES:
        await _until(stack, name, lambda s: s.in_flight, "a reel in flight")

    # one channel killed: its reel is cancelled, the others keep producing
    alpha = client.get_workflow_handle("channel/alpha")
    _remember_reels(stack, await _status(stack, "alpha"))
    await alpha.signal("kill")
    await alpha.result()
    for name in ("beta", "gamma"):
        _remember_reels(stack, await _until(stack, name, lambda s: s.published >= 1,
                                            "a reel published after alpha was killed"))
    for name in ("beta", "gamma"):
        _remember_reels(stack, await _until(stack, name, lambda s: s.in_flight,
                                            "the next reel in flight"))

    # the fleet kill, as an operator sends it: one batch signal to every running channel
    started = time.monotonic()
    await asyncio.to_thread(subprocess.run, [str(BIN / "temporal"), "workflow", "signal", "--address",
                    f"127.0.0.1:{stack.server_port}", "--name", "kill", "--yes", "--query",
                    "WorkflowType='ChannelWorkflow' AND ExecutionStatus='Running'"],
                   check=True, capture_output=True, timeout=60)
    handles = [client.get_workflow_handle(f"channel/{n}") for n in ("beta", "gamma")]
    reels = [client.get_workflow_handle(r) for r in stack.reel_ids]
    while True:
        statuses = [(await h.describe()).status for h in [*handles, *reels]]
        if WorkflowExecutionStatus.RUNNING not in statuses:
            break
        assert time.monotonic() - started < FLEET_KILL_BOUND_S, statuses
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    print(f"\nfleet kill: every channel and reel closed {elapsed:.2f} s after the batch signal")

    outcomes = await stack.check_invariants(killed=True)
    assert any(o.status == WorkflowExecutionStatus.CANCELED for o in outcomes)
    assert sum(o.status == WorkflowExecutionStatus.COMPLETED for o in outcomes) >= 2
