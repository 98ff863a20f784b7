"""Observable gauges: business figures from the ledger, Temporal's view, the process.

Callbacks run on the scrape thread. Ledger figures are computed once per scrape (a short
cache shared by the gauges), and Temporal's figures come from a probe the event loop
refreshes, because a callback cannot await the client.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import psutil
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from activities.config import Settings
from activities.ledger import Ledger
from workers.telemetry.figures import ChannelFigures, all_figures
from workers.telemetry.probe import TemporalProbe


class FiguresCache:
    """all_figures at most once per `ttl` seconds, whichever gauge asks first.

    `live_budgets` (set once the Temporal probe runs) gives each running channel's daily
    budget as its workflow knows it, so a `set_budget` override reaches the budget gauges
    and the alerts built on them; the file's figure stands for channels not running."""

    def __init__(self, settings: Settings, ledger: Ledger, ttl: float = 2.0) -> None:
        self.settings, self.ledger, self.ttl = settings, ledger, ttl
        self._lock = threading.Lock()
        self._at = -1e9
        self._figures: list[ChannelFigures] = []
        self.live_budgets: Callable[[], dict[str, float]] = dict

    def get(self) -> list[ChannelFigures]:
        with self._lock:
            if time.monotonic() - self._at > self.ttl:
                budgets = self.live_budgets()
                self._figures = [
                    replace(f, budget_usd=budgets[f.channel]) if f.channel in budgets else f
                    for f in all_figures(self.settings, self.ledger)]
                self._at = time.monotonic()
            return self._figures


def _per_channel(cache: FiguresCache,
                 value: Callable[[ChannelFigures], float]) -> Callable[[CallbackOptions],
                                                                       Iterable[Observation]]:
    def callback(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(value(f), {"channel": f.channel}) for f in cache.get()]
    return callback


def register_ledger_gauges(meter: Meter, cache: FiguresCache) -> None:
    def reels(_options: CallbackOptions) -> Iterable[Observation]:
        for f in cache.get():
            yield Observation(f.published, {"channel": f.channel, "status": "published"})
            yield Observation(f.failed, {"channel": f.channel, "status": "failed"})

    def costs(_options: CallbackOptions) -> Iterable[Observation]:
        for f in cache.get():
            for b in f.backends:
                yield Observation(b.usd, {"channel": f.channel, "stage": b.stage,
                                          "backend": b.backend})

    meter.create_observable_gauge(
        "monolathe.reels.today", [reels], unit="",
        description="Reels finished today (UTC) by channel and status, from the ledger")
    simple = [
        ("monolathe.reels.daily_target", "", "Reels per day the channel's cadence asks for",
         lambda f: f.target),
        ("monolathe.reels.expected_by_now", "",
         "Slots of today already passed: reels that should be published by now",
         lambda f: f.expected_by_now),
        ("monolathe.daily.progress.ratio", "", "Reels published today over the daily target",
         lambda f: f.progress_ratio),
        ("monolathe.spend.today.usd", "", "Dollars spent today by channel",
         lambda f: f.spend_usd),
        ("monolathe.budget.daily.usd", "", "The channel's daily budget from its file",
         lambda f: f.budget_usd),
        ("monolathe.budget.remaining.usd", "", "Daily budget left today",
         lambda f: f.budget_remaining_usd),
        ("monolathe.budget.used.ratio", "", "Share of today's budget spent",
         lambda f: f.budget_used_ratio),
        ("monolathe.reel.cost.usd", "", "Mean cost of today's published reels",
         lambda f: f.cost_per_reel_usd),
    ]
    for name, unit, description, value in simple:
        meter.create_observable_gauge(name, [_per_channel(cache, value)], unit=unit,
                                      description=description)
    meter.create_observable_gauge(
        "monolathe.cost.today.usd", [costs], unit="",
        description="Dollars spent today by channel, stage and backend")


BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}


