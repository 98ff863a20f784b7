"""ReelWorkflow: one topic in, one published reel out.

write_script -> synthesize_voice -> make_visuals -> compose_reel -> check_quality
-> publish_to_platform (one per remote platform, side by side) -> publish_reel (local
folder and sidecar) -> record_reel. A failed quality check gets the remedy for what failed
(workflows/remedies.py: new visuals for a black or frozen scene, a new mix, a new caption
layout, the safe compose) until the remedies are spent. Any other failure is recorded in the
ledger and ends the reel with a `ReelFailed` error that names the stage and the reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ComposedReel,
        ComposeRequest,
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
        Script,
        ScriptRequest,
        StageCost,
        Visuals,
        VisualsRequest,
        VoiceRequest,
        VoiceTrack,
    )
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
    from workflows.stages import (
        CHECK_QUALITY,
        COMPOSE_REEL,
        LIST_OWN_MEDIA,
        MAKE_VISUALS,
        MATCH_MEDIA,
        PUBLISH_REEL,
        PUBLISH_TO_PLATFORM,
        RECORD_REEL,
        SYNTHESIZE_VOICE,
        WRITE_SCRIPT,
        WRITE_SCRIPT_MLX,
        Stage,
    )

T = TypeVar("T")
# Each platform gets its own publish_to_platform call before the local publish and sidecar.
PUBLISH_PER_PLATFORM = "publish-per-platform-v1"
MEDIA_BY_MEANING = "media-by-meaning-v1"
# A failed quality check gets the remedy for what failed instead of one safe recompose.
QUALITY_REMEDIES = "quality-remedies-v1"
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
            await self._record_failure(input, stage, reason)
            raise ApplicationError(
                f"reel {input.reel_id} failed at {stage}: {reason}",
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
        visuals_request = VisualsRequest(input.reel_id, channel.look, script, voice.scenes,
                                         channel.media_dir,
                                         await self._media_by_meaning(input, script))
        visuals = await self._stage(MAKE_VISUALS, visuals_request, Visuals)
        if workflow.patched(QUALITY_REMEDIES):
            composed, quality = await self._compose_remedied(input, voice, visuals_request,
                                                             visuals)
        else:
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
                remedies=list(self.remedies),
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

    def _script_stage(self, input: ReelInput) -> Stage:
        # Only channels that chose a model ask the gpu queue; a template channel never calls
        # patched(), so histories recorded before the mlx writer replay unchanged.
        if input.channel.script.writer == "mlx" and workflow.patched("gpu-writer-v1"):
            return WRITE_SCRIPT_MLX
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
        )
        return await RECORD_REEL.execute(record, RecordResult, self.input.queues)

    async def _record_failure(self, input: ReelInput, stage: str, reason: str) -> None:
        try:
            await self._record(input, "", "failed", self.assets.get("video", ""), [],
                               error=f"{stage}: {reason}"[:2000])
        except ActivityError as error:
            # The failure itself is in history; a ledger outage must not mask it.
            workflow.logger.error("could not record failed reel %s: %s", input.reel_id,
                                  _reason(error))

