"""ReelWorkflow: one topic in, one published reel out.

write_script -> synthesize_voice -> [footage] -> make_visuals -> compose_reel -> check_quality
-> [review: wait for a person's `approve`, `reject` or `revise` update] -> publish_to_platform
(one per remote platform, side by side) -> publish_reel (local folder and sidecar) ->
record_reel. A failed quality check gets the remedy for what failed (workflows/remedies.py:
new visuals for a black or frozen scene, a new mix, a new caption layout, the safe compose)
until the remedies are spent. Any other failure is recorded in the ledger and ends the reel
with a `ReelFailed` error that names the stage and the reason (its details carry what the
reel cost).

Footage (channels whose `visuals.sources` name more than own/procedural): once the voice
fixes the scene durations, the reel lists the sources, reads the breakers and the channel's
money, routes every scene (workflows/routing.py), reserves the plan from its channel, then
runs each scene down its chain side by side, reporting every call to `backends/health`
and settling the real cost with the channel.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
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
        ReelManifest,
        ReelProgress,
        ReelRecord,
        ReelResult,
        ReservationAnswer,
        ReviewAnswer,
        ReviewNotice,
        ReviewState,
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
    from workflows.remedies import (
        CAPTION_SHRINK,
        LAYOUT,
        MIX,
        SAFE,
        VISUALS,
        Remedy,
        Verdict,
        plan_remedy,
    )
    from workflows.review import REVIEW_PATCH, needs_review, refusal
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
        WRITE_SCRIPT_API,
        WRITE_SCRIPT_MLX,
        Stage,
    )
    from workflows.visibility import OUTCOME, reel_updates
    from workflows.visibility import PATCH as VISIBILITY

T = TypeVar("T")
# Each platform gets its own publish_to_platform call before the local publish and sidecar.
PUBLISH_PER_PLATFORM = "publish-per-platform-v1"
MEDIA_BY_MEANING = "media-by-meaning-v1"
# A failed quality check gets the remedy for what failed instead of one safe recompose.
QUALITY_REMEDIES = "quality-remedies-v1"
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


def _verdict(error: ActivityError) -> Verdict:
    cause = error.cause
    details = cause.details if isinstance(cause, ApplicationError) else ()
    report = details[0] if details and isinstance(details[0], dict) else {}
    return Verdict.of(report) if report else Verdict(failed={"unknown": _reason(error)})


def _new_visuals(request: VisualsRequest, remedy: Remedy) -> VisualsRequest:
    """Another look for the remedied scenes: their variant moves on, and footage or own
    media they had gives way to the procedural render."""
    count = len(request.scenes)
    variants = list(request.variants or [0] * count)
    footage = list(request.footage)
    for i in remedy.scenes:
        variants[i] += 1
        if footage:
            footage[i] = replace(footage[i], uri="")
    return replace(request, variants=variants, footage=footage)


def _remedied(request: ComposeRequest, remedy: Remedy, visuals: Visuals) -> ComposeRequest:
    changed = replace(request, visuals=visuals)
    if MIX in remedy.kinds:
        changed = replace(changed,
                          loudness_offset_db=request.loudness_offset_db + remedy.loudness_offset_db,
                          peak_margin_db=max(request.peak_margin_db, remedy.peak_margin_db))
    if LAYOUT in remedy.kinds:
        look = request.look
        changed = replace(changed, look=replace(
            look, caption_size=round(look.caption_size * CAPTION_SHRINK, 4),
            caption_words=max(1, look.caption_words - 1)))
    if SAFE in remedy.kinds:
        changed = replace(changed, safe=True)
    return changed


@workflow.defn
class ReelWorkflow:
    @workflow.init
    def __init__(self, input: ReelInput) -> None:
        self.input = input
        self.progress_state = ReelProgress(input.reel_id, input.topic.title, "starting")
        self.costs: list[StageCost] = []
        self.assets: dict[str, str] = {}
        self.remedies: list[str] = []  # each failed quality check and what was done about it
        self.results: dict[str, Any] = {}  # stage name -> its last result, for `manifest`
        self.answer: tuple[str, ReviewAnswer] | None = None
        self.decisions: list[VisualDecision] = []
        self.plan: RoutePlan | None = None

    @workflow.query
    def progress(self) -> ReelProgress:
        return self.progress_state

    @workflow.query
    def manifest(self) -> ReelManifest:
        got = self.results.get
        visuals = got(MAKE_VISUALS.name)
        return ReelManifest(
            reel_id=self.input.reel_id, channel=self.input.channel.name,
            topic=self.input.topic.title, stage=self.progress_state.stage,
            stage_seconds=dict(self.progress_state.stage_seconds),
            script=got(WRITE_SCRIPT.name) or got(WRITE_SCRIPT_MLX.name),
            clips=list(visuals.clips) if visuals else [], voice=got(SYNTHESIZE_VOICE.name),
            composed=got(COMPOSE_REEL.name), quality=got(CHECK_QUALITY.name),
            costs=list(self.costs), total_usd=round(sum(c.usd for c in self.costs), 6),
            review=self.progress_state.review,
        )

    # --- review answers: the validators refuse a reel that is not waiting, and a second
    # answer to the same wait; the handlers only record the answer for _review ---

    @workflow.update
    def approve(self, answer: ReviewAnswer) -> ReviewState:
        return self._take("approve", answer)

    @approve.validator
    def _approve_ok(self, answer: ReviewAnswer) -> None:
        self._refuse("approve", answer)

    @workflow.update
    def reject(self, answer: ReviewAnswer) -> ReviewState:
        return self._take("reject", answer)

    @reject.validator
    def _reject_ok(self, answer: ReviewAnswer) -> None:
        self._refuse("reject", answer)

    @workflow.update
    def revise(self, answer: ReviewAnswer) -> ReviewState:
        return self._take("revise", answer)

    @revise.validator
    def _revise_ok(self, answer: ReviewAnswer) -> None:
        self._refuse("revise", answer)

    def _refuse(self, decision: str, answer: ReviewAnswer) -> None:
        why = refusal(self.progress_state.review, decision, answer.text)
        if why:
            raise ValueError(f"{self.input.reel_id}: {why}")

    def _take(self, decision: str, answer: ReviewAnswer) -> ReviewState:
        review = self.progress_state.review
        assert review is not None  # the validator refused otherwise
        self.answer = (decision, answer)
        review.status = {"approve": "approved", "reject": "rejected"}.get(decision, "revising")
        review.decision, review.text, review.by = decision, answer.text, answer.by
        return review

    @workflow.run
    async def run(self, input: ReelInput) -> ReelResult:
        visible = workflow.patched(VISIBILITY)  # `Channel`, `Topic`, `Outcome` for list queries
        if visible:
            workflow.upsert_search_attributes(reel_updates(input.channel.name, input.topic.title))
        try:
            result = await self._make(input)
        except Exception as error:
            cancelled = is_cancelled_exception(error)
            if visible:
                workflow.upsert_search_attributes(
                    [OUTCOME.value_set("cancelled" if cancelled else "failed")])
            if cancelled:
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
        if visible:
            workflow.upsert_search_attributes([OUTCOME.value_set(result.status or "published")])
        return result

    async def _make_media(self, input: ReelInput, notes: str = ""
                          ) -> tuple[Script, ComposedReel, QualityReport]:
        """Script to checked reel; a review's `revise` runs it again with the notes."""
        channel = input.channel
        script = await self._stage(
            self._script_stage(input),
            ScriptRequest(input.reel_id, channel, input.topic, notes), Script
        )
        voice = await self._stage(
            SYNTHESIZE_VOICE, VoiceRequest(input.reel_id, channel.voice, script), VoiceTrack
        )
        self.assets["voice"] = voice.audio_uri
        footage = await self._footage(input, script, voice)
        visuals_request = VisualsRequest(input.reel_id, channel.look, script, voice.scenes,
                                         channel.media_dir,
                                         await self._media_by_meaning(input, script),
                                         footage=footage)
        visuals = await self._stage(MAKE_VISUALS, visuals_request, Visuals)
        credits = self._credits()
        if credits:
            script.description = "\n\n".join([script.description, *credits])
        if workflow.patched(QUALITY_REMEDIES):
            composed, quality = await self._compose_remedied(input, voice, visuals_request,
                                                             visuals)
        else:
            composed, quality = await self._compose_checked(input, voice, visuals)
        return script, composed, quality

    def _credits(self) -> list[str]:
        """Stock footage attribution lines, once each, for the description and sidecar."""
        return list(dict.fromkeys(d.attribution for d in self.decisions if d.attribution))

    async def _make(self, input: ReelInput) -> ReelResult:
        channel = input.channel
        script, composed, quality = await self._make_media(input)
        if needs_review(channel.review, input.reel_id) and workflow.patched(REVIEW_PATCH):
            script, composed, quality = await self._review(input, script, composed, quality)
            review = self.progress_state.review
            if review is not None and review.status == "rejected":
                return await self._rejected(input, script, composed, quality)
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
                remedies=list(self.remedies),
                topic_facts=list(input.topic.facts),
                topic_links=[u for u in [input.topic.url, *input.topic.links] if u],
                credits=self._credits(),
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
            manifest=self.manifest(),
        )

    async def _review(self, input: ReelInput, script: Script, composed: ComposedReel,
                      quality: QualityReport) -> tuple[Script, ComposedReel, QualityReport]:
        """Wait for a person's answer before anything is uploaded. `revise` makes the reel
        again from a script written with the notes, then waits again; no answer within the
        channel's `timeout_s` counts as its `on_timeout` answer."""
        config = input.channel.review
        review = ReviewState(max_revisions=config.max_revisions)
        self.progress_state.review = review
        meter = workflow.metric_meter().with_additional_attributes(
            {"channel": input.channel.name})
        while True:
            started = workflow.now()
            review.status, review.decision, review.text, review.by = "waiting", "", "", ""
            review.since = started.isoformat()
            review.deadline = (started + timedelta(seconds=config.timeout_s)).isoformat()
            self.answer = None
            self.progress_state.stage = "review"
            workflow.set_current_details(  # shown on the reel's page in the Temporal Web UI
                f"waiting for review since {review.since} (until {review.deadline})")
            meter.create_counter("monolathe_review_requests").add(1)
            await self._tell_channel(ReviewNotice(input.reel_id, True, review.since))
            try:
                await workflow.wait_condition(lambda: self.answer is not None,
                                              timeout=timedelta(seconds=config.timeout_s))
            except TimeoutError:
                pass
            if self.answer is None:  # nobody answered in time
                self._take(config.on_timeout, ReviewAnswer(
                    f"no answer within {config.timeout_s} s", by="timeout"))
                review.decision = f"timeout-{config.on_timeout}"
            decision = self.answer[0] if self.answer else ""
            review.latency_s = round((workflow.now() - started).total_seconds(), 3)
            seconds = self.progress_state.stage_seconds
            seconds["review"] = round(seconds.get("review", 0.0) + review.latency_s, 3)
            meter.create_counter("monolathe_review_answers").with_additional_attributes(
                {"decision": review.decision}).add(1)
            meter.create_histogram_float("monolathe_review_latency", unit="s").record(
                review.latency_s)
            workflow.set_current_details(f"review: {review.decision} {review.text}".strip())
            await self._tell_channel(ReviewNotice(input.reel_id, False))
            if decision != "revise":
                return script, composed, quality
            review.revisions += 1
            script, composed, quality = await self._make_media(input, review.text)

    async def _tell_channel(self, notice: ReviewNotice) -> None:
        """The parent channel lists its reels awaiting review in `status`."""
        parent = workflow.info().parent
        if parent is None:
            return
        try:
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                "reel_review", notice)
        except Exception as error:
            if is_cancelled_exception(error):
                raise
            # The channel may have ended (killed): the review itself goes on.
            workflow.logger.warning("could not tell %s about review: %s",
                                    parent.workflow_id, error)

    async def _rejected(self, input: ReelInput, script: Script, composed: ComposedReel,
                        quality: QualityReport) -> ReelResult:
        """Recorded with its reason and cost, never published."""
        review = self.progress_state.review
        reason = review.text if review else ""
        record = await self._record(input, script.title, "rejected", composed.video_uri, [],
                                    error=f"review: {reason}"[:2000], quality=quality)
        self.progress_state.stage = "rejected"
        return ReelResult(
            reel_id=input.reel_id, topic=input.topic.title, title=script.title,
            video_uri=composed.video_uri, sidecar_uri="", publications=[],
            costs=list(self.costs), stage_seconds=dict(self.progress_state.stage_seconds),
            total_usd=record.total_usd, status="rejected", reason=reason,
            manifest=self.manifest(),
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
        if input.channel.script.writer == "api" and workflow.patched("api-writer-v1"):
            return WRITE_SCRIPT_API
        return WRITE_SCRIPT

    async def _compose_remedied(
        self, input: ReelInput, voice: VoiceTrack, visuals_request: VisualsRequest,
        visuals: Visuals,
    ) -> tuple[ComposedReel, QualityReport]:
        """Compose and check until the reel passes, applying after each failed check the
        remedy for what failed; when a needed remedy is spent the reel fails, naming every
        attempt."""
        request = ComposeRequest(input.reel_id, input.channel.look, voice, visuals)
        spans = [(span.start, span.end) for span in voice.scenes]
        used: dict[str, int] = {}
        while True:
            composed = await self._stage(COMPOSE_REEL, request, ComposedReel)
            self.assets["video"] = composed.video_uri
            self.assets["cover"] = composed.cover_uri
            try:
                quality = await self._stage(
                    CHECK_QUALITY,
                    QualityRequest(input.reel_id, composed.video_uri, request.look,
                                   voice.duration_s, composed.captions_uri,
                                   composed.analysis_uri),
                    QualityReport,
                )
                return composed, quality
            except ActivityError as error:
                if _error_type(error) != "QualityFailed":
                    raise
                remedy = plan_remedy(_verdict(error), spans, used)
                done = remedy.describe() if remedy else "no remedy left"
                cause = error.cause
                failed = cause.message if isinstance(cause, ApplicationError) else _reason(error)
                self.remedies.append(f"{failed} -> {done}")
                if remedy is None:
                    raise ApplicationError(
                        f"quality checks failed {len(self.remedies)} times: "
                        + " | ".join(self.remedies),
                        type="QualityFailed", non_retryable=True) from error
                workflow.logger.warning("quality check failed; %s", self.remedies[-1])
                for kind in remedy.kinds:
                    used[kind] = used.get(kind, 0) + 1
                if VISUALS in remedy.kinds:
                    visuals_request = _new_visuals(visuals_request, remedy)
                    visuals = await self._stage(MAKE_VISUALS, visuals_request, Visuals)
                request = _remedied(request, remedy, visuals)

    async def _compose_checked(
        self, input: ReelInput, voice: VoiceTrack, visuals: Visuals
    ) -> tuple[ComposedReel, QualityReport]:
        """Before quality remedies: one safe recompose, then fail (older histories)."""
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
        self.results[stage.name] = result
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
            remedies=list(self.remedies),
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

