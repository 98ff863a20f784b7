"""PerformanceWorkflow: one round of a channel's performance fetches, started hourly by the
channel's Schedule (`performance/<channel>`, overlapping runs skipped).

The run lists the channel's live publications with their last fetch, keeps the ones the
cadence says are due (workflows/performance_cadence.py: hourly while young, then daily,
then weekly), and asks each platform for its due reels side by side; each answer becomes
one ledger row per reel at the workflow's clock. A platform that fails (a token to renew)
is reported and the others still fetch; one waiting for its quota holds only itself.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        FetchPerformanceRequest,
        FetchPerformanceResult,
        PerformanceInput,
        PerformanceResult,
        PublishedReel,
        PublishedReels,
        PublishedReelsRequest,
    )
    from workflows.performance_cadence import due_reels
    from workflows.stages import FETCH_PERFORMANCE, LIST_PUBLISHED_REELS


def schedule_id(channel: str) -> str:
    return f"performance/{channel}"


@workflow.defn
class PerformanceWorkflow:
    @workflow.run
    async def run(self, input: PerformanceInput) -> PerformanceResult:
        now = workflow.now()
        listed = await LIST_PUBLISHED_REELS.execute(
            PublishedReelsRequest(input.channel, input.cadence.weekly_until_h, now.isoformat()),
            PublishedReels, input.queues)
        due = due_reels(listed.reels, now, input.cadence)
        by_platform: dict[str, list[PublishedReel]] = {}
        for reel in due:
            by_platform.setdefault(reel.platform, []).append(reel)
        platforms = sorted(by_platform)
        answers = await asyncio.gather(*[
            self._fetch(FetchPerformanceRequest(input.channel, p, by_platform[p],
                                                now.isoformat()), input.queues)
            for p in platforms])
        result = PerformanceResult(input.channel, len(due))
        for platform, answer in zip(platforms, answers, strict=True):
            if isinstance(answer, str):
                result.platforms_failed.append(f"{platform}: {answer}")
                continue
            result.fetched += len(answer.fetched)
            result.deleted += answer.deleted
            result.skipped_metrics += [f"{platform}:{m}" for m in answer.skipped_metrics]
        return result

    @staticmethod
    async def _fetch(req: FetchPerformanceRequest,
                     queues: dict[str, str]) -> FetchPerformanceResult | str:
        try:
            return await FETCH_PERFORMANCE.execute(req, FetchPerformanceResult, queues)
        except ActivityError as error:
            cause = error.cause
            why = getattr(cause, "message", "") or str(cause)
            workflow.logger.warning("performance of %s on %s failed: %s", req.channel,
                                    req.platform, why)
            return why
