"""The footage router: a pure function of policy, catalog, breakers and money."""

from __future__ import annotations

import pytest

from workflows.contracts import BreakerView, SourceInfo, VisualsPolicy
from workflows.routing import (
    clip_seconds,
    estimate_sources,
    money_left,
    reel_usd,
    reels_that_fit,
    route,
)

CATALOG = [
    SourceInfo("runway", "video", 0.95, usd_per_second=0.05, durations=[5, 10],
               seconds_per_clip=60),
    SourceInfo("veo", "video", 0.92, usd_per_second=0.15, durations=[4, 6, 8],
               seconds_per_clip=90),
    SourceInfo("replicate", "video", 0.75, usd_per_clip=0.02, seconds_per_clip=40),
    SourceInfo("replicate-flux", "still", 0.6, usd_per_clip=0.003, seconds_per_clip=3),
    SourceInfo("pexels", "video", 0.65, seconds_per_clip=2),
    SourceInfo("pixabay", "video", 0.6, configured=False, reason="no key"),
]
SCENES = [4.0, 6.0, 5.5]


def _policy(**fields) -> VisualsPolicy:
    base = {"sources": ["veo", "runway", "replicate", "pexels", "procedural"],
            "min_quality": 0.0, "max_usd_per_reel": 10.0, "prefer": "quality"}
    return VisualsPolicy(**{**base, **fields})


def test_clip_length_is_the_shortest_that_covers_the_scene():
    runway = CATALOG[0]
    assert clip_seconds(runway, 4.0) == 5
    assert clip_seconds(runway, 7.5) == 10
    assert clip_seconds(runway, 12.0) == 10  # compose loops the longest
    assert clip_seconds(CATALOG[4], 5.2) == 6  # any length: whole seconds
    assert clip_seconds(CATALOG[3], 9.0) == 0  # stills are per clip


def test_estimate_is_price_table_times_clip_length():
    assert reel_usd(CATALOG[0], SCENES) == pytest.approx(0.05 * (5 + 10 + 10))
    assert reel_usd(CATALOG[1], SCENES) == pytest.approx(0.15 * (4 + 6 + 6))
    assert reel_usd(CATALOG[3], SCENES) == pytest.approx(0.009)


def test_prefer_quality_orders_by_score_and_free_sources_come_last():
    plan = route(_policy(), CATALOG, [], SCENES, 10.0)
    assert plan.scenes[0].chain == ["runway", "veo", "replicate", "pexels", "procedural"]
    assert plan.estimate_usd == pytest.approx(reel_usd(CATALOG[0], SCENES))
    # a fall-through to veo may cost more than runway: the reservation holds the dearest
    assert plan.reserve_usd == pytest.approx(0.15 * 4 + 0.15 * 6 + 0.15 * 6)


def test_prefer_cost_and_speed():
    cheap = route(_policy(prefer="cost"), CATALOG, [], SCENES, 10.0)
    assert cheap.scenes[0].chain[:2] == ["pexels", "replicate"]
    fast = route(_policy(prefer="speed"), CATALOG, [], SCENES, 10.0)
    assert fast.scenes[0].chain[:3] == ["pexels", "replicate", "runway"]


def test_every_dropped_source_has_its_reason():
    policy = _policy(sources=["veo", "runway", "pixabay", "replicate", "nope", "pexels"],
                     min_quality=0.7, max_usd_per_reel=1.5)
    breakers = [BreakerView("runway", "open", False, next_probe_at="2026-01-01T00:05:00")]
    plan = route(policy, CATALOG, breakers, SCENES, money_left(policy, 0.0, 5.0))
    reasons = {s.source: s.reason for s in plan.skipped}
    assert reasons["runway"].startswith("breaker open until 2026-01-01T00:05:00")
    assert reasons["pixabay"] == "not configured: no key"
    assert reasons["nope"].startswith("unknown source")
    assert reasons["pexels"] == "quality 0.65 under min_quality 0.70"
    assert reasons["veo"].startswith("estimate $2.4000 a reel over the $1.5000 left")
    assert plan.scenes[0].chain == ["replicate", "procedural"]  # procedural always last


def test_nothing_affordable_leaves_the_free_sources():
    policy = _policy(sources=["veo", "runway", "own", "procedural"])
    plan = route(policy, CATALOG, [], SCENES, money_left(policy, 0.0, 0.01))
    assert [s.chain for s in plan.scenes] == [["own", "procedural"]] * 3
    assert plan.estimate_usd == 0 and plan.reserve_usd == 0


def test_money_left_is_the_smaller_of_reel_cap_and_day():
    policy = _policy(max_usd_per_reel=0.10)
    assert money_left(policy, 0.0, None) == pytest.approx(0.10)
    assert money_left(policy, 0.04, 1.0) == pytest.approx(0.06)
    assert money_left(policy, 0.0, 0.03) == pytest.approx(0.03)
    assert money_left(policy, 0.0, -1.0) == 0.0


def test_half_open_probe_held_elsewhere_is_skipped():
    breakers = [BreakerView("veo", "half-open", False)]
    plan = route(_policy(sources=["veo"]), CATALOG, breakers, SCENES, 10.0)
    assert plan.skipped[0].reason == "breaker half-open: another reel holds the probe"
    assert plan.scenes[0].chain == ["procedural"]


def test_estimate_rows_and_reels_that_fit():
    policy = _policy(max_usd_per_reel=0.5)
    rows = {r.source: r for r in estimate_sources(policy, CATALOG, [], SCENES, 0.5)}
    assert rows["pexels"].fits and rows["pexels"].usd == 0
    assert not rows["veo"].fits and rows["procedural"].fits
    assert reels_that_fit(0.06, 1.0) == 16
    assert reels_that_fit(0.0, 1.0) == -1


def test_unknown_preference_is_refused():
    with pytest.raises(ValueError, match="prefer"):
        route(_policy(prefer="vibes"), CATALOG, [], SCENES, 1.0)
