"""The trend scout's Schedule per channel, and `monolathe trends NAME [--refresh]`."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDConflictPolicy

from activities.config import Settings
from workers.schedules import ensure_schedule
from workflows.contracts import ChannelConfig, ScoutInput, ScoutResult
from workflows.scout import TrendScoutWorkflow, schedule_id


def scout_schedule(settings: Settings, config: ChannelConfig,
                   every: timedelta | None = None) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            TrendScoutWorkflow.run, ScoutInput(config.name),
            id=f"{schedule_id(config.name)}/run", task_queue=settings.queues.reels,
            execution_timeout=timedelta(hours=1)),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(
            every=every or timedelta(minutes=config.scout_every_minutes))]),
        # A run still going when the next is due: skip the next, never pile up.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_scout_schedule(client: Client, settings: Settings, config: ChannelConfig,
                                every: timedelta | None = None, *, resume: bool = False) -> str:
    """Create the channel's scout Schedule (first run now), or bring its interval up to date;
    a paused one stays paused unless `resume` (the channel is being started)."""
    return await ensure_schedule(client, schedule_id(config.name),
                                 scout_schedule(settings, config, every),
                                 trigger_immediately=True, resume=resume)


async def pause_scout(client: Client, channel: str, why: str) -> bool:
    """Pause the channel's scout Schedule (a killed channel spends no quota); False if none."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        await client.get_schedule_handle(schedule_id(channel)).pause(note=why)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def refresh(client: Client, settings: Settings, channel: str) -> ScoutResult:
    """One scout run now, waited for (a run already going is joined, not doubled)."""
    return await client.execute_workflow(
        TrendScoutWorkflow.run, ScoutInput(channel), id=f"{schedule_id(channel)}/refresh",
        task_queue=settings.queues.reels, result_type=ScoutResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        execution_timeout=timedelta(hours=1))


def print_report(result: ScoutResult) -> None:
    for report in result.sources:
        state = f"failed: {report.error}" if report.error else f"{report.candidates} candidates"
        print(f"  {report.source:<32} {state}")
    print(f"  {result.queued} new topics; {result.queue_depth} waiting")
    if result.performance:
        print(f"  predicted performance: {result.performance}")


def print_queue(settings: Settings, channel: str, limit: int = 20,
                performance_weight: float = 0.0) -> None:
    from activities.ledger import Ledger
    from activities.trends import queue
    from activities.trends.scoring import NEUTRAL

    ledger = Ledger(settings.ledger_url, settings.ledger)
    rows, runs = queue.listing(ledger, channel, limit)
    print(f"topic queue of {channel}: {queue.depth(ledger, channel)}"
          " waiting")
    if rows:
        print("  score  fresh traffic relev novel perf  source                  title")
    for row in rows:
        perf = "-" if row.performance is None else f"{row.performance:.2f}"
        print(f"  {row.score:.3f}  {row.freshness:.2f}  {row.traffic:.2f}    {row.relevance:.2f}"
              f"  {row.novelty:.2f}  {perf:>4}  {row.source[:22]:<22}  {row.title[:70]}")
        if row.url:
            print(f"{'':53}{row.url}")
    if rows and performance_weight > 0 and any(r.performance is None for r in rows):
        print(f"  perf -: not predicted yet (no past reels with 7-day views, or no gpu"
              f" worker); the score counts {NEUTRAL} for it")
    elif rows and performance_weight <= 0:
        print("  perf: trends.performance_weight is 0, the score leaves it out")
    for run in runs:
        when = run.at.strftime("%Y-%m-%d %H:%M")
        state = f"failed: {run.error}" if run.error else f"{run.candidates} candidates"
        print(f"  last run {when} {run.source}: {state}")
