"""Follow a channel or a reel from the outside and print progress per reel and stage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from workflows.contracts import ChannelResult, ChannelStatus, ReelProgress, ReelResult

Print = Callable[[str], None]


class ProgressPrinter:
    def __init__(self, out: Print = print) -> None:
        self.out = out
        self.started = time.monotonic()
        self.seen: dict[str, str] = {}

    def stage(self, progress: ReelProgress) -> None:
        if self.seen.get(progress.reel_id) == progress.stage:
            return
        previous = self.seen.get(progress.reel_id)
        self.seen[progress.reel_id] = progress.stage
        took = ""
        if previous and previous in progress.stage_seconds:
            took = f"  ({previous} took {progress.stage_seconds[previous]:.1f} s)"
        elapsed = time.monotonic() - self.started
        label = progress.stage if progress.stage != "done" else "published"
        self.out(f"[{elapsed:6.1f}s] {progress.reel_id}  {label:<17} {progress.topic}{took}")


async def reel_progress(client: Client, reel_id: str) -> ReelProgress | None:
    try:
        return await client.get_workflow_handle(reel_id).query(
            "progress", result_type=ReelProgress
        )
    except RPCError:
        return None  # not started yet, or already closed and gone from the worker cache
    except WorkflowQueryFailedError:
        # The worker could not answer this time (a busy host: "workflow didn't yield within
        # 2 second(s)"); the next poll asks again, the reel itself is not affected.
        return None


async def follow_channel(
    client: Client, handle: WorkflowHandle, printer: ProgressPrinter, poll_s: float = 0.5
) -> ChannelResult:
    result_task = asyncio.create_task(handle.result())
    waiting = ""
    while not result_task.done():
        try:
            status = await handle.query("status", result_type=ChannelStatus)
        except (RPCError, WorkflowQueryFailedError):  # as in reel_progress: ask again next poll
            status = None
        if status:
            if status.waiting_for != waiting and status.waiting_for in ("slot", "budget", "paused"):
                printer.out(f"          channel {status.channel}: waiting for {status.waiting_for}"
                            + (f" (next slot {status.next_slot_at})"
                               if status.waiting_for == "slot" else ""))
            waiting = status.waiting_for
            for reel_id in status.in_flight:
                progress = await reel_progress(client, reel_id)
                if progress:
                    printer.stage(progress)
            for reel in status.last_reels:
                if printer.seen.get(reel.reel_id) not in ("done", "failed", "cancelled"):
                    if reel.status == "published":
                        printer.stage(ReelProgress(reel.reel_id, reel.topic, "done"))
                    else:
                        printer.seen[reel.reel_id] = reel.status
                        printer.out(f"          {reel.reel_id}  {reel.status}: {reel.error}")
        await asyncio.wait([result_task], timeout=poll_s)
    return result_task.result()


async def follow_reel(
    client: Client, handle: WorkflowHandle, printer: ProgressPrinter, poll_s: float = 0.5
) -> ReelResult:
    result_task = asyncio.create_task(handle.result())
    while not result_task.done():
        progress = await reel_progress(client, handle.id)
        if progress:
            printer.stage(progress)
        await asyncio.wait([result_task], timeout=poll_s)
    result = result_task.result()  # raises WorkflowFailureError for a failed reel
    printer.stage(ReelProgress(result.reel_id, result.topic, "done", result.stage_seconds))
    return result


async def activity_waits(client: Client, workflow_id: str) -> list[str]:
    """What a reel's pending activities are waiting for: a retry after a quota or a rate
    limit, with the server's next attempt time; empty when nothing is retrying.

    The workflow cannot see its activities' retries, the server can: this reads them from
    the reel workflow's description.
    """
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return []
    waits = []
    for pending in description.raw_description.pending_activities:
        if pending.attempt <= 1 or not pending.HasField("last_failure"):
            continue
        failure = pending.last_failure
        kind = failure.application_failure_info.type or "error"
        when = ""
        if pending.HasField("next_attempt_schedule_time"):
            when = pending.next_attempt_schedule_time.ToDatetime().strftime(
                " until %Y-%m-%d %H:%M:%S UTC")
        waits.append(f"{pending.activity_type.name} attempt {pending.attempt}: {kind}{when}:"
                     f" {failure.message}")
    return waits