def register_probe_gauges(meter: Meter, probe: TemporalProbe) -> None:
    def in_flight(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"channel": c}) for c, n in probe.reels_in_flight.items()]

    def backlog(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"task_queue": q, "kind": k}) for (q, k), n in probe.backlog.items()]

    def breaker_state(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(BREAKER_STATES.get(b.state, 2), {"source": b.source})
                for b in probe.breakers]

    def breaker_failures(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(b.failures, {"source": b.source}) for b in probe.breakers]

    def source_spend(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(b.spend_today_usd, {"source": b.source}) for b in probe.breakers]

    meter.create_observable_gauge(
        "monolathe.backend.breaker.state", [breaker_state], unit="",
        description="Each visual source's circuit breaker: 0 closed, 1 half-open, 2 open")
    meter.create_observable_gauge(
        "monolathe.backend.breaker.failures", [breaker_failures], unit="",
        description="Consecutive failures each visual source's breaker counts now")
    meter.create_observable_gauge(
        "monolathe.backend.spend.today.usd", [source_spend], unit="",
        description="Dollars settled today per visual source, all channels")
    meter.create_observable_gauge(
        "monolathe.reels.in_flight", [in_flight], unit="",
        description="ReelWorkflows running now, by channel (Temporal visibility)")
    meter.create_observable_gauge(
        "monolathe.queue.backlog", [backlog], unit="",
        description="Tasks waiting in each task queue (approximate, from Temporal)")


def accelerator_memory() -> dict[str, float] | None:
    """MLX's active and peak memory, only once the gpu worker has loaded MLX."""
    mx = sys.modules.get("mlx.core")
    if mx is None:
        return None
    return {"active": float(mx.get_active_memory()), "peak": float(mx.get_peak_memory())}


def register_system_gauges(meter: Meter, data_dir: Path) -> None:
    process = psutil.Process(os.getpid())

    def cpu(_options: CallbackOptions) -> Iterable[Observation]:
        times = process.cpu_times()
        yield Observation(times.user + times.children_user, {"mode": "user"})
        yield Observation(times.system + times.children_system, {"mode": "system"})

    def memory(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(process.memory_info().rss, {})]

    def disk(_options: CallbackOptions) -> Iterable[Observation]:
        path = data_dir if data_dir.exists() else data_dir.parent
        return [Observation(shutil.disk_usage(path).free, {"path": str(data_dir)})]

    def accel(_options: CallbackOptions) -> Iterable[Observation]:
        figures = accelerator_memory() or {}
        return [Observation(v, {"kind": k}) for k, v in figures.items()]

    meter.create_observable_counter(
        "monolathe.process.cpu", [cpu], unit="s",
        description="CPU time of this worker process and its reaped children (ffmpeg)")
    meter.create_observable_gauge(
        "monolathe.process.memory", [memory], unit="By", description="Resident memory")
    meter.create_observable_gauge(
        "monolathe.disk.free", [disk], unit="By", description="Free disk under the data dir")
    meter.create_observable_gauge(
        "monolathe.accelerator.memory", [accel], unit="By",
        description="MLX memory in use (active) and its peak; only where MLX is loaded")


def register_backup_gauges(meter: Meter, backups_dir: Path) -> None:
    """The last backup's outcome, from the status file every attempt writes (CLI or schedule)."""
    from activities.backup import read_status

    def age(_options: CallbackOptions) -> Iterable[Observation]:
        last = read_status(backups_dir).get("last_success")
        return [Observation(time.time() - float(last), {})] if last else []  # type: ignore[arg-type]

    def failed(_options: CallbackOptions) -> Iterable[Observation]:
        status = read_status(backups_dir)
        return [Observation(0 if status.get("ok") else 1, {})] if status else []

    meter.create_observable_gauge(
        "monolathe.backup.age.seconds", [age], unit="",
        description="Seconds since the last successful backup archive")
    meter.create_observable_gauge(
        "monolathe.backup.failed", [failed], unit="",
        description="1 when the last backup attempt failed (see var/backups/last-backup.json)")
