"""Record BackupWorkflow histories (`python -m tests.replay.record_backup_histories`).

Writes `backup-*.json` beside the other histories: a backup whose first run failed and was
run again, and one that failed for good.
"""

from __future__ import annotations

import contextlib

from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.test_backup_workflow import backup_worker
from workflows.backup import BackupWorkflow
from workflows.backup_contracts import BackupRequest

PREFIX = "backup"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    async with backup_worker(client, "backup-rec", ["WorkFailed"]):
        await client.execute_workflow(BackupWorkflow.run, BackupRequest(keep_days=30),
                                      id="backups/daily/run-rec", task_queue="backup-rec")
    await save_history(client, f"{PREFIX}-daily-retried", "backups/daily/run-rec")
    async with backup_worker(client, "backup-rec-2", ["BackupFailed"]):
        handle = await client.start_workflow(BackupWorkflow.run, BackupRequest(),
                                             id="backups/failed-rec", task_queue="backup-rec-2")
        with contextlib.suppress(WorkflowFailureError):  # the failure is what is recorded
            await handle.result()
    await save_history(client, f"{PREFIX}-failed", "backups/failed-rec")


if __name__ == "__main__":
    run_recorder(record)
