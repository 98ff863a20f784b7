"""Replay the checked-in histories against today's workflow code.

A change that makes a running channel or reel non-deterministic fails here; guard such a
change with `workflow.patched` and record new histories with `make replay-histories`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from workflows.backup import BackupWorkflow
from workflows.channel import ChannelWorkflow
from workflows.contracts import ReelInput, ReelResult, Script, ScriptRequest, VoiceRequest
from workflows.health import BackendHealthWorkflow
from workflows.performance import PerformanceWorkflow
from workflows.reel import ReelWorkflow
from workflows.scout import TrendScoutWorkflow
from workflows.stages import SYNTHESIZE_VOICE, WRITE_SCRIPT

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_histories_are_checked_in():
    names = {p.stem.split("-", 1)[1] for p in HISTORIES}
    assert {"channel-slots", "channel-pause-budget", "channel-continued-last-run",
            "reel-published", "reel-quality-retry", "reel-failed"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays_deterministically(path: Path):
    replayer = Replayer(workflows=[ChannelWorkflow, ReelWorkflow, TrendScoutWorkflow,
                                   BackupWorkflow, BackendHealthWorkflow, PerformanceWorkflow])
    await replayer.replay_workflow(_history(path))


@workflow.defn(name="ReelWorkflow", sandboxed=False)
class ReelWorkflowVoiceFirst:
    """A non-deterministic edit: the voice is synthesized before the script is written."""

    @workflow.run
    async def run(self, input: ReelInput) -> ReelResult:
        await workflow.execute_activity(
            SYNTHESIZE_VOICE.name, VoiceRequest(input.reel_id, input.channel.voice,
                                                Script("", "", [], [])),
            start_to_close_timeout=SYNTHESIZE_VOICE.timeout)
        await workflow.execute_activity(
            WRITE_SCRIPT.name, ScriptRequest(input.reel_id, input.channel, input.topic),
            start_to_close_timeout=WRITE_SCRIPT.timeout)
        raise AssertionError("replay should have stopped before this point")


async def test_reordered_stages_fail_replay():
    reel = next(p for p in HISTORIES if p.stem.endswith("reel-published"))
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[ReelWorkflowVoiceFirst]).replay_workflow(_history(reel))
