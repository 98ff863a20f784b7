"""The operator's figures, read from the ledger and the channel files.

One source for both the Prometheus gauges and `monolathe status`: what each channel
published today against its daily target, what it spent against its budget, what a reel
cost, and which backends the money went to. The ledger is the truth because it survives
worker restarts; in-memory counters would reset with the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from activities.config import ConfigError, Settings, load_channel
from activities.ledger import CostRow, Ledger, ReelRow
from workflows.contracts import Cadence
from workflows.slots import _slots_of_day


@dataclass
class BackendCost:
    stage: str
    backend: str
    usd: float
    seconds: float  # wall time summed over the day's runs
    runs: int


@dataclass
class ChannelFigures:
    channel: str
    day: str
    target: int  # reels per day the cadence asks for
    expected_by_now: int  # slots of the day already passed
    published: int
    failed: int
    spend_usd: float
    budget_usd: float
    cost_per_reel_usd: float  # mean total of today's published reels; 0 when none
    config_error: str = ""  # the channel file is invalid; figures fall back to defaults
    backends: list[BackendCost] = field(default_factory=list)

    @property
    def budget_remaining_usd(self) -> float:
        return max(self.budget_usd - self.spend_usd, 0.0)

    @property
    def budget_used_ratio(self) -> float:
        return self.spend_usd / self.budget_usd if self.budget_usd > 0 else 0.0

    @property
    def progress_ratio(self) -> float:
        return self.published / self.target if self.target > 0 else 0.0


def daily_target(cadence: Cadence) -> int:
    return len(cadence.times) if cadence.times else cadence.per_day


def slots_passed(cadence: Cadence, now: datetime) -> int:
    """How many of today's slots are at or before `now` (what should be published by now)."""
    utc = now.astimezone(UTC)
    midnight = datetime(utc.year, utc.month, utc.day, tzinfo=UTC)
    if cadence.slot_seconds:
        # A demo cadence has no daily schedule: the whole target is due at once.
        return daily_target(cadence)
    return sum(1 for slot in _slots_of_day(cadence, midnight) if slot <= utc)


def channel_names(settings: Settings, ledger: Ledger) -> list[str]:
    """Channels with a file or with reels in the ledger (a removed file keeps its history)."""
    names = {p.stem for p in settings.channels_dir.glob("*.yaml")}
    with ledger.session() as s:
        names.update(s.exec(select(ReelRow.channel).distinct()))
    return sorted(names)


def figures_for(settings: Settings, ledger: Ledger, name: str,
                now: datetime | None = None) -> ChannelFigures:
    now = now or datetime.now(UTC)
    day = now.astimezone(UTC).strftime("%Y-%m-%d")
    cadence, budget, problem = Cadence(), 0.0, ""
    try:
        config = load_channel(settings, name)
        cadence, budget = config.cadence, config.daily_budget_usd
    except ConfigError as exc:
        problem = str(exc).splitlines()[0]
    with Session(ledger.engine) as s:
        counts = dict(s.exec(
            select(ReelRow.status, func.count()).where(ReelRow.channel == name, ReelRow.day == day)
            .group_by(ReelRow.status)
        ).all())
        published_usd = s.exec(
            select(func.coalesce(func.avg(ReelRow.total_usd), 0.0)).where(
                ReelRow.channel == name, ReelRow.day == day, ReelRow.status == "published")
        ).one()
        rows = s.exec(
            select(CostRow.stage, CostRow.backend, func.sum(CostRow.usd), func.sum(CostRow.seconds),
                   func.count())
            .where(CostRow.channel == name, CostRow.day == day)
            .group_by(CostRow.stage, CostRow.backend)
        ).all()
    backends = [BackendCost(stage, backend, float(usd), float(seconds), int(runs))
                for stage, backend, usd, seconds, runs in rows]
    return ChannelFigures(
        channel=name,
        day=day,
        target=daily_target(cadence),
        expected_by_now=slots_passed(cadence, now),
        published=int(counts.get("published", 0)),
        failed=int(counts.get("failed", 0)),
        spend_usd=round(sum(b.usd for b in backends), 6),
        budget_usd=budget,
        cost_per_reel_usd=float(published_usd),
        config_error=problem,
        backends=sorted(backends, key=lambda b: (b.stage, b.backend)),
    )


def all_figures(settings: Settings, ledger: Ledger,
                now: datetime | None = None) -> list[ChannelFigures]:
    return [figures_for(settings, ledger, name, now) for name in channel_names(settings, ledger)]
