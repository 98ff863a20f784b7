"""ReelWorkflow: one topic in, one published reel out.

write_script -> synthesize_voice -> [footage] -> make_visuals -> compose_reel -> check_quality
-> [review: wait for a person's `approve`, `reject` or `revise` update] -> publish_to_platform
(one per remote platform, side by side) -> publish_reel (local folder and sidecar) ->
record_reel. A failed quality check gets the remedy for what failed (workflows/remedies.py:
new visuals for a black or frozen scene, a new mix, a new caption layout, the safe compose)
until the remedies are spent. Any other failure is recorded in the ledger and ends the reel
with a `ReelFailed` error that names the stage and the reason (its details carry what the
reel cost).

The paths live beside it, each mixed into the workflow: the footage path in
`reel_footage.py`, the quality loop in `reel_quality.py`, the review path in
`reel_review.py`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ComposedReel,
        PlatformPublishRequest,
        Publication,
        PublishRequest,
        PublishResult,
        QualityReport,
        RecordResult,
        ReelInput,
        ReelManifest,
        ReelProgress,
        ReelRecord,
        ReelResult,
        ReviewAnswer,
        ReviewState,
        RoutePlan,
        SceneClip,
        Script,
        ScriptRequest,
        StageCost,
        VisualDecision,
        Visuals,
        VisualsRequest,
        VoiceRequest,
        VoiceTrack,
    )
    from workflows.review import REVIEW_PATCH, needs_review
    from workflows.stages import (
        CHECK_QUALITY,
        COMPOSE_REEL,
        MAKE_VISUALS,
        PUBLISH_REEL,
        PUBLISH_TO_PLATFORM,
        RECORD_REEL,
        SYNTHESIZE_VOICE,
        WRITE_SCRIPT,
        WRITE_SCRIPT_API,
        WRITE_SCRIPT_MLX,
        Stage,
    )
    from workflows.visibility import OUTCOME, reel_updates
    from workflows.visibility import PATCH as VISIBILITY

from workflows.reel_errors import error_reason
from workflows.reel_footage import (
    ReelFootage,
    mean_relevance,
)
from workflows.reel_quality import QUALITY_REMEDIES, ReelQuality
from workflows.reel_relevance import ReelRelevance
from workflows.reel_review import ReelReview
from workflows.reel_timing import record_published

T = TypeVar("T")
# Each platform gets its own publish_to_platform call before the local publish and sidecar.
PUBLISH_PER_PLATFORM = "publish-per-platform-v1"












@workflow.defn
class ReelWorkflow(ReelFootage, ReelRelevance, ReelReview, ReelQuality):
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
            review=self.progress_state.review, relevance=mean_relevance(self._shown()),
            hook_style=self.input.hook_style,
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
            reason = error_reason(error)
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
            ScriptRequest(input.reel_id, channel, input.topic, notes, input.hook_style), Script
        )
        voice = await self._stage(
            SYNTHESIZE_VOICE, VoiceRequest(input.reel_id, channel.voice, script), VoiceTrack
        )
        self.assets["voice"] = voice.audio_uri
        footage = await self._footage(input, script, voice)
        visuals_request = VisualsRequest(input.reel_id, channel.look, script, voice.scenes,
                                         channel.media_dir,
                                         await self._media_by_meaning(input, script),
                                         footage=footage,
                                         illustrations=await self._illustrations(input, script))
        visuals = await self._stage(MAKE_VISUALS, visuals_request, Visuals)
        visuals_request, visuals = await self._relevant(input, script, visuals_request, visuals)
        relevance = workflow.metric_meter().create_histogram_float("monolathe_scene_relevance")
        for clip in visuals.clips:
            if clip.relevance >= 0:  # metrics are not commands: replay is unaffected
                # Channels are the operator's files, so the label stays bounded.
                relevance.with_additional_attributes(
                    {"source": clip.kind, "channel": channel.name}).record(clip.relevance)
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
        """Stock footage and icon library attribution lines, once each, for the description
        and sidecar."""
        lines = [d.attribution for d in self.decisions]
        lines += [clip.attribution for clip in self._shown()]
        return list(dict.fromkeys(line for line in lines if line))

    def _shown(self) -> list[SceneClip]:
        visuals = self.results.get(MAKE_VISUALS.name)
        return list(visuals.clips) if visuals else []

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
                scenes_shown=self._shown(),
            ),
            PublishResult,
        )
        self.assets["sidecar"] = published.sidecar_uri
        record_published(input)  # metrics are not commands: replay is unaffected
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









    def _script_stage(self, input: ReelInput) -> Stage:
        # Only channels that chose a model ask the gpu queue; a template channel never calls
        # patched(), so histories recorded before the mlx writer replay unchanged.
        if input.channel.script.writer == "mlx" and workflow.patched("gpu-writer-v1"):
            return WRITE_SCRIPT_MLX
        if input.channel.script.writer == "api" and workflow.patched("api-writer-v1"):
            return WRITE_SCRIPT_API
        return WRITE_SCRIPT



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
                        tiktok=channel.tiktok,
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
            hook_style=input.hook_style,
            relevance=mean_relevance(self._shown()),
            scene_relevance=[clip.relevance for clip in self._shown()],
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
                                  error_reason(error))
            return round(sum(cost.usd for cost in self.costs), 6)

