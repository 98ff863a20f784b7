"""The production gpu worker (workers.run.build_worker) on a real dev server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.config import load_settings
from tests.gpu.conftest import script_request
from workers.run import build_worker

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import MediaMatches, MediaMatchRequest, Script, ScriptRequest
    from workflows.stages import MATCH_MEDIA, WRITE_SCRIPT_MLX


@workflow.defn(sandboxed=False)
class GpuStagesWorkflow:
    """Calls the gpu stages the way ReelWorkflow does, through Stage.execute."""

    @workflow.run
    async def run(self, args: tuple[ScriptRequest, MediaMatchRequest, dict[str, str]]
                  ) -> tuple[Script, MediaMatches]:
        script_req, match_req, queues = args
        script = await WRITE_SCRIPT_MLX.execute(script_req, Script, queues)
        matches = await MATCH_MEDIA.execute(match_req, MediaMatches, queues)
        return script, matches


@pytest.mark.integration
async def test_gpu_worker_runs_the_writer_and_the_matcher(dev_env: WorkflowEnvironment,
                                                          tmp_path: Path, scripted_model: Path):
    gpu_queue = f"gpu-{uuid.uuid4().hex[:8]}"
    (tmp_path / "temporal.yaml").write_text(
        f"queues: {{gpu: {gpu_queue}}}\ngpu: {{cache_limit_gb: 0.25}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    flows = f"flows-{uuid.uuid4().hex[:8]}"
    match_req = MediaMatchRequest(["Lava pours into the ocean."],
                                  ["a cat asleep", "volcano eruption at night"], 0.2)
    async with build_worker(dev_env.client, settings, "gpu"), \
            Worker(dev_env.client, task_queue=flows, workflows=[GpuStagesWorkflow]):
        script, matches = await dev_env.client.execute_workflow(
            GpuStagesWorkflow.run, (script_request(scripted_model), match_req,
                                    {"gpu": gpu_queue}),
            id=f"gpu-stages-{uuid.uuid4().hex[:8]}", task_queue=flows,
            result_type=tuple[Script, MediaMatches])
    assert script.backend == "mlx" and script.cost is not None
    assert matches.matches[0].candidate == 1 and matches.cost is not None
