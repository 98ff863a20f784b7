"""ReelWorkflow: one topic in, one published reel out.

write_script -> synthesize_voice -> [footage] -> make_visuals -> compose_reel -> check_quality
-> publish_to_platform (one per remote platform, side by side) -> publish_reel (local
folder and sidecar) -> record_reel. A failed quality check recomposes once with safe settings.
Any other failure is recorded in the ledger and ends the reel with a `ReelFailed` error
that names the stage and the reason (its details carry what the reel cost).

Footage (channels whose `visuals.sources` name more than own/procedural): once the voice
fixes the scene durations, the reel lists the sources, reads the breakers and the channel's
money, routes every scene (workflows/routing.py), reserves the plan from its channel, then
runs each scene down its chain side by side, reporting every call to `backends/health`
and settling the real cost with the channel.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        BackendOutcome,
        BudgetReservation,
        ComposedReel,
        ComposeRequest,
        Footage,
        FootageContext,
        FootageContextRequest,
        FootageRequest,
        FootageSettlement,
        FootageSources,
        FootageSourcesRequest,
        MediaMatches,
        MediaMatchRequest,
        OwnMedia,
        OwnMediaRequest,
        PlatformPublishRequest,
        Publication,
        PublishRequest,
        PublishResult,
        QualityReport,
        QualityRequest,
        RecordResult,
        ReelInput,
        ReelProgress,
        ReelRecord,
        ReelResult,
        ReservationAnswer,
        RoutePlan,
        Scene,
        SceneAttempt,
        SceneClip,
        SceneRoute,
        Script,
        ScriptRequest,
        StageCost,
        VisualDecision,
        Visuals,
        VisualsPolicy,
        VisualsRequest,
        VoiceRequest,
        VoiceTrack,
    )
    from workflows.health import HEALTH_ID, BackendHealthWorkflow
    from workflows.routing import FREE, money_left, route
    from workflows.stages import (
        CHECK_QUALITY,
        COMPOSE_REEL,
        GENERATE_FOOTAGE,
        LIST_FOOTAGE_SOURCES,
        LIST_OWN_MEDIA,
        MAKE_VISUALS,
        MATCH_MEDIA,
        PUBLISH_REEL,
        PUBLISH_TO_PLATFORM,
        READ_FOOTAGE_CONTEXT,
        RECORD_REEL,
        RESERVE_FOOTAGE_BUDGET,
        SYNTHESIZE_VOICE,
        WRITE_SCRIPT,
        WRITE_SCRIPT_MLX,
        Stage,
    )

T = TypeVar("T")
# Each platform gets its own publish_to_platform call before the local publish and sidecar.
PUBLISH_PER_PLATFORM = "publish-per-platform-v1"
MEDIA_BY_MEANING = "media-by-meaning-v1"
FOOTAGE_ROUTING = "footage-routing-v1"
# Failures of one prompt or of our own request: the scene falls through, the source's
# breaker does not count them.
NOT_BACKEND_FAILURES = ("ContentRefused", "BadInput", "NotConfigured")
RESERVE_TRIES = 3
# Cosine similarity of MiniLM embeddings under which a scene keeps its generated visuals:
# related sentences score about 0.3-0.8, unrelated ones below 0.2.
MEDIA_MIN_SIMILARITY = 0.25


def _error_type(error: BaseException) -> str:
    cause = error.cause if isinstance(error, ActivityError) else error
    return cause.type or "" if isinstance(cause, ApplicationError) else ""


def _reason(error: BaseException) -> str:
    cause = error.cause if isinstance(error, ActivityError) and error.cause else error
    return str(cause)


@workflow.defn
class ReelWorkflow:
    @workflow.init
    def __init__(self, input: ReelInput) -> None:
        self.input = input
        self.progress_state = ReelProgress(input.reel_id, input.topic.title, "starting")
        self.costs: list[StageCost] = []
        self.assets: dict[str, str] = {}
        self.decisions: list[VisualDecision] = []
        self.plan: RoutePlan | None = None

    @workflow.query
    def progress(self) -> ReelProgress:
        return self.progress_state

    @workflow.run
    async def run(self, input: ReelInput) -> ReelResult:
        try:
            return await self._make(input)
        except Exception as error:
            if is_cancelled_exception(error):
                raise  # a kill or a cancel: the reel ends cancelled, not failed
            stage = self.progress_state.stage
            reason = _reason(error)
            spent = await self._record_failure(input, stage, reason)
            raise ApplicationError(
                f"reel {input.reel_id} failed at {stage}: {reason}",
                spent,  # the channel counts a failed reel's real cost toward the day
                type="ReelFailed",
                non_retryable=True,
            ) from error

    async def _make(self, input: ReelInput) -> ReelResult:
        channel = input.channel
        script = await self._stage(
            self._script_stage(input), ScriptRequest(input.reel_id, channel, input.topic), Script
        )
        voice = await self._stage(
            SYNTHESIZE_VOICE, VoiceRequest(input.reel_id, channel.voice, script), VoiceTrack
        )
        self.assets["voice"] = voice.audio_uri
        footage = await self._footage(input, script, voice)
        visuals = await self._stage(
            MAKE_VISUALS,
            VisualsRequest(input.reel_id, channel.look, script, voice.scenes, channel.media_dir,
                           await self._media_by_meaning(input, script), footage=footage),
            Visuals,
        )
        credits = list(dict.fromkeys(d.attribution for d in self.decisions if d.attribution))
        if credits:
            script.description = "\n\n".join([script.description, *credits])
        composed, quality = await self._compose_checked(input, voice, visuals)
        local_platforms = channel.platforms
        elsewhere: list[Publication] = []
        if workflow.patched(PUBLISH_PER_PLATFORM):
            local_platforms = [p for p in channel.platforms if p == "local"]
            elsewhere = await self._publish_to_platforms(
                input, composed, script, [p for p in channel.platforms if p != "local"])
        published = await self._stage(
            PUBLISH_REEL,
            PublishRequest(
                reel_id=input.reel_id,
                channel=channel.name,
                platforms=local_platforms,
                out_dir=channel.out_dir,
                video_uri=composed.video_uri,
                cover_uri=composed.cover_uri,
                title=script.title,
                description=script.description,
                hashtags=script.hashtags,
                topic=input.topic.title,
                costs=list(self.costs),
                stage_seconds=dict(self.progress_state.stage_seconds),
                quality=quality,
                published=elsewhere,
                credits=credits,
                visual_decisions=list(self.decisions),
            ),
            PublishResult,
        )
        self.assets["sidecar"] = published.sidecar_uri
        record = await self._record(input, script.title, "published", composed.video_uri,
                                    published.publications, quality=quality)
        self.progress_state.stage = "done"
        return ReelResult(
            reel_id=input.reel_id,
            topic=input.topic.title,
            title=script.title,
            video_uri=composed.video_uri,
            sidecar_uri=published.sidecar_uri,
            publications=published.publications,
            costs=list(self.costs),
            stage_seconds=dict(self.progress_state.stage_seconds),
            total_usd=record.total_usd,
        )

    async def _media_by_meaning(self, input: ReelInput, script: Script) -> list[str]:
        """The channel's own file for each scene by meaning (MiniLM on the gpu worker), or []
        to leave the choice to visuals' keyword match. Only channels that chose `meaning`
        call patched(), so earlier histories replay unchanged."""
        channel = input.channel
        if channel.media_match != "meaning" or not workflow.patched(MEDIA_BY_MEANING):
            return []
        catalog = await self._stage(LIST_OWN_MEDIA, OwnMediaRequest(channel.media_dir), OwnMedia)
        if not catalog.items:
            return []
        scenes = [" ".join([scene.text, *scene.keywords]) for scene in script.scenes]
        found = await self._stage(
            MATCH_MEDIA,
            MediaMatchRequest(scenes, [item.description for item in catalog.items],
                              min_score=MEDIA_MIN_SIMILARITY),
            MediaMatches,
        )
        picks = [""] * len(scenes)
        for match in found.matches:
            if 0 <= match.candidate < len(catalog.items):
                picks[match.scene] = catalog.items[match.candidate].path
        return picks

    async def _footage(self, input: ReelInput, script: Script,
                       voice: VoiceTrack) -> list[SceneClip]:
        """One clip per scene from the sources the channel's policy routes it to ("" leaves
        the scene to own media or the procedural render), or [] for channels without paid
        or stock sources: those never call patched(), so their histories stay as they were."""
        policy = input.channel.visuals
        if all(s in FREE for s in policy.sources) or not workflow.patched(FOOTAGE_ROUTING):
            return []
        catalog = await self._stage(
            LIST_FOOTAGE_SOURCES, FootageSourcesRequest(list(policy.sources)), FootageSources)
        parent = workflow.info().parent
        channel_id = parent.workflow_id if parent else ""
        context = await self._stage(
            READ_FOOTAGE_CONTEXT,
            FootageContextRequest(input.reel_id, channel_id,
                                  [s for s in policy.sources if s not in FREE], catalog.sources),
            FootageContext)
        count = min(len(script.scenes), len(voice.scenes))
        durations = [round(s.end - s.start, 3) for s in voice.scenes[:count]]
        plan = await self._reserve(input, policy, catalog, context, durations, channel_id)
        self.plan = plan
        workflow.logger.info("footage plan for %s: %s", input.reel_id, plan)
        self.progress_state.stage = GENERATE_FOOTAGE.name
        started = workflow.now()
        made = await asyncio.gather(*(self._scene_footage(input, script.scenes[r.scene], r, plan)
                                      for r in plan.scenes))
        seconds = self.progress_state.stage_seconds
        seconds[GENERATE_FOOTAGE.name] = round((workflow.now() - started).total_seconds(), 3)
        self.decisions = [decision for _, decision in made]
        if channel_id:
            spent = round(sum(d.usd for d in self.decisions), 6)
            await workflow.get_external_workflow_handle(channel_id).signal(
                "settle", FootageSettlement(input.reel_id, spent))
        return [clip for clip, _ in made]

    async def _reserve(self, input: ReelInput, policy: VisualsPolicy, catalog: FootageSources,
                       context: FootageContext, durations: list[float],
                       channel_id: str) -> RoutePlan:
        """Route with the money left, and hold the plan's price with the channel; a refusal
        (another reel got there first) routes again with what is left, then free only."""
        def plan_for(money: float) -> RoutePlan:
            return route(policy, catalog.sources, context.breakers, durations, money)

        plan = plan_for(money_left(policy, 0.0, context.budget_left_usd))
        for _ in range(RESERVE_TRIES):
            if plan.reserve_usd <= 0 or not channel_id:
                return plan
            answer = await self._stage(
                RESERVE_FOOTAGE_BUDGET,
                BudgetReservation(input.reel_id, plan.reserve_usd, channel_id),
                ReservationAnswer)
            if answer.accepted:
                return plan
            workflow.logger.info("reservation refused, routing again: %s", answer.reason)
            plan = plan_for(money_left(policy, 0.0, answer.budget_left_usd))
        return plan_for(0.0)

    async def _scene_footage(self, input: ReelInput, scene: Scene, scene_route: SceneRoute,
                             plan: RoutePlan) -> tuple[SceneClip, VisualDecision]:
        """Down the scene's chain until a source gives a clip; own and procedural always do."""
        decision = VisualDecision(scene_route.scene, scene_route.chain, "",
                                  scene_route.estimate_usd, 0.0, skipped=plan.skipped)
        look = input.channel.look
        for source in scene_route.chain:
            if source in FREE:
                decision.chosen = source
                decision.attempts.append(SceneAttempt(source, "ok"))
                return SceneClip("", scene_route.duration_s, source=source), decision
            request = FootageRequest(
                input.reel_id, scene_route.scene, source, scene.visual_prompt or scene.text,
                list(scene.keywords), scene_route.duration_s, look.width, look.height)
            try:
                footage = await GENERATE_FOOTAGE.execute(request, Footage, self.input.queues)
            except ActivityError as error:
                if is_cancelled_exception(error):
                    raise
                kind = _error_type(error) or type(error.cause).__name__
                counts = kind not in NOT_BACKEND_FAILURES
                message = f"{kind}: {_reason(error)}"[:300]
                decision.attempts.append(
                    SceneAttempt(source, "failed" if counts else "refused", message))
                if counts:
                    await self._report(BackendOutcome(source, False, message))
                continue
            await self._report(BackendOutcome(source, True, usd=footage.usd))
            cost = footage.cost or StageCost("footage", source, 0.0, 0.0, footage.usd)
            cost.usd = footage.usd
            self.costs.append(cost)
            decision.chosen, decision.usd = source, footage.usd
            decision.attribution = footage.clip.attribution
            decision.attempts.append(SceneAttempt(source, "ok", usd=footage.usd))
            return footage.clip, decision
        raise AssertionError("unreachable: every chain ends with procedural")

    async def _report(self, outcome: BackendOutcome) -> None:
        try:
            await workflow.get_external_workflow_handle(HEALTH_ID).signal(
                BackendHealthWorkflow.report, outcome)
        except FailureError as error:
            # The health workflow is gone (terminated by hand): the reel goes on; the next
            # reel's read starts it again.
            workflow.logger.warning("could not report %s to %s: %s", outcome, HEALTH_ID, error)

    def _script_stage(self, input: ReelInput) -> Stage:
        # Only channels that chose a model ask the gpu queue; a template channel never calls
        # patched(), so histories recorded before the mlx writer replay unchanged.
        if input.channel.script.writer == "mlx" and workflow.patched("gpu-writer-v1"):
            return WRITE_SCRIPT_MLX
        return WRITE_SCRIPT

    async def _compose_checked(
        self, input: ReelInput, voice: VoiceTrack, visuals: Visuals
    ) -> tuple[ComposedReel, QualityReport]:
        look = input.channel.look
        for safe in (False, True):
            composed = await self._stage(
                COMPOSE_REEL, ComposeRequest(input.reel_id, look, voice, visuals, safe),
                ComposedReel,
            )
            self.assets["video"] = composed.video_uri
            self.assets["cover"] = composed.cover_uri
            try:
                quality = await self._stage(
                    CHECK_QUALITY,
                    QualityRequest(input.reel_id, composed.video_uri, look, voice.duration_s,
                                   composed.captions_uri),
                    QualityReport,
                )
                return composed, quality
            except ActivityError as error:
                if _error_type(error) != "QualityFailed" or safe:
                    raise
                workflow.logger.warning("quality check failed, recomposing safely: %s",
                                        _reason(error))
        raise AssertionError("unreachable: the safe pass returns or raises")

    async def _publish_to_platforms(self, input: ReelInput, composed: ComposedReel,
                                    script: Script, platforms: list[str]) -> list[Publication]:
        """One activity per platform, side by side: one waiting for its quota or failing
        never holds back or re-uploads another."""
        if not platforms:
            return []
        channel = input.channel
        self.progress_state.stage = PUBLISH_TO_PLATFORM.name
        started = workflow.now()
        publish_at = ""
        if channel.youtube.schedule_minutes:
            at = workflow.now() + timedelta(minutes=channel.youtube.schedule_minutes)
            publish_at = at.strftime("%Y-%m-%dT%H:%M:%SZ")

        async def one(platform: str) -> Publication:
            self.progress_state.platforms[platform] = "publishing"
            try:
                done = await PUBLISH_TO_PLATFORM.execute(
                    PlatformPublishRequest(
                        reel_id=input.reel_id, channel=channel.name, platform=platform,
                        video_uri=composed.video_uri, cover_uri=composed.cover_uri,
                        title=script.title, description=script.description,
                        hashtags=script.hashtags, language=channel.language,
                        out_dir=channel.out_dir, publish_at=publish_at,
                        youtube=channel.youtube, instagram=channel.instagram,
                    ),
                    Publication, self.input.queues)
            except BaseException:
                self.progress_state.platforms[platform] = "failed"
                raise
            self.progress_state.platforms[platform] = "done"
            return done

        results = await asyncio.gather(*(one(p) for p in platforms), return_exceptions=True)
        seconds = self.progress_state.stage_seconds
        seconds[PUBLISH_TO_PLATFORM.name] = round((workflow.now() - started).total_seconds(), 3)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # the platforms that made it are in the ledger already
        return [r for r in results if isinstance(r, Publication)]

    async def _stage(self, stage: Stage, arg: Any, result_type: type[T]) -> T:
        self.progress_state.stage = stage.name
        started = workflow.now()
        result = await stage.execute(arg, result_type, self.input.queues)
        elapsed = (workflow.now() - started).total_seconds()
        seconds = self.progress_state.stage_seconds
        seconds[stage.name] = round(seconds.get(stage.name, 0.0) + elapsed, 3)
        cost = getattr(result, "cost", None)
        if isinstance(cost, StageCost):
            self.costs.append(cost)
        return result

    async def _record(
        self, input: ReelInput, title: str, status: str, video_uri: str,
        publications: list[Publication], error: str = "", quality: QualityReport | None = None,
    ) -> RecordResult:
        record = ReelRecord(
            reel_id=input.reel_id,
            channel=input.channel.name,
            topic=input.topic.title,
            title=title,
            status=status,
            video_uri=video_uri,
            asset_uris=dict(self.assets),
            costs=list(self.costs),
            publications=publications,
            error=error,
            quality=quality,
            visual_decisions=list(self.decisions),
        )
        return await RECORD_REEL.execute(record, RecordResult, self.input.queues)

    async def _record_failure(self, input: ReelInput, stage: str, reason: str) -> float:
        try:
            record = await self._record(input, "", "failed", self.assets.get("video", ""), [],
                                        error=f"{stage}: {reason}"[:2000])
            return record.total_usd
        except ActivityError as error:
            # The failure itself is in history; a ledger outage must not mask it.
            workflow.logger.error("could not record failed reel %s: %s", input.reel_id,
                                  _reason(error))
            return round(sum(cost.usd for cost in self.costs), 6)

