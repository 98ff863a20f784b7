"""ChannelWorkflow: a long-lived channel that fills posting slots with ReelWorkflow children.

Id `channel/<name>`, input `{"channel": "<name>"}`. Signals `pause`, `resume`, `kill`;
update `set_budget`; query `status`. Money for paid footage: a reel holds its estimate with
the update `reserve` (refused by its validator past the day's budget), then the signal
`settle` books what it really spent and releases the rest; a reel that ends any other way
has its hold released, and its real cost (failed reels too) counts toward the day. Query
`estimate`: what one reel costs with each source, given the catalog and breakers.
All state lives in one `ChannelState`, handed whole to the next run on continue-as-new.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        BudgetReservation,
        BudgetUpdate,
        ChannelConfig,
        ChannelInput,
        ChannelRef,
        ChannelResult,
        ChannelSetup,
        ChannelState,
        ChannelStatus,
        EstimateRequest,
        FootageSettlement,
        ReelEstimate,
        ReelInput,
        ReelResult,
        ReelSummary,
        ReservationAnswer,
        ReviewNotice,
        Topic,
        TopicRequest,
        VisualsPolicy,
    )
    from workflows.reel import ReelWorkflow
    from workflows.routing import estimate_reel
    from workflows.slots import day_of, due_slot, next_midnight
    from workflows.stages import (
        LOAD_CHANNEL,
        PICK_NOVEL_TOPIC,
        PICK_TOPIC,
        TAKE_TOPIC,
        Stage,
        task_queue,
    )
    from workflows.visibility import PATCH as VISIBILITY
    from workflows.visibility import channel_updates, reel_details, reel_summary

T = TypeVar("T")
RECENT_TOPICS = 50
LAST_REELS = 10
SPEND_DAYS = 7
MAX_ID_TRIES = 50
# Channels with trend scout sources take the best unused topic from the ledger's queue.
TOPIC_QUEUE = "topic-queue-v1"
# Channels with `hooks.experiment` give their reels its two hook styles in turn; only those
# call patched(), so earlier histories replay unchanged.
HOOK_EXPERIMENT = "hook-experiment-v1"


@workflow.defn
class ChannelWorkflow:
    @workflow.init
    def __init__(self, input: ChannelInput) -> None:
        self.state = input.state or ChannelState(channel=input.channel)
        self.config: ChannelConfig | None = None
        self.queues: dict[str, str] = {}
        self.children: dict[str, workflow.ChildWorkflowHandle] = {}
        self.watchers: set[asyncio.Task[None]] = set()

    # --- control: handlers only change state; the run loop acts on it ---

    @workflow.signal
    def pause(self) -> None:
        self.state.paused = True

    @workflow.signal
    def resume(self) -> None:
        self.state.paused = False

    @workflow.signal
    def kill(self) -> None:
        self.state.killed = True

    @workflow.signal
    def reel_review(self, notice: ReviewNotice) -> None:
        """A reel started or stopped waiting for a person (ReelWorkflow._review)."""
        if notice.waiting and notice.reel_id in self.state.in_flight:
            self.state.awaiting_review[notice.reel_id] = notice.since
        else:
            self.state.awaiting_review.pop(notice.reel_id, None)

    @workflow.update
    def set_budget(self, update: BudgetUpdate) -> ChannelStatus:
        self.state.budget_override_usd = update.daily_budget_usd
        return self.status()

    @set_budget.validator
    def _validate_budget(self, update: BudgetUpdate) -> None:
        if not update.daily_budget_usd > 0:
            raise ValueError("daily_budget_usd must be greater than 0")

    @workflow.update
    def reserve(self, reservation: BudgetReservation) -> ReservationAnswer:
        # A reel holds one reservation; asking again replaces it (a re-route).
        self.state.reserved_usd[reservation.reel_id] = round(reservation.usd, 6)
        return ReservationAnswer(True, self._budget_left())

    @reserve.validator
    def _validate_reservation(self, reservation: BudgetReservation) -> None:
        if reservation.usd < 0:
            raise ValueError("usd must not be negative")
        left = self._budget_left() + self.state.reserved_usd.get(reservation.reel_id, 0.0)
        if reservation.usd > left + 1e-9:
            raise ValueError(f"reservation ${reservation.usd:.4f} for {reservation.reel_id}"
                             f" passes the daily budget: ${max(left, 0.0):.4f} left today")

    @workflow.signal
    def settle(self, settlement: FootageSettlement) -> None:
        self.state.reserved_usd.pop(settlement.reel_id, None)
        settled = self.state.settled_usd
        settled[settlement.reel_id] = round(settled.get(settlement.reel_id, 0.0)
                                            + settlement.usd, 6)
        self._spend(settlement.usd)

    @workflow.query
    def estimate(self, request: EstimateRequest) -> ReelEstimate:
        policy = self.config.visuals if self.config else VisualsPolicy()
        return estimate_reel(self.state.channel, policy, request, self._budget_left())

    @workflow.query
    def status(self) -> ChannelStatus:
        state = self.state
        return ChannelStatus(
            channel=state.channel,
            paused=state.paused,
            killed=state.killed,
            waiting_for=state.waiting_for,
            next_slot_at=state.next_slot_at,
            in_flight=dict(state.in_flight),
            published=state.published,
            failed=state.failed,
            spend_today_usd=round(state.spend_by_day.get(day_of(workflow.now()), 0.0), 6),
            daily_budget_usd=self._budget(),
            runs=state.runs,
            last_reels=list(state.last_reels),
            rejected=state.rejected,
            awaiting_review=dict(state.awaiting_review),
            reserved_usd=round(sum(state.reserved_usd.values()), 6),
        )

    # --- the run loop ---

    @workflow.run
    async def run(self, input: ChannelInput) -> ChannelResult:
        state = self.state
        if workflow.patched(VISIBILITY):  # `Channel="<name>"` in the Web UI and list queries
            workflow.upsert_search_attributes(channel_updates(input.channel))
        setup = await self._activity(
            LOAD_CHANNEL, ChannelRef(input.channel, day_of(workflow.now())), ChannelSetup
        )
        self.config = setup.config
        self.queues = setup.queues
        cadence = setup.config.cadence
        if input.slot_seconds:
            cadence.slot_seconds = input.slot_seconds
        today = day_of(workflow.now())
        state.reel_numbers[today] = max(state.reel_numbers.get(today, 0), setup.reels_today)
        self._remember_topics(setup.recent_topics)
        started_this_run = 0
        last_slot = datetime.fromisoformat(state.last_slot_at) if state.last_slot_at else None
        pending: datetime | None = None  # the slot being waited for, fixed once chosen

        while True:
            if state.killed:
                return await self._killed()
            finished = state.published + state.failed + state.rejected
            if input.max_reels is not None and finished >= input.max_reels:
                await self._drain()
                return self._result("done")
            if started_this_run >= input.reels_per_run or workflow.info().is_continue_as_new_suggested():
                await self._drain()
                if state.killed:
                    return await self._killed()
                state.runs += 1
                state.waiting_for = ""
                workflow.continue_as_new(
                    ChannelInput(
                        channel=input.channel,
                        slot_seconds=input.slot_seconds,
                        max_reels=input.max_reels,
                        reels_per_run=input.reels_per_run,
                        state=state,
                    )
                )
            if state.paused:
                await self._wait("paused", lambda: not state.paused or state.killed)
                continue
            if input.max_reels is not None and finished + len(state.in_flight) >= input.max_reels:
                in_flight = len(state.in_flight)
                await self._wait("reels in flight",
                                 lambda n=in_flight: len(state.in_flight) < n)
                continue
            now = workflow.now()
            pending = pending or due_slot(cadence, now, last_slot)
            slot = pending
            state.next_slot_at = slot.isoformat()
            if slot > now:
                await self._wait("slot", lambda: state.killed or state.paused, until=slot)
                continue
            if self._spent_today() >= self._budget():
                budget = self._budget()
                await self._wait("budget", lambda b=budget: self._budget() != b,
                                 until=next_midnight(now))
                continue
            if len(state.in_flight) >= setup.config.max_in_flight:
                await self._wait("capacity", lambda: state.killed or
                                 len(state.in_flight) < setup.config.max_in_flight)
                continue
            state.waiting_for = "topic"
            topic = await self._activity(
                self._topic_stage(setup.config),
                TopicRequest(
                    channel=setup.config.name,
                    niche=setup.config.niche,
                    trends_feed=setup.config.trends_feed,
                    rss_urls=setup.config.rss_urls,
                    recent_topics=list(state.recent_topics),
                    max_similarity=setup.config.topics.max_similarity,
                    slot=slot.isoformat(),
                ),
                Topic,
            )
            if state.killed:
                continue
            if not topic.title:  # an empty queue and no local feed: this slot stays empty
                workflow.logger.warning("no topic for %s; skipping the slot", slot.isoformat())
                last_slot, pending = slot, None
                state.last_slot_at = slot.isoformat()
                continue
            await self._start_reel(setup.config, topic, slot)
            last_slot, pending = slot, None
            state.last_slot_at = slot.isoformat()
            started_this_run += 1

    @staticmethod
    def _topic_stage(config: ChannelConfig) -> Stage:
        # Meaning-based dedupe runs on the gpu queue (MiniLM); only channels that ask for it
        # call patched(), so earlier histories replay unchanged.
        if config.trend_sources and workflow.patched(TOPIC_QUEUE):
            return TAKE_TOPIC
        if config.topics.avoid_similar and workflow.patched("gpu-topics-v1"):
            return PICK_NOVEL_TOPIC
        return PICK_TOPIC

    async def _start_reel(self, config: ChannelConfig, topic: Topic, slot: datetime) -> None:
        state = self.state
        day = day_of(workflow.now())
        hook_style = ""
        if config.hook_experiment and workflow.patched(HOOK_EXPERIMENT):
            styles = config.hook_experiment
            hook_style = styles[state.hook_turn % len(styles)]
        labels: dict[str, Any] = {}
        if workflow.patched(VISIBILITY):
            labels = {"static_summary": reel_summary(config.name, topic.title),
                      "static_details": reel_details(config.name, topic.title, topic.source,
                                                     topic.url)}
        for _ in range(MAX_ID_TRIES):
            number = state.reel_numbers.get(day, 0) + 1
            state.reel_numbers = {d: n for d, n in state.reel_numbers.items() if d >= day}
            state.reel_numbers[day] = number
            reel_id = f"reel/{config.name}/{day}/{number}"
            try:
                handle = await workflow.start_child_workflow(
                    ReelWorkflow.run,
                    ReelInput(reel_id, config, topic, self.queues, hook_style,
                              slot_at=slot.isoformat()),
                    id=reel_id,
                    task_queue=task_queue(self.queues, "reels"),
                    # A reel id is also the ledger's idempotency key: never reuse one.
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    **labels,
                )
            except WorkflowAlreadyStartedError:
                continue
            state.in_flight[reel_id] = topic.title
            if hook_style:  # the next reel started takes the other style
                state.hook_turn += 1
            self._remember_topics([topic.title])
            self.children[reel_id] = handle
            watcher = asyncio.create_task(self._watch(reel_id, topic.title, handle))
            self.watchers.add(watcher)
            watcher.add_done_callback(self.watchers.discard)
            return
        raise ApplicationError(f"no free reel id for {config.name} on {day}", type="BadInput",
                               non_retryable=True)

    async def _watch(self, reel_id: str, topic: str, handle: workflow.ChildWorkflowHandle) -> None:
        state = self.state
        try:
            result: ReelResult = await handle
        except ChildWorkflowError as error:
            cancelled = isinstance(error.cause, CancelledError)
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            summary = ReelSummary(reel_id, topic, "cancelled" if cancelled else "failed",
                                  error=reason[:500])
            if not cancelled:
                state.failed += 1
            # A failed reel's real cost (ReelWorkflow puts the ledger's total in the details)
            # counts toward the day; histories from before carry none.
            details = cause.details if isinstance(cause, ApplicationError) else ()
            if details and isinstance(details[0], (int, float)):
                summary.usd = float(details[0])
                self._spend(summary.usd - state.settled_usd.get(reel_id, 0.0))
        else:
            self._spend(result.total_usd - state.settled_usd.get(reel_id, 0.0))
            if result.status == "rejected":  # by review: its slot is spent, not retried
                state.rejected += 1
            else:
                state.published += 1
            summary = ReelSummary(
                reel_id, topic, result.status, usd=result.total_usd, video_uri=result.video_uri,
                urls=[p.url for p in result.publications], error=result.reason,
            )
        state.in_flight.pop(reel_id, None)
        state.awaiting_review.pop(reel_id, None)
        state.reserved_usd.pop(reel_id, None)  # whatever it did not settle is released
        state.settled_usd.pop(reel_id, None)
        self.children.pop(reel_id, None)
        state.last_reels = (state.last_reels + [summary])[-LAST_REELS:]

    async def _killed(self) -> ChannelResult:
        for handle in list(self.children.values()):
            handle.cancel()
        await self._drain()
        return self._result("killed")

    async def _drain(self) -> None:
        self.state.waiting_for = "reels in flight"
        await workflow.wait_condition(lambda: not self.state.in_flight and not self.watchers)
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _wait(self, why: str, wake, until: datetime | None = None) -> None:
        self.state.waiting_for = why
        timeout = None
        if until is not None:
            timeout = max(until - workflow.now(), timedelta(milliseconds=1))
        try:
            await workflow.wait_condition(
                lambda: wake() or self.state.killed, timeout=timeout
            )
        except TimeoutError:
            pass

    async def _activity(self, stage: Stage, arg: Any, result_type: type[T]) -> T:
        return await stage.execute(arg, result_type, self.queues)

    def _remember_topics(self, topics: list[str]) -> None:
        merged = [t for t in self.state.recent_topics if t not in topics] + list(topics)
        self.state.recent_topics = merged[-RECENT_TOPICS:]

    def _budget(self) -> float:
        if self.state.budget_override_usd is not None:
            return self.state.budget_override_usd
        return self.config.daily_budget_usd if self.config else 0.0

    def _spend(self, usd: float) -> None:
        if usd <= 0:
            return
        state = self.state
        day = day_of(workflow.now())
        state.spend_by_day[day] = round(state.spend_by_day.get(day, 0.0) + usd, 6)
        state.spend_by_day = dict(sorted(state.spend_by_day.items())[-SPEND_DAYS:])

    def _budget_left(self) -> float:
        return self._budget() - self._spent_today() - sum(self.state.reserved_usd.values())

    def _spent_today(self) -> float:
        return self.state.spend_by_day.get(day_of(workflow.now()), 0.0)

    def _result(self, reason: str) -> ChannelResult:
        self.state.waiting_for = reason
        return ChannelResult(
            channel=self.state.channel,
            published=self.state.published,
            failed=self.state.failed,
            reason=reason,
            reels=list(self.state.last_reels),
        )
