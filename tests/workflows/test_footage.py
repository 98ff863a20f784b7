"""Footage routing, money and breakers under Temporal (time-skipping server), with the
footage activities doubled under their real names and the real control activities."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from workers.estimates import read_backends
from workers.telemetry.probe import TemporalProbe
from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    BackendsView,
    BreakerSettings,
    BudgetReservation,
    BudgetUpdate,
    ChannelInput,
    ChannelStatus,
    EstimateRequest,
    SourceInfo,
    VisualsPolicy,
)
from workflows.health import HEALTH_ID, BackendHealthWorkflow

CATALOG = [
    SourceInfo("veo", "video", 0.92, usd_per_second=0.15, durations=[4, 6, 8]),
    SourceInfo("runway", "video", 0.95, usd_per_second=0.05, durations=[5, 10]),
    SourceInfo("replicate-flux", "still", 0.6, usd_per_clip=0.003),
    SourceInfo("pexels", "video", 0.65),
]
BREAKERS = BreakerSettings(failures_to_open=3, cooldown_s=600, max_cooldown_s=3600)


def _doubles(prefix: str, policy: VisualsPolicy, daily: float = 5.0, **fields) -> Doubles:
    config = channel_config(name=unique(prefix), daily_budget_usd=daily, visuals=policy)
    return Doubles(config, **{"catalog": list(CATALOG), "scenes": 2, **fields})


async def _run_channel(env: WorkflowEnvironment, doubles: Doubles, reels: int):
    handle = await env.client.start_workflow(
        ChannelWorkflow.run, ChannelInput(channel=doubles.config.name, max_reels=reels),
        id=f"channel/{doubles.config.name}", task_queue=QUEUE)
    return handle, await handle.result()


async def _until(handle, predicate) -> ChannelStatus:
    for _ in range(400):
        status = await handle.query(ChannelWorkflow.status)
        if predicate(status):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never met; last status {status}")


async def _health(env: WorkflowEnvironment) -> dict:
    view: BackendsView = await env.client.get_workflow_handle(HEALTH_ID).query(
        BackendHealthWorkflow.breakers)
    return {b.source: b for b in view.breakers}


@pytest.fixture(params=["time_env", "dev_env"])
def any_env(request: pytest.FixtureRequest) -> WorkflowEnvironment:
    """The time-skipping server, and the real dev server (update-with-start, updates and
    external signals as production runs them)."""
    return request.getfixturevalue(request.param)


async def test_reel_routes_scenes_reserves_and_settles(any_env: WorkflowEnvironment):
    time_env = any_env
    policy = VisualsPolicy(sources=["runway", "pexels", "procedural"], max_usd_per_reel=2.0)
    # record_reel answers what the ledger would: the footage ($1.00) plus the rest ($0.01)
    doubles = _doubles("route", policy, reel_usd=1.01)
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        handle, result = await _run_channel(time_env, doubles, 1)
        status: ChannelStatus = await handle.query(ChannelWorkflow.status)
    assert result.published == 1
    assert [c.source for c in doubles.footage_calls] == ["runway", "runway"]
    record = doubles.records[-1]
    assert [d.chosen for d in record.visual_decisions] == ["runway", "runway"]
    estimate = sum(d.estimate_usd for d in record.visual_decisions)
    settled = sum(d.usd for d in record.visual_decisions)
    assert estimate == pytest.approx(1.0)  # two 10 s scenes: 10 s runway clips at $0.05/s
    assert abs(settled - estimate) <= 0.05 * estimate
    # settled when the footage was made, the rest when the reel finished: counted once
    assert status.spend_today_usd == pytest.approx(1.01)
    assert status.reserved_usd == 0


async def test_over_budget_takes_a_cheaper_source_then_a_free_one(
        time_env: WorkflowEnvironment):
    policy = VisualsPolicy(sources=["veo", "replicate-flux", "procedural"],
                           max_usd_per_reel=1.0)
    doubles = _doubles("cheap", policy)
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        _, result = await _run_channel(time_env, doubles, 1)
    assert result.published == 1
    decisions = doubles.records[-1].visual_decisions
    assert [d.chosen for d in decisions] == ["replicate-flux"] * 2
    assert decisions[0].skipped[0].source == "veo"
    assert "over the $1.0000 left" in decisions[0].skipped[0].reason

    broke = _doubles("broke", VisualsPolicy(sources=["veo", "replicate-flux", "procedural"],
                                            max_usd_per_reel=1.0), daily=0.004)
    async with worker(time_env.client, broke, BREAKERS, sticky=False):
        _, result = await _run_channel(time_env, broke, 1)
    assert [d.chosen for d in broke.records[-1].visual_decisions] == ["procedural"] * 2
    assert not broke.footage_calls


async def test_reservation_over_the_daily_budget_is_refused(time_env: WorkflowEnvironment):
    doubles = _doubles("refuse", VisualsPolicy(sources=["procedural"]), daily=1.0, reel_usd=0.0)
    doubles.config.cadence.slot_seconds = 3600
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        handle = await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=doubles.config.name, max_reels=2),
            id=f"channel/{doubles.config.name}", task_queue=QUEUE)
        # the budget is known once the channel has loaded its config
        await _until(handle, lambda s: s.daily_budget_usd > 0)
        held = await handle.execute_update(ChannelWorkflow.reserve,
                                           BudgetReservation("reel/x/1", 0.7))
        assert held.accepted and held.budget_left_usd == pytest.approx(0.3)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(ChannelWorkflow.reserve,
                                        BudgetReservation("reel/x/2", 0.4))
        assert "passes the daily budget" in str(refused.value.cause)
        status = await handle.query(ChannelWorkflow.status)
        assert status.reserved_usd == pytest.approx(0.7)
        estimate = await handle.query(ChannelWorkflow.estimate, EstimateRequest(CATALOG))
        assert estimate.budget_left_usd == pytest.approx(0.3)
        await handle.signal(ChannelWorkflow.kill)
        await handle.result()


async def test_breaker_opens_after_three_failures_for_every_channel_then_a_probe_closes_it(
        time_env: WorkflowEnvironment):
    source = unique("veo")  # a source of its own: the health workflow is shared
    catalog = [SourceInfo(source, "video", 0.95, usd_per_second=0.01), *CATALOG]
    policy = VisualsPolicy(sources=[source, "pexels", "procedural"], max_usd_per_reel=2.0)
    failing = _doubles("down", policy, scenes=1)
    failing.catalog = catalog
    failing.footage_faults[source] = ["down", "down", "refused", "down"]
    async with worker(time_env.client, failing, BREAKERS, sticky=False):
        _, result = await _run_channel(time_env, failing, 4)
        breakers = await _health(time_env)
    assert result.published == 4
    # three outages (a moderation refusal does not count) opened it
    assert breakers[source].state == "open" and breakers[source].failures == 3
    chosen = [r.visual_decisions[0].chosen for r in failing.records]
    assert chosen == ["pexels"] * 4

    other = _doubles("other", policy, scenes=1)
    other.catalog = catalog
    async with worker(time_env.client, other, BREAKERS, sticky=False):
        _, result = await _run_channel(time_env, other, 1)
        decision = other.records[-1].visual_decisions[0]
        assert decision.chosen == "pexels"
        assert decision.skipped[0].reason.startswith("breaker open until")
        await time_env.sleep(timedelta(seconds=BREAKERS.cooldown_s + 1))
        again = _doubles("probe", policy, scenes=1)
        again.catalog = catalog
    async with worker(time_env.client, again, BREAKERS, sticky=False):
        _, result = await _run_channel(time_env, again, 1)
        breakers = await _health(time_env)
    assert again.records[-1].visual_decisions[0].chosen == source  # the probe
    assert breakers[source].state == "closed" and breakers[source].failures == 0


async def test_the_channels_estimate_reads_the_control_plane(time_env: WorkflowEnvironment):
    policy = VisualsPolicy(sources=["veo", "runway", "replicate-flux", "procedural"],
                           max_usd_per_reel=2.0)
    doubles = _doubles("estimate", policy, daily=3.0, reel_usd=0.0)
    doubles.config.cadence.slot_seconds = 3600
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        handle = await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=doubles.config.name, max_reels=2),
            id=f"channel/{doubles.config.name}", task_queue=QUEUE)
        await _until(handle, lambda s: s.published)  # the first reel listed the catalog
        backends = await read_backends(time_env.client)
        report = await handle.query(ChannelWorkflow.estimate,
                                    EstimateRequest(backends.catalog, backends.breakers))
        await handle.signal(ChannelWorkflow.kill)
        await handle.result()
    rows = {r.source: r for r in report.per_source}
    assert rows["veo"].usd == pytest.approx(0.15 * 6 * 6) and not rows["veo"].fits
    assert rows["runway"].usd == pytest.approx(0.05 * 5 * 6) and rows["runway"].fits
    assert report.chosen == ["runway", "replicate-flux", "procedural"]
    assert report.reel_usd == pytest.approx(1.5)
    spent = sum(d.usd for d in doubles.records[0].visual_decisions)
    assert report.budget_left_usd == pytest.approx(3.0 - spent)
    assert report.reels_that_fit == int((3.0 - spent) // report.reel_usd)
    assert {b.source for b in backends.breakers} >= {"runway", "replicate-flux"}


async def test_probe_reads_breakers_and_budget_overrides(time_env: WorkflowEnvironment):
    doubles = _doubles("probe-budget", VisualsPolicy(sources=["pexels", "procedural"]),
                       daily=5.0, reel_usd=0.0)
    doubles.config.cadence.slot_seconds = 3600
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        handle = await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=doubles.config.name, max_reels=2),
            id=f"channel/{doubles.config.name}", task_queue=QUEUE)
        await _until(handle, lambda s: s.published)
        await handle.execute_update(ChannelWorkflow.set_budget, BudgetUpdate(2.5))
        probe = TemporalProbe(time_env.client, [QUEUE], [doubles.config.name, "not-running"])
        await probe.refresh_control_plane()
        await handle.signal(ChannelWorkflow.kill)
        await handle.result()
    assert probe.daily_budgets == {doubles.config.name: 2.5}
    assert "pexels" in {b.source for b in probe.breakers}


async def test_a_cancelled_reel_releases_its_reservation(dev_env: WorkflowEnvironment):
    # On the dev server: a call held across a cancel left the time-skipping server unable
    # to skip time for the tests after this one.
    time_env = dev_env
    policy = VisualsPolicy(sources=["runway", "procedural"], max_usd_per_reel=2.0)
    doubles = _doubles("release", policy, daily=3.0, reel_usd=0.0, hold_footage=True)
    doubles.config.cadence.slot_seconds = 3600
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        handle = await time_env.client.start_workflow(
            ChannelWorkflow.run, ChannelInput(channel=doubles.config.name, max_reels=2),
            id=f"channel/{doubles.config.name}", task_queue=QUEUE)
        status = await _until(handle, lambda s: s.reserved_usd > 0)
        assert status.reserved_usd == pytest.approx(1.0)  # two 10 s runway clips
        reel_id = next(iter(status.in_flight))
        await time_env.client.get_workflow_handle(reel_id).cancel()
        status = await _until(handle, lambda s: not s.in_flight)
        doubles.hold_footage = False
        await handle.signal(ChannelWorkflow.kill)
        await handle.result()
    assert status.reserved_usd == 0 and status.spend_today_usd == 0
    assert status.last_reels[-1].status == "cancelled"


async def test_a_failed_reels_spend_counts_toward_the_day(time_env: WorkflowEnvironment):
    doubles = _doubles("fail", VisualsPolicy(sources=["procedural"]), reel_usd=0.25,
                       fail_voice="voice.model: missing")
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        handle, result = await _run_channel(time_env, doubles, 1)
        status = await handle.query(ChannelWorkflow.status)
    assert result.failed == 1
    assert status.spend_today_usd == pytest.approx(0.25)
    assert result.reels[-1].usd == pytest.approx(0.25)


async def test_demo_policy_never_lists_sources(time_env: WorkflowEnvironment):
    doubles = _doubles("offline", VisualsPolicy(sources=["own", "procedural"]))
    async with worker(time_env.client, doubles, BREAKERS, sticky=False):
        _, result = await _run_channel(time_env, doubles, 1)
    assert result.published == 1
    assert "list_footage_sources" not in doubles.calls
    assert doubles.records[-1].visual_decisions == []
