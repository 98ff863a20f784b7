"""`monolathe estimate CHANNEL` and `monolathe backends`: money and provider health for footage.

Both work on a fresh install: the sources and prices come from temporal.yaml
(workers/estimates.py), the breakers from `backends/health` when Temporal is reachable and a
reel has routed footage; until then every source that can run here is "closed (no calls yet)".
"""

from __future__ import annotations

import json
from dataclasses import asdict

from temporalio.client import Client

from activities.config import Settings
from workers.estimates import CostEstimate, breaker_state, catalog, read_backends
from workflows.contracts import BackendsView, SourceInfo, Topic


def print_estimate(report: CostEstimate, offline: str = "") -> None:
    print(f"channel {report.channel}: one reel ${report.usd:.4f} ({report.basis})")
    if offline:
        print(f"  {offline}")
    scenes = f"{len(report.scenes)} scenes, {sum(report.scenes):.1f} s" if report.scenes \
        else "per topic"
    print(f"  footage priced over {scenes}: {report.scenes_basis}")
    print(f"  {'source':<16} {'per reel':>9}  {'s/clip':>7}  {'':<22} state / verdict")
    for row in report.per_source:
        verdict = "ok" if row.fits else "skipped" if row.state.startswith("not configured") \
            else f"skipped: {row.reason}"
        print(f"  {row.source:<16} ${row.usd:>8.4f}  {row.seconds_per_clip:>7.1f}"
              f"  {row.seconds_basis:<22} {row.state}; {verdict}")
    print(f"  policy chooses {' -> '.join(report.chosen) or '-'}:"
          f" footage ${report.footage_usd:.4f} a reel")
    stages = ", ".join(f"{k} ${v:.4f}" for k, v in report.by_stage.items())
    print(f"  by stage: {stages}")
    fit = "any number (free)" if report.reels_that_fit < 0 else str(report.reels_that_fit)
    print(f"  budget left today ${report.budget_left_usd:.4f}; reels that still fit: {fit}")


def backends_rows(settings: Settings, view: BackendsView) -> list[dict[str, object]]:
    """Every configured source with its breaker, or why it cannot run on this host."""
    known: list[SourceInfo] = catalog(settings)
    breakers = {b.source: b for b in view.breakers}
    rows: list[dict[str, object]] = []
    for info in known:
        b = breakers.get(info.name)
        rows.append({"source": info.name, "state": breaker_state(info, view),
                     "failures": b.failures if b else 0,
                     "next_probe_at": b.next_probe_at if b else "",
                     "spend_today_usd": b.spend_today_usd if b else 0.0,
                     "last_error": b.last_error if b else ""})
    for b in view.breakers:  # a breaker of a source since removed from temporal.yaml
        if b.source not in {i.name for i in known}:
            rows.append({**asdict(b), "state": f"{b.state} (not in visuals.sources)"})
    return rows


def print_backends(rows: list[dict[str, object]], offline: str = "") -> None:
    if offline:
        print(offline)
    print(f"{'source':<16} {'state':<34} {'failures':>8}  {'next probe':<26} {'spend today':>11}")
    for r in rows:
        print(f"{r['source']:<16} {r['state']!s:<34} {r['failures']:>8}"
              f"  {r['next_probe_at'] or '-'!s:<26} ${float(r['spend_today_usd']):>10.4f}")  # type: ignore[arg-type]
        if r["last_error"] and not str(r["state"]).startswith("closed"):
            print(f"{'':<16} last error: {r['last_error']}")


async def cmd_estimate(client: Client | None, settings: Settings, channel: str,
                       as_json: bool, offline: str = "", topic: Topic | None = None) -> int:
    from workers.estimates import estimate

    report = await estimate(settings, channel, client=client, topic=topic)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print_estimate(report, offline)
    return 0


async def cmd_backends(client: Client | None, settings: Settings, as_json: bool,
                       offline: str = "") -> int:
    rows = backends_rows(settings, await read_backends(client))
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        print_backends(rows, offline)
    return 0
