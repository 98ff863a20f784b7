"""Which source makes each scene's visuals: a pure function of the channel's policy, the
catalog of sources this host knows, the breakers and the money left.

Deterministic and free of I/O, so ReelWorkflow runs it in workflow code (its result is in
history) and `monolathe estimate` runs the same arithmetic outside a workflow.

A source is dropped for the whole reel when it is unknown, not configured here, its breaker
refuses calls, it scores under `min_quality`, or one reel made with it alone would cost more
than the money left. The rest are ordered by `prefer`; `own`, `illustrated` and `procedural`
are free and always come last, in that order (procedural is the final fallback, added even
when the policy omits it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workflows.contracts import (
    BreakerView,
    EstimateRequest,
    ReelEstimate,
    RoutePlan,
    SceneRoute,
    SourceEstimate,
    SourceInfo,
    SourceSkip,
    VisualsPolicy,
)

OWN = "own"
ILLUSTRATED = "illustrated"  # OpenMoji icons matched by meaning, drawn by compose
PROCEDURAL = "procedural"
FREE = (OWN, ILLUSTRATED, PROCEDURAL)
PREFERENCES = ("quality", "cost", "speed")
# What `monolathe estimate` prices when no reel's scenes are known: the length of a typical
# reel of the template writer (six scenes of five seconds).
TYPICAL_SCENES = [5.0] * 6
CENT = 0.000001  # rounding slack when comparing dollars


def money_left(policy: VisualsPolicy, committed_usd: float,
               budget_left_usd: float | None) -> float:
    """The smaller of what one reel may still spend and what the channel may spend today."""
    per_reel = policy.max_usd_per_reel - committed_usd
    left = per_reel if budget_left_usd is None else min(per_reel, budget_left_usd)
    return max(0.0, left)


def clip_seconds(source: SourceInfo, scene_s: float) -> float:
    """The clip length a provider makes for a scene: the shortest of its lengths that covers
    the scene (compose trims it), else its longest (compose loops it); any length when it
    has no list, in whole seconds."""
    if source.kind == "still":
        return 0.0
    if not source.durations:
        return float(math.ceil(scene_s - CENT))
    covering = [d for d in source.durations if d >= scene_s - CENT]
    return min(covering) if covering else max(source.durations)


def scene_usd(source: SourceInfo, scene_s: float) -> float:
    """The price table's cost of one scene's clip from this source."""
    return round(source.usd_per_clip + source.usd_per_second * clip_seconds(source, scene_s), 6)


def reel_usd(source: SourceInfo, scene_durations: list[float]) -> float:
    return round(sum(scene_usd(source, d) for d in scene_durations), 6)


def _free_source(name: str) -> SourceInfo:
    return SourceInfo(name=name, kind="still" if name == OWN else "video", quality=0.0)


@dataclass(frozen=True)
class _Candidate:
    info: SourceInfo
    order: int  # position in the policy
    usd: float  # one reel


def _skip_reason(info: SourceInfo | None, name: str, policy: VisualsPolicy,
                 breaker: BreakerView | None, usd: float, money: float) -> str:
    if info is None:
        return "unknown source: not in this host's catalog"
    if not info.configured:
        return f"not configured: {info.reason or 'missing settings'}"
    if breaker is not None and not breaker.allows:
        if breaker.state == "half-open":
            return "breaker half-open: another reel holds the probe"
        return f"breaker open until {breaker.next_probe_at or 'a probe'}"
    if info.quality < policy.min_quality - CENT:
        return f"quality {info.quality:.2f} under min_quality {policy.min_quality:.2f}"
    if usd > money + CENT:
        return f"estimate ${usd:.4f} a reel over the ${money:.4f} left"
    return ""


def _sort_key(policy: VisualsPolicy, candidate: _Candidate) -> tuple[float, ...]:
    if policy.prefer == "cost":
        return (candidate.usd, -candidate.info.quality, candidate.order)
    if policy.prefer == "speed":
        return (candidate.info.seconds_per_clip, -candidate.info.quality, candidate.order)
    return (-candidate.info.quality, candidate.usd, candidate.order)


def route(policy: VisualsPolicy, catalog: list[SourceInfo], breakers: list[BreakerView],
          scene_durations: list[float], money_left_usd: float) -> RoutePlan:
    """One chain of sources per scene, every skipped source with its reason."""
    if policy.prefer not in PREFERENCES:
        raise ValueError(f"prefer: {policy.prefer!r} is not one of {', '.join(PREFERENCES)}")
    known = {s.name: s for s in catalog}
    health = {b.source: b for b in breakers}
    paid: list[_Candidate] = []
    skipped: list[SourceSkip] = []
    for order, name in enumerate(dict.fromkeys(policy.sources)):
        if name in FREE:
            continue
        info = known.get(name)
        usd = reel_usd(info, scene_durations) if info is not None else 0.0
        reason = _skip_reason(info, name, policy, health.get(name), usd, money_left_usd)
        if reason:
            skipped.append(SourceSkip(name, reason))
        elif info is not None:
            paid.append(_Candidate(info, order, usd))
    paid.sort(key=lambda c: _sort_key(policy, c))
    free = [n for n in FREE if n in policy.sources or n == PROCEDURAL]
    chain = [c.info.name for c in paid] + free
    scenes = []
    for index, seconds in enumerate(scene_durations):
        first = paid[0].info if paid else known.get(chain[0]) or _free_source(chain[0])
        scenes.append(SceneRoute(index, seconds, list(chain), scene_usd(first, seconds)))
    # A scene falling through may land on a dearer source than its first choice: hold the
    # dearest chain member's price per scene, so a settlement never passes its reservation.
    reserve = sum(max((scene_usd(c.info, s.duration_s) for c in paid), default=0.0)
                  for s in scenes)
    return RoutePlan(
        scenes=scenes,
        skipped=skipped,
        prefer=policy.prefer,
        money_left_usd=round(money_left_usd, 6),
        estimate_usd=round(sum(s.estimate_usd for s in scenes), 6),
        reserve_usd=round(reserve, 6),
    )


def estimate_sources(policy: VisualsPolicy, catalog: list[SourceInfo],
                     breakers: list[BreakerView], scene_durations: list[float],
                     money_left_usd: float) -> list[SourceEstimate]:
    """What one reel costs with each of the policy's sources, and whether the router would
    take it now (the same reasons as `route`)."""
    known = {s.name: s for s in catalog}
    health = {b.source: b for b in breakers}
    rows = []
    for name in dict.fromkeys(policy.sources):
        info = known.get(name) or (_free_source(name) if name in FREE else None)
        usd = reel_usd(info, scene_durations) if info is not None else 0.0
        reason = "" if name in FREE else _skip_reason(
            info, name, policy, health.get(name), usd, money_left_usd)
        rows.append(SourceEstimate(name, usd, not reason, reason))
    return rows


def reels_that_fit(reel_cost_usd: float, budget_left_usd: float) -> int:
    """How many more reels of this footage cost today's budget pays for; -1 when free."""
    if reel_cost_usd <= CENT:
        return -1
    return max(0, int((budget_left_usd + CENT) // reel_cost_usd))


def estimate_reel(channel: str, policy: VisualsPolicy, request: EstimateRequest,
                  budget_left_usd: float) -> ReelEstimate:
    """What `monolathe estimate` and the channel's `estimate` query show."""
    left = max(budget_left_usd, 0.0)
    scenes = request.scene_durations or TYPICAL_SCENES
    money = money_left(policy, 0.0, left)
    plan = route(policy, request.catalog, request.breakers, scenes, money)
    return ReelEstimate(
        channel=channel,
        per_source=estimate_sources(policy, request.catalog, request.breakers, scenes, money),
        chosen=plan.scenes[0].chain if plan.scenes else [],
        reel_usd=plan.estimate_usd,
        budget_left_usd=round(left, 6),
        reels_that_fit=reels_that_fit(plan.estimate_usd, left),
    )
