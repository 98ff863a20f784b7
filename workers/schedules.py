"""Create a Temporal Schedule, or bring an existing one up to date: the one way every
Schedule monolathe owns (performance, trend scout, backups) is put in place."""

from __future__ import annotations

import dataclasses
from typing import Literal

from temporalio.client import (
    Client,
    Schedule,
    ScheduleAlreadyRunningError,
    ScheduleUpdate,
    ScheduleUpdateInput,
)


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule, *,
                          trigger_immediately: bool = False, resume: bool = False
                          ) -> Literal["created", "updated"]:
    """Create `schedule_id`, or replace the one already there with `schedule` (one call
    whether or not it exists); `trigger_immediately` applies only to a create.

    An update keeps the existing Schedule's state (paused or not, its note) unless `resume`:
    Temporal's update replaces the state with the new Schedule's, which is "running", so a
    refresh of a killed channel's scout, or a worker start, would undo an operator's pause.
    """
    try:
        await client.create_schedule(schedule_id, schedule,
                                     trigger_immediately=trigger_immediately)
        return "created"
    except ScheduleAlreadyRunningError:
        def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            if resume:
                return ScheduleUpdate(schedule=schedule)
            return ScheduleUpdate(schedule=dataclasses.replace(
                schedule, state=current.description.schedule.state))

        await client.get_schedule_handle(schedule_id).update(update)
        return "updated"
