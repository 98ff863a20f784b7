"""The `backups/daily` Temporal Schedule, brought in line with temporal.yaml at start-up."""

from __future__ import annotations

import os

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)

from activities.config import Settings
from workers.schedules import ensure_schedule
from workflows.backup import SCHEDULE_ID
from workflows.backup_contracts import BackupRequest


def host_time_zone() -> str:
    """The host's IANA zone name (TZ, else /etc/localtime's target), or UTC."""
    if os.environ.get("TZ", "").strip(":"):
        return os.environ["TZ"].strip(":")
    target = os.path.realpath("/etc/localtime")
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def daily_schedule(settings: Settings) -> Schedule:
    hour, minute = (int(x) for x in settings.backups.at.split(":"))
    b = settings.backups
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "BackupWorkflow",
            BackupRequest(kind="full", with_secrets=b.with_secrets, keep_days=b.keep_days),
            id=f"{SCHEDULE_ID}/run", task_queue=settings.queues.reels),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour)],
                                            minute=[ScheduleRange(minute)])],
            time_zone_name=b.timezone or host_time_zone()),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_backup_schedule(client: Client, settings: Settings) -> str:
    """Create `backups/daily`, or bring it in line with temporal.yaml; returns a summary."""
    schedule = daily_schedule(settings)
    await ensure_schedule(client, SCHEDULE_ID, schedule)
    zone = schedule.spec.time_zone_name
    return (f"schedule {SCHEDULE_ID}: {settings.backups.at} {zone} -> {settings.backups.dir}"
            f" (kept {settings.backups.keep_days} days)")
