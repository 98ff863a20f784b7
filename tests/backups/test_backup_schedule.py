"""The `backups/daily` Temporal Schedule and BackupWorkflow on a real dev server.

The time-skipping test server does not implement schedules (CreateSchedule is
"unimplemented"), so the schedule's timing is read from the dev server's own computation of
its next fire times, and a run is started with the schedule's trigger.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities.backup import archive_name, verify_archive
from activities.config import load_settings
from tests.backups.stack import make_install
from workers.backup_schedule import ensure_backup_schedule
from workers.run import build_worker
from workers.telemetry.gauges import register_backup_gauges
from workflows.backup import SCHEDULE_ID
from workflows.backup_contracts import BackupRequest, BackupResult

PARIS = ZoneInfo("Europe/Paris")


def _backup_gauges(folder: Path) -> dict[str, float]:
    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    register_backup_gauges(provider.get_meter("test"), folder)
    text = generate_latest(registry).decode()
    provider.shutdown()
    return {m[1]: float(m[2]) for m in re.finditer(r"^(monolathe_\w+)\{[^}]*\} (\S+)$", text, re.MULTILINE)}


async def _finished_backup(env: WorkflowEnvironment) -> BackupResult:
    # Only the schedule's own runs: other tests leave BackupWorkflows on the shared server.
    query = ('WorkflowType="BackupWorkflow" AND ExecutionStatus="Completed"'
             ' AND TemporalScheduledById="backups/daily"')
    for _ in range(240):
        async for run in env.client.list_workflows(query):
            handle = env.client.get_workflow_handle(run.id, run_id=run.run_id,
                                                    result_type=BackupResult)
            return await handle.result()
        await asyncio.sleep(0.5)
    raise AssertionError("the scheduled BackupWorkflow did not complete")


async def test_daily_schedule_runs_a_backup_that_prunes_old_archives_and_alerts_on_failure(
        dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    settings = make_install(
        tmp_path / "install", server={"embedded": False}, queues={"reels": "reels-backups"},
        backups={"at": "02:00", "timezone": "Europe/Paris", "keep_days": 30})
    folder = settings.backups.dir
    folder.mkdir(parents=True)
    now = datetime.now(UTC)
    old, recent = (folder / archive_name("full", now - timedelta(days=d)) for d in (40, 5))
    old.write_bytes(b"old")
    recent.write_bytes(b"recent")
    client = dev_env.client
    assert "02:00 Europe/Paris" in await ensure_backup_schedule(client, settings)
    moved = make_install(tmp_path / "install", server={"embedded": False},
                         queues={"reels": "reels-backups"},
                         backups={"at": "03:30", "timezone": "Europe/Paris", "keep_days": 30})
    await ensure_backup_schedule(client, moved)  # a second start updates it in place
    schedule = client.get_schedule_handle(SCHEDULE_ID)
    fires = [t.astimezone(PARIS) for t in (await schedule.describe()).info.next_action_times]
    assert fires and all((t.hour, t.minute) == (3, 30) for t in fires)
    assert fires[1] - fires[0] in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))

    settings = load_settings(moved.source)
    async with build_worker(client, settings, "reels"):
        await schedule.trigger()
        result = await _finished_backup(dev_env)
        archive = Path(result.archive.removeprefix("file://"))
        assert archive.parent == folder and verify_archive(archive).kind == "full"
        assert result.pruned == [old.name] and recent.exists() and not old.exists()
        assert _backup_gauges(folder)["monolathe_backup_failed"] == 0

        blocked = tmp_path / "a-file"
        blocked.write_text("not a folder")
        with pytest.raises(WorkflowFailureError) as failure:
            await client.execute_workflow(
                "BackupWorkflow", BackupRequest(to_dir=str(blocked / "sub")),
                id="backups/by-hand", task_queue=settings.queues.reels)
        cause = failure.value.cause.cause  # type: ignore[union-attr]
        assert cause.type == "BackupFailed" and "a-file" in str(cause)
        described = await client.get_workflow_handle("backups/by-hand").describe()
        assert described.status == WorkflowExecutionStatus.FAILED
    metrics = _backup_gauges(folder)
    assert metrics["monolathe_backup_failed"] == 1
    assert 0 <= metrics["monolathe_backup_age_seconds"] < 600  # the scheduled run succeeded
    await schedule.delete()
