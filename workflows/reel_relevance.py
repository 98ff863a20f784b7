"""The reel's relevance: what each scene shows, scored against what is said over it, and the
channel's `visuals.min_relevance` remedy. Mixed into ReelWorkflow.

Illustrated scenes come scored from match_icons; stock, generated and own-media scenes are
scored here, once visuals are chosen, by `score_scene_relevance` (MiniLM on the gpu queue): the
scene's text against the clip's `shows` (a stock clip's title or search query, a generated
clip's prompt, own media's file words). A host without a gpu worker is not an error: the reel
waits `relevance_wait_s` for one to take the work, then those scenes stay unscored (-1).

A scene scored under the channel's `visuals.min_relevance` is made again, once, by the next
source of its chain (footage) or drawn procedurally (icons, own media), and its note says why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        FootageSettlement,
        ReelInput,
        RelevanceScores,
        SceneClip,
        SceneRelevanceRequest,
        Script,
        Visuals,
        VisualsRequest,
    )
    from workflows.routing import ILLUSTRATED, OWN, PROCEDURAL
    from workflows.stages import MAKE_VISUALS, SCORE_SCENE_RELEVANCE

from workflows.reel_errors import error_reason

SCENE_RELEVANCE = "scene-relevance-v1"


def unscored(clips: list[SceneClip]) -> list[int]:
    """The scenes that show something in words and have no relevance yet."""
    return [i for i, clip in enumerate(clips) if clip.relevance < 0 and clip.shows.strip()]


def under(clips: list[SceneClip], threshold: float) -> list[int]:
    """The scored scenes under the channel's threshold (none when it is 0, off)."""
    if threshold <= 0:
        return []
    return [i for i, clip in enumerate(clips) if 0 <= clip.relevance < threshold]


def made_by(clip: SceneClip) -> str:
    """Which source a clip came from, in the words of the channel's `visuals.sources`."""
    if clip.kind in (PROCEDURAL, ILLUSTRATED):
        return clip.kind
    return clip.source.split(":", 1)[0] if ":" in clip.source else OWN


class ReelRelevance:
    async def _relevant(self, input: ReelInput, script: Script, request: VisualsRequest,
                        visuals: Visuals) -> tuple[VisualsRequest, Visuals]:
        """Visuals with every scene that shows something scored, and those under the
        channel's threshold made again once. Reels with nothing to score and nothing to
        remake never call patched(), so their histories stay as they were."""
        threshold = input.channel.visuals.min_relevance
        if not unscored(visuals.clips) and not under(visuals.clips, threshold):
            return request, visuals
        if not workflow.patched(SCENE_RELEVANCE):
            return request, visuals
        visuals = await self._score(input, script, visuals, unscored(visuals.clips))
        low = under(visuals.clips, threshold)
        if not low:
            return request, visuals
        request, notes = await self._remake_request(input, script, request, visuals, low)
        again = await self._stage(MAKE_VISUALS, request, Visuals)  # type: ignore[attr-defined]
        clips = list(again.clips)
        for i, clip in enumerate(clips):
            if i in notes:
                clips[i] = replace(clip, note=f"{notes[i]}: remade by {made_by(clip)}")
            elif clip.relevance < 0:  # drawn again as it was: its score stands
                clips[i] = replace(clip, relevance=visuals.clips[i].relevance)
        again = replace(again, clips=clips)
        again = await self._score(input, script, again, [i for i in unscored(clips) if i in notes])
        self.results[MAKE_VISUALS.name] = again  # type: ignore[attr-defined]
        return request, again

    async def _score(self, input: ReelInput, script: Script, visuals: Visuals,
                     scenes: list[int]) -> Visuals:
        if not scenes:
            return visuals
        stage = SCORE_SCENE_RELEVANCE
        progress = self.progress_state  # type: ignore[attr-defined]
        progress.stage = stage.name
        started = workflow.now()
        try:
            scores = await stage.execute_if_taken(
                SceneRelevanceRequest([script.scenes[i].text for i in scenes],
                                      [visuals.clips[i].shows for i in scenes]),
                RelevanceScores, input.queues, timedelta(seconds=input.relevance_wait_s))
        except ActivityError as error:
            if is_cancelled_exception(error):
                raise
            workflow.logger.warning("scene relevance unavailable for %s, scenes stay unscored:"
                                    " %s", input.reel_id, error_reason(error))
            return visuals
        finally:
            seconds = progress.stage_seconds
            seconds[stage.name] = round(seconds.get(stage.name, 0.0)
                                        + (workflow.now() - started).total_seconds(), 3)
        if scores.cost is not None:
            self.costs.append(scores.cost)  # type: ignore[attr-defined]
        clips = list(visuals.clips)
        for i, score in zip(scenes, scores.scores, strict=False):
            clips[i] = replace(clips[i], relevance=score)
        visuals = replace(visuals, clips=clips)
        self.results[MAKE_VISUALS.name] = visuals  # type: ignore[attr-defined]
        return visuals

    async def _remake_request(self, input: ReelInput, script: Script, request: VisualsRequest,
                              visuals: Visuals, low: list[int]
                              ) -> tuple[VisualsRequest, dict[int, str]]:
        """The visuals request that makes each low scene again, and each one's note.

        A footage scene goes on down its chain from the source after the one that made it;
        an icon or own-media scene (or a chain whose next source is free) is drawn again as
        the quality remedy does: its variant moves on, so own media and icons give way to the
        procedural render."""
        threshold = input.channel.visuals.min_relevance
        count = len(request.scenes)
        variants = list(request.variants or [0] * count)
        footage = list(request.footage)
        plan = self.plan  # type: ignore[attr-defined]
        routes = {r.scene: r for r in plan.scenes} if plan else {}
        decisions = {d.scene: k for k, d in enumerate(self.decisions)}  # type: ignore[attr-defined]
        notes: dict[int, str] = {}
        extra_usd = 0.0
        for i in low:
            clip = visuals.clips[i]
            notes[i] = f"relevance {clip.relevance:.2f} under {threshold:g}"
            route, at = routes.get(i), decisions.get(i)
            if footage and footage[i].uri and route is not None and at is not None:
                decision = self.decisions[at]  # type: ignore[attr-defined]
                rest = route.chain[route.chain.index(decision.chosen) + 1:] or [PROCEDURAL]
                made, again = await self._scene_footage(  # type: ignore[attr-defined]
                    input, script.scenes[i], replace(route, chain=rest), plan)
                decision.chosen, decision.usd = again.chosen, round(decision.usd + again.usd, 6)
                decision.attribution = again.attribution or decision.attribution
                decision.attempts.extend(again.attempts)
                extra_usd += again.usd
                footage[i] = made
                if made.uri or again.chosen != PROCEDURAL:
                    continue  # a clip from the next source, or the next free one picks
            if footage:
                footage[i] = replace(footage[i], uri="")
            variants[i] += 1
        parent = workflow.info().parent
        if extra_usd > 0 and parent is not None:
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                "settle", FootageSettlement(input.reel_id, round(extra_usd, 6)))
        return replace(request, variants=variants, footage=footage), notes
