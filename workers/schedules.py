"""Create a Temporal Schedule, or bring an existing one up to date: the one way every
Schedule monolathe owns (performance, trend scout, backups) is put in place."""

from __future__ import annotations

from typing import Literal

from temporalio.client import (
    Client,
    Schedule,
    ScheduleAlreadyRunningError,
    ScheduleUpdate,
    ScheduleUpdateInput,
)


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule, *,
                          trigger_immediately: bool = False) -> Literal["created", "updated"]:
    """Create `schedule_id`, or replace the one already there with `schedule` (one call
    whether or not it exists); `trigger_immediately` applies only to a create."""
    try:
        await client.create_schedule(schedule_id, schedule,
                                     trigger_immediately=trigger_immediately)
        return "created"
    except ScheduleAlreadyRunningError:
        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(update)
        return "updated"
