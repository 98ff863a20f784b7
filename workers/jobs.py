"""Reels seen from outside the workers: start a one-off reel, read its state, answer its review.

Shared by the CLI (`monolathe reel make`, `monolathe review ...`) and the HTTP API. Nothing
here keeps state: every answer comes from Temporal (describe, queries, updates, visibility)
or the ledger, so any number of API processes can run side by side.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryRejectedError,
)
from temporalio.common import QueryRejectCondition, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.config import Settings
from activities.ledger import AssetRow, CostRow, Ledger, PublicationRow, ReelRow
from workers.run import QUEUES
from workflows.contracts import (
    ChannelConfig,
    ReelInput,
    ReelManifest,
    ReelProgress,
    ReelResult,
    ReviewAnswer,
    ReviewState,
    Topic,
)
from workflows.visibility import reel_details, reel_summary

ANSWERS = ("approve", "reject", "revise")
RUNNING_REELS = 'WorkflowType="ReelWorkflow" AND ExecutionStatus="Running"'
# A reel whose worker is down cannot answer a query: the page lists the others without it.
QUERY_TIMEOUT = timedelta(seconds=10)
ESTIMATE_TTL_S = 10.0


class JobError(Exception):
    """A refusal to report as it is: `status` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def start_reel(client: Client, settings: Settings, config: ChannelConfig,
                     topic: Topic, ledger: Ledger | None = None) -> WorkflowHandle:
    """Start a one-off ReelWorkflow `reel/<channel>/<day>/<n>` with the next free number."""
    ledger = ledger or Ledger(settings.ledger_url, settings.ledger)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    number = ledger.reels_on(config.name, day)
    queues = {q: getattr(settings.queues, q) for q in QUEUES}
    for _ in range(50):
        number += 1
        reel_id = f"reel/{config.name}/{day}/{number}"
        try:
            return await client.start_workflow(
                "ReelWorkflow", ReelInput(reel_id, config, topic, queues), id=reel_id,
                task_queue=settings.queues.reels,
                static_summary=reel_summary(config.name, topic.title),
                static_details=reel_details(config.name, topic.title, topic.source, topic.url),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE, result_type=ReelResult)
        except WorkflowAlreadyStartedError:
            continue
    raise JobError(f"no free reel id for {config.name} on {day}", 409)


@dataclass
class JobView:
    """GET /jobs/{id}: what a reel is doing or did."""

    id: str
    status: str  # running | awaiting-review | published | rejected | failed | cancelled | ...
    stage: str
    topic: str = ""
    channel: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    costs: list[dict[str, Any]] = field(default_factory=list)
    total_usd: float = 0.0
    urls: list[str] = field(default_factory=list)
    review: dict[str, Any] | None = None
    error: str = ""


def check_reel_id(reel_id: str) -> str:
    parts = reel_id.split("/")
    if len(parts) < 4 or parts[0] != "reel" or not all(parts):
        raise JobError(f"id: {reel_id!r} is not a reel id (reel/<channel>/<day>/<n>)", 404)
    return reel_id


