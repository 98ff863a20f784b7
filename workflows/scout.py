"""TrendScoutWorkflow: one scout run for one channel, started by the channel's Schedule.

Schedule id `trends/<channel>` (every `trends.scout_every_minutes`, overlapping runs
skipped); `monolathe trends NAME --refresh` starts one now. The run reads the channel's
config, then `scout_trends` gathers, scores and queues its sources' candidates in the
ledger; slots take from that queue (take_topic) without waiting on any network.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ChannelRef,
        ChannelSetup,
        RelevanceRequest,
        RelevanceScores,
        RelevanceUpdate,
        ScoutInput,
        ScoutRequest,
        ScoutResult,
    )
    from workflows.slots import day_of
    from workflows.stages import (
        LOAD_CHANNEL,
        RANK_RELEVANCE,
        RESCORE_TOPICS,
        SCOUT_TRENDS,
        task_queue,
    )



def schedule_id(channel: str) -> str:
    return f"trends/{channel}"


@workflow.defn
class TrendScoutWorkflow:
    @workflow.run
    async def run(self, input: ScoutInput) -> ScoutResult:
        setup = await LOAD_CHANNEL.execute(ChannelRef(input.channel, day_of(workflow.now())),
                                           ChannelSetup, {})
        config = setup.config
        if not config.trend_sources:
            return ScoutResult(config.name, [], 0, 0)
        result = await SCOUT_TRENDS.execute(
            ScoutRequest(config.name, " ".join([config.niche, *config.hashtags]),
                         config.trend_sources, setup.recent_topics, config.trend_relevance),
            ScoutResult, setup.queues)
        if config.trend_relevance == "meaning" and result.waiting:
            # A host without a gpu worker still gets its ranked queue, by keywords.
            wait = timedelta(seconds=input.relevance_wait_s)
            await self._relevance_by_meaning(config.name, config.niche, result, setup.queues,
                                             wait)
        return result

    async def _relevance_by_meaning(self, channel: str, niche: str, result: ScoutResult,
                                    queues: dict[str, str], wait: timedelta) -> None:
        try:
            scores = await workflow.execute_activity(
                RANK_RELEVANCE.name, RelevanceRequest(niche, result.waiting_texts),
                result_type=RelevanceScores, task_queue=task_queue(queues, RANK_RELEVANCE.queue),
                schedule_to_start_timeout=wait,
                start_to_close_timeout=RANK_RELEVANCE.timeout,
                heartbeat_timeout=RANK_RELEVANCE.heartbeat,
                retry_policy=RetryPolicy(maximum_attempts=2),
            )
        except ActivityError as error:
            workflow.logger.warning("relevance by meaning unavailable for %s, keeping keyword"
                                    " relevance: %s", channel, error.cause)
            return
        await RESCORE_TOPICS.execute(RelevanceUpdate(channel, result.waiting, scores.scores),
                                     int, queues)
