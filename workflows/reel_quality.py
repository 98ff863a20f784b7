"""The reel's quality loop: compose, check, and for a failed check the remedy for what failed
(workflows/remedies.py) until the remedies are spent. Mixed into ReelWorkflow.
"""

from __future__ import annotations

from dataclasses import replace

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ComposedReel,
        ComposeRequest,
        QualityReport,
        QualityRequest,
        ReelInput,
        Visuals,
        VisualsRequest,
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
        MAKE_VISUALS,
    )


def _verdict(error: ActivityError) -> Verdict:
    cause = error.cause
    details = cause.details if isinstance(cause, ApplicationError) else ()
    report = details[0] if details and isinstance(details[0], dict) else {}
    return Verdict.of(report) if report else Verdict(failed={"unknown": error_reason(error)})


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


# A failed quality check gets the remedy for what failed instead of one safe recompose.
QUALITY_REMEDIES = "quality-remedies-v1"
from workflows.reel_errors import error_reason, error_type


class ReelQuality:
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
                if error_type(error) != "QualityFailed":
                    raise
                remedy = plan_remedy(_verdict(error), spans, used)
                done = remedy.describe() if remedy else "no remedy left"
                cause = error.cause
                failed = cause.message if isinstance(cause, ApplicationError) else error_reason(error)
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
                if error_type(error) != "QualityFailed" or safe:
                    raise
                workflow.logger.warning("quality check failed, recomposing safely: %s",
                                        error_reason(error))
        raise AssertionError("unreachable: the safe pass returns or raises")
