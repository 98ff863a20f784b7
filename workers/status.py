"""`monolathe status`: the dashboards' figures for an operator without Grafana.

Ledger figures (today's reels against the target, spend against the budget, cost per reel,
cost by stage and backend) always print; Temporal's (reels in flight, task-queue backlog)
print when the server answers within the timeout.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from activities.config import Settings
from activities.ledger import Ledger
from workers.codec import data_converter
from workers.telemetry.figures import ChannelFigures, all_figures
from workers.telemetry.probe import TemporalProbe


@dataclass
class StatusReport:
    channels: list[ChannelFigures]
    temporal: str  # "ok" or why its figures are missing
    reels_in_flight: dict[str, int] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)  # "<queue>/<kind>" -> tasks

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for figures, row in zip(self.channels, out["channels"], strict=True):
            row["budget_remaining_usd"] = round(figures.budget_remaining_usd, 6)
            row["progress_ratio"] = round(figures.progress_ratio, 4)
        return out


async def collect_status(settings: Settings, timeout: float = 3.0) -> StatusReport:
    ledger = Ledger(settings.ledger_url, settings.ledger)
    report = StatusReport(channels=all_figures(settings, ledger), temporal="ok")
    q = settings.queues
    # RPC timeouts, not asyncio cancellation: cancelling the SDK's Rust futures mid-call
    # can abort the interpreter at exit.
    try:
        client = await Client.connect(settings.address, namespace=settings.namespace,
                                      data_converter=data_converter(settings))
        probe = TemporalProbe(client, [q.reels, q.media, q.gpu, q.publish])
        await probe.refresh(rpc_timeout=timedelta(seconds=timeout))
    except (RPCError, RuntimeError) as exc:
        reason = str(exc).split(":")[0] or "timed out"  # the first clause; the rest is Rust
        report.temporal = f"no answer from {settings.address} ({reason})"
        return report
    report.reels_in_flight = probe.reels_in_flight
    report.backlog = {f"{queue}/{kind}": n for (queue, kind), n in sorted(probe.backlog.items())}
    return report


def _behind(f: ChannelFigures) -> str:
    missing = f.expected_by_now - f.published
    return f"  BEHIND by {missing}" if missing > 0 else ""


def print_operator_status(report: StatusReport) -> None:
    if not report.channels:
        print("no channels (no channel files and no reels in the ledger)")
    for f in report.channels:
        print(f"channel {f.channel}  ({f.day} UTC)"
              + (f"  [config: {f.config_error}]" if f.config_error else ""))
        print(f"  reels     {f.published}/{f.target} published today ({f.progress_ratio:.0%}),"
              f" {f.expected_by_now} due by now, {f.failed} failed{_behind(f)}")
        print(f"  spend     ${f.spend_usd:.5f} of ${f.budget_usd:.2f}"
              f" ({f.budget_used_ratio:.0%}), ${f.budget_remaining_usd:.5f} left;"
              f" ${f.cost_per_reel_usd:.5f} per published reel")
        if report.reels_in_flight.get(f.channel):
            print(f"  in flight {report.reels_in_flight[f.channel]} reel(s)")
        for b in f.backends:
            mean = b.seconds / b.runs if b.runs else 0.0
            print(f"    {b.stage:<10} {b.backend:<12} ${b.usd:.5f}  {b.runs} run(s),"
                  f" {mean:.1f} s mean")
    if report.temporal != "ok":
        print(f"temporal: {report.temporal}")
        return
    waiting = ", ".join(f"{k} {n}" for k, n in report.backlog.items() if n) or "none"
    print(f"temporal: {sum(report.reels_in_flight.values())} reel(s) in flight;"
          f" tasks waiting: {waiting}")
