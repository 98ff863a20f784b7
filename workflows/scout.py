"""TrendScoutWorkflow: one scout run for one channel, started by the channel's Schedule.

Schedule id `trends/<channel>` (every `trends.scout_every_minutes`, overlapping runs
skipped); `monolathe trends NAME --refresh` starts one now. The run reads the channel's
config, then `scout_trends` gathers, scores and queues its sources' candidates in the
ledger; slots take from that queue (take_topic) without waiting on any network. Relevance by
meaning and the predicted performance (`trends.performance_weight`) ask MiniLM on the gpu
queue, each waiting a while for a gpu worker and keeping the queue as it is without one.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ChannelConfig,
        ChannelRef,
        ChannelSetup,
        PastReels,
        PastReelsRequest,
        PerformanceRequest,
        PerformanceUpdate,
        PredictedPerformance,
        RelevanceRequest,
        RelevanceScores,
        RelevanceUpdate,
        ScoutInput,
        ScoutRequest,
        ScoutResult,
    )
    from workflows.slots import day_of
    from workflows.stages import (
        LIST_PAST_REELS,
        LOAD_CHANNEL,
        PREDICT_PERFORMANCE,
        RANK_RELEVANCE,
        RESCORE_PERFORMANCE,
        RESCORE_TOPICS,
        SCOUT_TRENDS,
    )

# Channels with trends.performance_weight: the predicted-performance term. Only those call
# patched(), so histories of channels without it replay unchanged.
LEARNING = "predicted-performance-v1"

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
                         config.trend_sources, setup.recent_topics, config.trend_relevance,
                         config.trend_performance_weight),
            ScoutResult, setup.queues)
        wait = timedelta(seconds=input.relevance_wait_s)
        if config.trend_relevance == "meaning" and result.waiting:
            # A host without a gpu worker still gets its ranked queue, by keywords.
            await self._relevance_by_meaning(config, result, setup.queues, wait)
        if (config.trend_performance_weight > 0 and result.waiting
                and workflow.patched(LEARNING)):
            await self._predicted_performance(config, result, setup.queues, wait)
        return result

    async def _relevance_by_meaning(self, config: ChannelConfig, result: ScoutResult,
                                    queues: dict[str, str], wait: timedelta) -> None:
        try:
            scores = await RANK_RELEVANCE.execute_if_taken(
                RelevanceRequest(config.niche, result.waiting_texts), RelevanceScores, queues,
                wait)
        except ActivityError as error:
            workflow.logger.warning("relevance by meaning unavailable for %s, keeping keyword"
                                    " relevance: %s", config.name, error.cause)
            return
        await RESCORE_TOPICS.execute(RelevanceUpdate(config.name, result.waiting, scores.scores,
                                                     config.trend_performance_weight),
                                     int, queues)

    async def _predicted_performance(self, config: ChannelConfig, result: ScoutResult,
                                     queues: dict[str, str], wait: timedelta) -> None:
        past = await LIST_PAST_REELS.execute(
            PastReelsRequest(config.name, workflow.now().isoformat()), PastReels, queues)
        if not past.topics:
            result.performance = ("neutral: no past reels with 7-day views yet, every topic"
                                  " counts 0.5")
            return
        try:
            predicted = await PREDICT_PERFORMANCE.execute_if_taken(
                PerformanceRequest(result.waiting, past.topics, past.views_7d,
                                   config.trend_performance_k),
                PredictedPerformance, queues, wait)
        except ActivityError as error:
            workflow.logger.warning("predicted performance unavailable for %s, keeping the"
                                    " last prediction: %s", config.name, error.cause)
            cause = error.cause
            unpicked = (isinstance(cause, ActivityTimeout)
                        and cause.type == TimeoutType.SCHEDULE_TO_START)
            why = "no gpu worker took it" if unpicked else f"it failed: {cause}"
            result.performance = f"not predicted this run ({why}); the last predictions stand"
            return
        await RESCORE_PERFORMANCE.execute(
            PerformanceUpdate(config.name, result.waiting, predicted.scores,
                              config.trend_performance_weight), int, queues)
        result.performance = (f"predicted from {len(past.topics)} past reels"
                              f" (k={config.trend_performance_k})")


