"""BackupWorkflow on the time-skipping server with a `make_backup` double."""

from __future__ import annotations

import uuid

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.backup import BackupWorkflow
from workflows.backup_contracts import BackupRequest, BackupResult


def backup_worker(client: Client, queue: str, failures: list[str]) -> Worker:
    """A worker whose make_backup raises the given error types first, then succeeds."""
    calls: list[BackupRequest] = []

    @activity.defn(name="make_backup")
    async def make_backup(req: BackupRequest) -> BackupResult:
        calls.append(req)
        if len(calls) <= len(failures):
            kind = failures[len(calls) - 1]
            raise ApplicationError(f"{kind}: disk full", type=kind, non_retryable=True)
        return BackupResult("file:///backups/monolathe_full_20261126T010000Z.tar.gz",
                            req.kind, 12, 34567, 1.5, ["monolathe_full_20261020T010000Z.tar.gz"])

    return Worker(client, task_queue=queue, workflows=[BackupWorkflow], activities=[make_backup])


async def test_a_work_failure_is_run_again_and_the_archive_returned(time_env: WorkflowEnvironment):
    queue = f"backup-{uuid.uuid4()}"
    async with backup_worker(time_env.client, queue, ["WorkFailed"]):
        result = await time_env.client.execute_workflow(
            BackupWorkflow.run, BackupRequest(keep_days=30), id=f"backups/{queue}",
            task_queue=queue)
    assert result.archive.endswith(".tar.gz") and result.pruned


async def test_a_failed_backup_fails_the_workflow_with_the_reason(time_env: WorkflowEnvironment):
    queue = f"backup-{uuid.uuid4()}"
    async with backup_worker(time_env.client, queue, ["BackupFailed"]):
        with pytest.raises(WorkflowFailureError) as failure:
            await time_env.client.execute_workflow(
                BackupWorkflow.run, BackupRequest(), id=f"backups/{queue}", task_queue=queue)
    assert "BackupFailed: disk full" in str(failure.value.cause.cause)  # type: ignore[union-attr]
