"""BackupWorkflow: one archive, started by the `backups/daily` Temporal Schedule."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.backup_contracts import BackupRequest, BackupResult
    from workflows.stages import MAKE_BACKUP

SCHEDULE_ID = "backups/daily"


@workflow.defn
class BackupWorkflow:
    @workflow.run
    async def run(self, req: BackupRequest) -> BackupResult:
        result = await MAKE_BACKUP.execute(req, BackupResult, {})
        workflow.logger.info("backup %s: %d files, %d bytes, pruned %d", result.archive,
                             result.files, result.bytes, len(result.pruned))
        return result
