"""The reel's footage path: its own media matched by meaning, then paid and stock footage.

Channels whose `visuals.sources` name more than own/procedural: once the voice fixes the
scene durations, the reel lists the sources, reads the breakers and the channel's money,
routes every scene (workflows/routing.py), reserves the plan from its channel, then runs each
scene down its chain side by side, reporting every call to `backends/health` and settling the
real cost with the channel. Mixed into ReelWorkflow, whose state these methods read and add to.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    FailureError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        BackendOutcome,
        BudgetReservation,
        Footage,
        FootageContext,
        FootageContextRequest,
        FootageRequest,
        FootageSettlement,
        FootageSources,
        FootageSourcesRequest,
        IconMatches,
        IconMatchRequest,
        MediaMatches,
        MediaMatchRequest,
        OwnMedia,
        OwnMediaRequest,
        ReelInput,
        ReservationAnswer,
        RoutePlan,
        Scene,
        SceneAttempt,
        SceneClip,
        SceneIcons,
        SceneRoute,
        Script,
        StageCost,
        VisualDecision,
        VisualsPolicy,
        VoiceTrack,
    )
    from workflows.health import HEALTH_ID, BackendHealthWorkflow
    from workflows.routing import FREE, ILLUSTRATED, money_left, route
    from workflows.stages import (
        GENERATE_FOOTAGE,
        LIST_FOOTAGE_SOURCES,
        LIST_OWN_MEDIA,
        MATCH_ICONS,
        MATCH_MEDIA,
        READ_FOOTAGE_CONTEXT,
        RESERVE_FOOTAGE_BUDGET,
    )


from workflows.reel_errors import error_reason, error_type

MEDIA_BY_MEANING = "media-by-meaning-v1"
FOOTAGE_ROUTING = "footage-routing-v1"
ILLUSTRATED_SCENES = "illustrated-scenes-v1"
# Failures of one prompt or of our own request: the scene falls through, the source's
# breaker does not count them.
NOT_BACKEND_FAILURES = ("ContentRefused", "BadInput", "NotConfigured")
RESERVE_TRIES = 3
# Cosine similarity of MiniLM embeddings under which a scene keeps its generated visuals:
# related sentences score about 0.3-0.8, unrelated ones below 0.2.
MEDIA_MIN_SIMILARITY = 0.25


def mean_relevance(clips: list[SceneClip]) -> float:
    """The reel's relevance: the mean over its scored scenes, -1 when none was scored."""
    scored = [clip.relevance for clip in clips if clip.relevance >= 0]
    return round(sum(scored) / len(scored), 4) if scored else -1.0


class ReelFootage:
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

    async def _illustrations(self, input: ReelInput, script: Script) -> list[SceneIcons]:
        """OpenMoji icons for each scene by meaning (MiniLM on the gpu worker), or [] to draw
        every scene procedurally. Only channels naming `illustrated` call patched(), so
        earlier histories replay unchanged; a failed match leaves the scenes procedural."""
        if ILLUSTRATED not in input.channel.visuals.sources or not workflow.patched(
                ILLUSTRATED_SCENES):
            return []
        request = IconMatchRequest([scene.text for scene in script.scenes],
                                   [list(scene.keywords) for scene in script.scenes])
        try:
            found = await self._stage(MATCH_ICONS, request, IconMatches)
        except ActivityError as error:
            if is_cancelled_exception(error):
                raise
            workflow.logger.warning("no icons for %s, scenes stay procedural: %s",
                                    input.reel_id, error_reason(error))
            return []
        return found.scenes

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
                kind = error_type(error) or type(error.cause).__name__
                counts = kind not in NOT_BACKEND_FAILURES
                message = f"{kind}: {error_reason(error)}"[:300]
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
