"""A worker interceptor that measures every activity without touching activity modules.

Duration and outcome per stage and backend, retries, activities running now, and for
publishing (publish_reel, publish_to_platform) and quality checks the verdicts their
results carry. The backend label comes from what the activity reports (`cost.backend`,
`Script.backend`); a failed run has no result, so it takes the backend its request names
(voice backend, platform), or the one this stage last reported.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, is_cancelled_exception
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from workers.telemetry.instruments import Instruments
from workflows.stages import run_of

log = logging.getLogger("monolathe.stages")
UNKNOWN = "unknown"
PUBLICATION_OUTCOMES = ("published", "reused", "failed")


def channel_of(arg: Any) -> str:
    """The channel a request belongs to, from its reel id or its channel field."""
    reel_id = getattr(arg, "reel_id", "")
    if isinstance(reel_id, str) and reel_id.startswith("reel/") and reel_id.count("/") >= 2:
        return reel_id.split("/")[1]
    channel = getattr(arg, "channel", None)
    if isinstance(channel, str) and channel:
        return channel
    name = getattr(channel, "name", None) or getattr(arg, "name", None)
    return name if isinstance(name, str) and name else UNKNOWN


def backend_of(result: Any) -> str | None:
    cost = getattr(result, "cost", None)
    backend = getattr(cost, "backend", None) or getattr(result, "backend", None)
    return backend if isinstance(backend, str) and backend else None


def requested_backend(arg: Any) -> str | None:
    """The backend a request asks for: a voice backend, or the platforms of an upload."""
    backend = getattr(getattr(arg, "voice", None), "backend", None)
    if isinstance(backend, str) and backend:
        return backend
    platform = getattr(arg, "platform", None)  # publish_to_platform: one platform
    if isinstance(platform, str) and platform:
        return platform
    platforms = getattr(arg, "platforms", None)
    if isinstance(platforms, list) and platforms:
        return "+".join(str(p) for p in platforms)  # as publish_reel's cost names it
    return None


def error_type(error: BaseException) -> str:
    return error.type or "" if isinstance(error, ApplicationError) else type(error).__name__


class MetricsInterceptor(Interceptor):
    def __init__(self, instruments: Instruments) -> None:
        self.instruments = instruments
        self.last_backend: dict[str, str] = {}  # stage -> backend it last reported

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _MetricsActivityInbound(next, self)


class _MetricsActivityInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, root: MetricsInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        stage, queue = info.activity_type, info.task_queue
        arg = input.args[0] if input.args else None
        channel = channel_of(arg)
        m = self.root.instruments
        active = {"stage": stage, "queue": queue}
        m.stage_active.add(1, active)
        started = time.monotonic()
        result: Any = None
        outcome, error = "ok", None
        try:
            result = await self.next.execute_activity(input)
            return result
        except BaseException as exc:
            outcome = "cancelled" if is_cancelled_exception(exc) else "failed"
            error = exc
            raise
        finally:
            elapsed = time.monotonic() - started
            m.stage_active.add(-1, active)
            backend = (backend_of(result) or requested_backend(arg)
                       or self.root.last_backend.get(stage) or UNKNOWN)
            if outcome == "ok":
                self.root.last_backend[stage] = backend
            labels = {"stage": stage, "backend": backend, "queue": queue, "channel": channel,
                      "outcome": outcome}
            m.stage_duration.record(elapsed, labels)
            log.log(logging.INFO if outcome == "ok" else logging.WARNING,
                    "%s %s after %.2f s (backend %s, attempt %d)", stage, outcome, elapsed,
                    backend, info.attempt)
            if info.attempt > 1 or run_of(info.activity_id) > 1:
                m.stage_retries.add(1, {"stage": stage, "backend": backend, "channel": channel})
            if stage in ("publish_reel", "publish_to_platform"):
                self._publications(stage, arg, result, outcome, channel, elapsed)
            elif stage == "check_quality":
                self._quality(result, error, channel)
            elif stage == "scout_trends" and result is not None:
                self._scout(result, channel)

    def _scout(self, result: Any, channel: str) -> None:
        m = self.root.instruments
        for report in result.sources:
            labels = {"channel": channel, "source": report.source}
            m.trend_candidates.add(report.candidates, labels)
            m.trend_source_errors.add(1 if report.error else 0, labels)  # 0: a rate, not a gap
        m.topic_queue_depth.set(result.queue_depth, {"channel": channel})

    def _publications(self, stage: str, arg: Any, result: Any, outcome: str, channel: str,
                      elapsed: float) -> None:
        """publish_to_platform uploads one reel to one platform (YouTube, Instagram);
        publish_reel copies to the local folder(s) in `platforms` and writes the sidecar,
        and its result also lists the per-platform publications, counted where they ran."""
        m = self.root.instruments
        if stage == "publish_to_platform":
            platforms = [str(getattr(arg, "platform", "") or UNKNOWN)]
            done = [result] if outcome == "ok" else []
        else:
            platforms = [str(p) for p in getattr(arg, "platforms", []) or []]
            done = [p for p in getattr(result, "publications", []) if p.platform in platforms]
        if not platforms:
            return  # only the sidecar was written: no upload
        for platform in platforms:
            # Every outcome exists from the first upload on, so failure rates read 0, not empty.
            for name in PUBLICATION_OUTCOMES:
                m.publications.add(0, {"channel": channel, "platform": platform, "outcome": name})
        m.upload_duration.record(elapsed, {"channel": channel, "platform": "+".join(platforms),
                                           "outcome": outcome})
        for pub in done:
            m.publications.add(1, {"channel": channel, "platform": pub.platform,
                                   "outcome": "reused" if pub.reused else "published"})
        if outcome == "failed":
            for platform in platforms:
                m.publications.add(1, {"channel": channel, "platform": platform,
                                       "outcome": "failed"})

    def _quality(self, result: Any, error: BaseException | None, channel: str) -> None:
        if result is not None:
            verdict = "passed" if getattr(result, "passed", False) else "failed"
        elif error is not None and error_type(error) == "QualityFailed":
            verdict = "failed"
        else:
            return  # the check itself broke: that is a stage failure, not a verdict
        checks = self.root.instruments.quality_checks
        checks.add(0, {"channel": channel, "outcome": "failed"})  # a ratio of 0, not a gap
        checks.add(1, {"channel": channel, "outcome": verdict})
