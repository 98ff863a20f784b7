"""What the next reel of a channel will cost, before anything is made.

One estimate for `monolathe estimate`, `POST /cost-estimate`, a manifest's `estimate_usd`
and the MCP tool. It needs neither workers nor reels in the ledger:

- footage: the price tables of temporal.yaml (`visuals.sources`, with the models they name)
  over the scenes the channel's script writer would make of its feed's topics (or of one
  given topic), routed by the same pure function a reel routes with (workflows/routing.py);
- script: `llm.prices` of the configured model, for channels whose writer is an API;
- what only running reels tell (CPU seconds of voice, compose, checks): the mean of the
  channel's last reels in the ledger, once there are some.

Seconds per clip come from the table's `seconds_per_clip` until clips have been made, then
from the ledger's measured footage rows; every figure says which one it used.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.config import Settings, load_channel
from activities.ledger import CostRow, Ledger, ReelRow
from workflows.contracts import BackendsView, ChannelConfig, EstimateRequest, SourceInfo, Topic
from workflows.routing import TYPICAL_SCENES, estimate_reel

SAMPLE = 20  # recent reels whose measured costs join the estimate
SCENE_GAP_S = 0.3  # activities/voice.py: the breath after each scene, part of its span
# Piper's joe-us voice at speed 1.0 over the template writer's 60 scenes of the demo feed
# (least squares; 0.23 s rms per scene): a fixed part, a part per character and a pause at
# each comma or semicolon.
SCENE_FIXED_S = 0.4347
SECONDS_PER_CHAR = 0.0473
SECONDS_PER_PAUSE = 0.3173
# An API writer's request: the prompt with the topic's facts (input) and at most
# script.max_tokens of answer (output).
PROMPT_TOKENS = 900
PRICED_STAGES = ("footage", "script")
# No worker to answer (a fresh install, workers stopped): the estimate goes on without.
QUERY_TIMEOUT = timedelta(seconds=3)


@dataclass
class SourceCost:
    source: str
    usd: float  # one reel with this source for every scene (price table)
    fits: bool  # would the router take it now
    reason: str  # why not
    state: str  # its breaker, or why it cannot run here
    seconds_per_clip: float  # wall time to make one clip
    seconds_basis: str  # "price table" | "measured over N clips"


@dataclass
class CostEstimate:
    channel: str
    preset: str
    usd: float  # one reel, every stage
    basis: str  # what the figures rest on, in words
    by_stage: dict[str, float]
    footage_usd: float
    chosen: list[str]  # the chain the policy takes for a scene
    per_source: list[SourceCost]
    scenes: list[float]  # the scene lengths priced, seconds
    scenes_basis: str
    budget_left_usd: float
    reels_that_fit: int  # -1 = any (free)
    reels: int  # reels in the ledger behind the measured figures (0 = tables only)
    measured_by_stage: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def catalog(settings: Settings) -> list[SourceInfo]:
    """Every source of temporal.yaml as this host sees it (keys, client libraries)."""
    from activities.footage import LOCAL_SOURCES, describe

    known = [describe(settings, name) for name in settings.visuals.sources]
    # own media and the procedural render run on every host, listed in the table or not
    return known + [SourceInfo(name=n, kind="still" if n == "own" else "video", quality=0.0)
                    for n in LOCAL_SOURCES if n not in settings.visuals.sources]


def breaker_state(info: SourceInfo, view: BackendsView) -> str:
    if not info.configured:
        return f"not configured ({info.reason})"
    breaker = next((b for b in view.breakers if b.source == info.name), None)
    if breaker is None:
        return "closed (no calls yet)"
    return breaker.state


async def read_backends(client: Client | None) -> BackendsView:
    """The shared breakers, or none when Temporal is not there, no worker answers, or no
    reel has routed footage yet."""
    from workflows.health import HEALTH_ID, BackendHealthWorkflow

    if client is None:
        return BackendsView([], [])
    try:
        return await client.get_workflow_handle(HEALTH_ID).query(
            BackendHealthWorkflow.breakers, rpc_timeout=QUERY_TIMEOUT)
    except RPCError:
        return BackendsView([], [])


def scene_seconds(text: str, speed: float) -> float:
    pauses = text.count(",") + text.count(";")
    spoken = SCENE_FIXED_S + SECONDS_PER_CHAR * len(text) + SECONDS_PER_PAUSE * pauses
    return round(spoken / max(speed, 0.1) + SCENE_GAP_S, 3)


def predicted_scenes(config: ChannelConfig, topics: list[Topic]) -> tuple[list[list[float]], str]:
    """The scene lengths of a reel per topic, and how they were found."""
    from activities.script import template_script

    if config.script.writer != "template" or config.voice.backend != "piper" or not topics:
        return [list(TYPICAL_SCENES)], "a typical reel: six 5 s scenes"
    reels = []
    for topic in topics:
        try:
            script = template_script(topic, config.niche, list(config.hashtags))
        except ApplicationError:  # a feed entry the writer refuses makes no reel
            continue
        reels.append([scene_seconds(s.text, config.voice.speed) for s in script.scenes])
    if not reels:
        return [list(TYPICAL_SCENES)], "a typical reel: six 5 s scenes"
    what = "the topic's" if len(topics) == 1 else f"{len(reels)} feed topics'"
    return reels, f"{what} template script at the voice's pace"


def feed_topics(config: ChannelConfig) -> list[Topic]:
    from activities.topics import read_feed_file

    if not config.trends_feed or not Path(config.trends_feed).is_file():
        return []
    try:
        return read_feed_file(Path(config.trends_feed))
    except Exception:  # noqa: BLE001 - a broken feed leaves the typical reel to price
        return []


def script_usd(settings: Settings, config: ChannelConfig) -> float:
    if config.script.writer != "api":
        return 0.0
    price = settings.llm.prices.get(settings.llm.model)
    if price is None:
        return 0.0
    return round((PROMPT_TOKENS * price.input + config.script.max_tokens * price.output)
                 / 1_000_000, 6)


def measured(ledger: Ledger, channel: str) -> tuple[dict[str, float], int, str]:
    """The mean cost by stage of the channel's last reels (any channel's when it has none)."""
    with ledger.session() as s:
        for where, basis in ((ReelRow.channel == channel, f"channel {channel}"),
                             (ReelRow.id != "", "all channels")):
            ids = list(s.exec(select(ReelRow.id).where(where, ReelRow.total_usd > 0)
                              .order_by(ReelRow.updated_at.desc())  # type: ignore[attr-defined]
                              .limit(SAMPLE)))
            if ids:
                break
        else:
            return {}, 0, ""
        by_stage: dict[str, float] = {}
        for cost in s.exec(select(CostRow).where(CostRow.reel_id.in_(ids))):  # type: ignore[attr-defined]
            by_stage[cost.stage] = by_stage.get(cost.stage, 0.0) + cost.usd
    return {k: round(v / len(ids), 6) for k, v in by_stage.items()}, len(ids), basis


def clip_seconds_measured(ledger: Ledger) -> dict[str, tuple[float, int]]:
    """Mean wall seconds of one clip by source, from the footage rows of made reels."""
    sums: dict[str, list[float]] = {}
    with ledger.session() as s:
        for row in s.exec(select(CostRow).where(CostRow.stage == "footage")):
            sums.setdefault(row.backend, []).append(row.seconds)
    return {k: (round(sum(v) / len(v), 3), len(v)) for k, v in sums.items() if v}


async def budget_left(client: Client | None, ledger: Ledger, config: ChannelConfig) -> float:
    from activities.footage_control import budget_left as left_of
    from workflows.contracts import ChannelStatus

    if client is not None:
        try:
            status = await client.get_workflow_handle(f"channel/{config.name}").query(
                "status", result_type=ChannelStatus, rpc_timeout=QUERY_TIMEOUT)
            return max(left_of(status), 0.0)
        except RPCError:
            pass
    day = datetime.now(UTC).date().isoformat()
    return max(config.daily_budget_usd - ledger.spend_on(config.name, day), 0.0)


async def estimate(settings: Settings, channel: str, preset: str = "",
                   client: Client | None = None, ledger: Ledger | None = None,
                   topic: Topic | None = None) -> CostEstimate:
    """The next reel of `channel` (with `preset`'s look and voice), or of `topic` when given.
    Raises ConfigError for a channel or preset that does not load."""
    from workers.ledger_access import ledger_for

    config = load_channel(settings, channel)
    voice = load_channel(settings, preset).voice if preset and preset != channel \
        else config.voice
    config.voice = voice
    ledger = ledger or ledger_for(settings.ledger_url, settings.ledger)
    known = await asyncio.to_thread(catalog, settings)
    view = await read_backends(client)
    left = await budget_left(client, ledger, config)
    topics = [topic] if topic is not None else await asyncio.to_thread(feed_topics, config)
    reels, scenes_basis = predicted_scenes(config, topics)
    per_reel = [estimate_reel(channel, config.visuals, EstimateRequest(known, view.breakers, s),
                              left) for s in reels]
    footage = round(sum(r.reel_usd for r in per_reel) / len(per_reel), 6)
    by_source: dict[str, list[float]] = {}
    for report in per_reel:
        for row in report.per_source:
            by_source.setdefault(row.source, []).append(row.usd)
    first = per_reel[0]
    # The preset's look and voice drive what the other stages cost: its reels are the basis.
    means, count, where = await asyncio.to_thread(measured, ledger, preset or channel)
    timing = await asyncio.to_thread(clip_seconds_measured, ledger)
    info = {s.name: s for s in known}
    rows = []
    for row in first.per_source:
        source = info.get(row.source)
        seconds, basis = (source.seconds_per_clip if source else 0.0), "price table"
        if row.source in timing:
            seconds, clips = timing[row.source]
            basis = f"measured over {clips} clips"
        rows.append(SourceCost(
            row.source, round(sum(by_source[row.source]) / len(by_source[row.source]), 6),
            row.fits, row.reason,
            breaker_state(source, view) if source else "unknown: not in visuals.sources",
            seconds, basis))
    by_stage = {"footage": footage, "script": script_usd(settings, config)}
    by_stage.update({k: v for k, v in means.items() if k not in PRICED_STAGES})
    usd = round(sum(by_stage.values()), 6)
    basis = "price tables (temporal.yaml)"
    basis += f"; other stages measured: mean of the last {count} reels of {where}" if count \
        else "; no reels in the ledger yet, so CPU time is not counted"
    return CostEstimate(
        channel=channel, preset=preset or channel, usd=usd, basis=basis, by_stage=by_stage,
        footage_usd=footage, chosen=first.chosen, per_source=rows,
        scenes=reels[0] if len(reels) == 1 else [], scenes_basis=scenes_basis,
        budget_left_usd=round(left, 6),
        reels_that_fit=-1 if usd <= 0 else int((left + 1e-6) // usd),
        reels=count, measured_by_stage=means)