class Jobs:
    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.ledger = Ledger(settings.ledger_url, settings.ledger)
        self._estimates: dict[str, tuple[float, dict[str, Any]]] = {}

    async def _query(self, reel_id: str, name: str, result_type: type) -> Any:
        try:
            return await self.client.get_workflow_handle(reel_id).query(
                name, result_type=result_type, rpc_timeout=QUERY_TIMEOUT)
        except RPCError:
            return None  # no worker to answer, or the history is gone

    async def view(self, reel_id: str) -> JobView:
        check_reel_id(reel_id)
        handle = self.client.get_workflow_handle(reel_id, result_type=ReelResult)
        view = JobView(id=reel_id, status="running", stage="", channel=reel_id.split("/")[1])
        # One call for a running reel (its manifest, refused by the server once the reel is
        # closed, so no worker replays a finished history), one more for a closed one.
        try:
            manifest = await handle.query("manifest", result_type=ReelManifest,
                                          reject_condition=QueryRejectCondition.NOT_OPEN,
                                          rpc_timeout=QUERY_TIMEOUT)
        except WorkflowQueryRejectedError as closed:
            view.status = _status_name(closed.status)
            if closed.status == WorkflowExecutionStatus.COMPLETED:
                result: ReelResult = await handle.result()
                view.status, view.stage, view.topic = result.status, result.status, result.topic
                view.stage_seconds = dict(result.stage_seconds)
                view.costs = [asdict(c) for c in result.costs]
                view.total_usd = result.total_usd
                view.urls, view.error = [p.url for p in result.publications], result.reason
            elif (row := self._ledger_row(reel_id)) is not None:
                view.error, view.total_usd, view.topic = row.error, row.total_usd, row.topic
            return view
        except RPCError as exc:
            # the client's own deadline ends the call as CANCELLED ("Timeout expired")
            if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                view.error = (f"no worker answered within {QUERY_TIMEOUT.seconds} s: is a "
                              "worker of the reels queue running?")
                return view
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise  # Temporal unreachable: the API answers 503
            row = self._ledger_row(reel_id)
            if row is None:
                raise JobError(f"job {reel_id}: not found ({exc.message})", 404) from None
            return self._from_ledger(row)  # its history is gone; the ledger remembers
        view.stage, view.topic = manifest.stage, manifest.topic
        view.stage_seconds = dict(manifest.stage_seconds)
        view.costs = [asdict(c) for c in manifest.costs]
        view.total_usd = manifest.total_usd
        view.review = asdict(manifest.review) if manifest.review else None
        if manifest.review and manifest.review.status == "waiting":
            view.status = "awaiting-review"
        return view

    async def manifest(self, reel_id: str) -> dict[str, Any]:
        check_reel_id(reel_id)
        handle = self.client.get_workflow_handle(reel_id, result_type=ReelResult)
        manifest: ReelManifest | None = None
        try:
            manifest = await handle.query("manifest", result_type=ReelManifest,
                                          reject_condition=QueryRejectCondition.NOT_OPEN,
                                          rpc_timeout=QUERY_TIMEOUT)
        except WorkflowQueryRejectedError as closed:
            if closed.status == WorkflowExecutionStatus.COMPLETED:
                manifest = (await handle.result()).manifest
            # a failed reel has no result: its query replays the history on a worker
            manifest = manifest or await self._query(reel_id, "manifest", ReelManifest)
        except RPCError:
            pass
        if manifest is None:
            raise JobError(f"job {reel_id}: no manifest (not found, or no worker answers)", 404)
        estimate = await self.cached_estimate(manifest.channel)
        return {**asdict(manifest), "estimate_usd": estimate["usd"],
                "estimate_basis": estimate["basis"], "actual_usd": manifest.total_usd}

    async def answer(self, reel_id: str, decision: str, answer: ReviewAnswer) -> ReviewState:
        """Send approve / reject / revise; the workflow's validator refuses a reel that is
        not waiting and a second answer, and that refusal comes back as a JobError."""
        from temporalio.client import WorkflowUpdateFailedError

        check_reel_id(reel_id)
        if decision not in ANSWERS:
            raise JobError(f"decision: {decision!r} is not one of {', '.join(ANSWERS)}")
        try:
            return await self.client.get_workflow_handle(reel_id).execute_update(
                decision, answer, result_type=ReviewState)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            message = getattr(cause, "message", None) or str(cause)
            raise JobError(message, 409) from None
        except RPCError as exc:
            if "already completed" in exc.message:
                raise JobError(f"job {reel_id}: it has ended, so it is not waiting for review",
                               409) from None
            raise JobError(f"job {reel_id}: {exc.message}", 404) from None

    async def awaiting_review(self, limit: int = 200) -> list[JobView]:
        """Running reels that wait for a person, oldest first (visibility, then queries)."""
        ids = []
        async for wf in self.client.list_workflows(RUNNING_REELS, limit=limit):
            ids.append(wf.id)
        progresses = await asyncio.gather(
            *(self._query(i, "progress", ReelProgress) for i in ids))
        waiting = [
            JobView(id=p.reel_id, status="awaiting-review", stage=p.stage, topic=p.topic,
                    channel=p.reel_id.split("/")[1], stage_seconds=dict(p.stage_seconds),
                    review=asdict(p.review))
            for p in progresses if p and p.review and p.review.status == "waiting"]
        return sorted(waiting, key=lambda v: (v.review or {}).get("since", ""))

    async def cached_estimate(self, channel: str, preset: str = "",
                              topic: Topic | None = None) -> dict[str, Any]:
        """workers/estimates.py's figures, recomputed at most every ESTIMATE_TTL_S seconds per
        channel and preset: a manifest read must not wait on the ledger and the catalog."""
        from workers.estimates import estimate

        key = f"{channel}/{preset}/{topic and (topic.title, tuple(topic.facts))}"
        at, figures = self._estimates.get(key, (-ESTIMATE_TTL_S, {}))
        if time.monotonic() - at >= ESTIMATE_TTL_S:
            figures = (await estimate(self.settings, channel, preset, self.client,
                                      self.ledger, topic)).as_dict()
            self._estimates[key] = (time.monotonic(), figures)
        return figures

    def reels_today(self, channel: str) -> dict[str, Any]:
        """Today's reels of a channel by status, and what they cost (the ledger)."""
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        with self.ledger.session() as s:
            rows = list(s.exec(select(ReelRow).where(ReelRow.channel == channel,
                                                     ReelRow.day == day)))
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return {"by_status": counts, "spend_usd": self.ledger.spend_on(channel, day)}

    def asset_uri(self, reel_id: str, kind: str) -> str:
        with self.ledger.session() as s:
            row = s.exec(select(AssetRow).where(AssetRow.reel_id == reel_id,
                                                AssetRow.kind == kind)).first()
        return row.uri if row else ""

    def _ledger_row(self, reel_id: str) -> ReelRow | None:
        with self.ledger.session() as s:
            return s.get(ReelRow, reel_id)

    def _from_ledger(self, row: ReelRow) -> JobView:
        with self.ledger.session() as s:
            urls = [p.url for p in s.exec(
                select(PublicationRow).where(PublicationRow.reel_id == row.id)) if p.url]
            costs = [{"stage": c.stage, "backend": c.backend, "seconds": c.seconds,
                      "cpu_seconds": c.cpu_seconds, "usd": c.usd}
                     for c in s.exec(select(CostRow).where(CostRow.reel_id == row.id))]
        return JobView(id=row.id, status=row.status, stage="", topic=row.topic,
                       channel=row.channel, costs=costs, total_usd=row.total_usd, urls=urls,
                       error=row.error)


def _status_name(status: WorkflowExecutionStatus | None) -> str:
    if status is None:
        return "unknown"
    return {WorkflowExecutionStatus.RUNNING: "running",
            WorkflowExecutionStatus.COMPLETED: "published",
            WorkflowExecutionStatus.FAILED: "failed",
            WorkflowExecutionStatus.CANCELED: "cancelled",
            WorkflowExecutionStatus.TERMINATED: "terminated",
            WorkflowExecutionStatus.TIMED_OUT: "timed-out"}.get(status, status.name.lower())
