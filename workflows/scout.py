"""TrendScoutWorkflow: one scout run for one channel, started by the channel's Schedule.

Schedule id `trends/<channel>` (every `trends.scout_every_minutes`, overlapping runs
skipped); `monolathe trends NAME --refresh` starts one now. The run reads the channel's
config, then `scout_trends` gathers, scores and queues its sources' candidates in the
ledger; slots take from that queue (take_topic) without waiting on any network.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import ChannelRef, ChannelSetup, ScoutInput, ScoutRequest, ScoutResult
    from workflows.slots import day_of
    from workflows.stages import LOAD_CHANNEL, SCOUT_TRENDS


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
        return await SCOUT_TRENDS.execute(
            ScoutRequest(config.name, " ".join([config.niche, *config.hashtags]),
                         config.trend_sources, setup.recent_topics),
            ScoutResult, setup.queues)
