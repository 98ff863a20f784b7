"""The reel's review path: waiting for a person's `approve`, `reject` or `revise`, telling the
channel, and recording a rejected reel. Mixed into ReelWorkflow, whose update handlers call
`_refuse` (validators) and `_take` (handlers).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import (
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        ComposedReel,
        QualityReport,
        ReelInput,
        ReelResult,
        ReviewAnswer,
        ReviewNotice,
        ReviewState,
        Script,
    )
    from workflows.review import refusal





class ReelReview:
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
