"""`monolathe estimate CHANNEL` and `monolathe backends`: money and provider health for footage.

Both read the live control plane: the breakers and the last catalog of sources from
`backends/health`, the budget left from the channel's workflow (its `estimate` query). A
channel that is not running is estimated from its file and today's ledger spend.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.config import Settings, load_channel
from workflows.contracts import BackendsView, EstimateRequest, ReelEstimate
from workflows.health import HEALTH_ID, BackendHealthWorkflow
from workflows.routing import estimate_reel


async def read_backends(client: Client) -> BackendsView:
    """The breakers and catalog, or empty ones before any reel has routed footage."""
    try:
        return await client.get_workflow_handle(HEALTH_ID).query(BackendHealthWorkflow.breakers)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return BackendsView([], [])
        raise


async def estimate(client: Client, settings: Settings, channel: str,
                   backends: BackendsView) -> ReelEstimate:
    request = EstimateRequest(backends.catalog, backends.breakers)
    try:
        return await client.get_workflow_handle(f"channel/{channel}").query(
            "estimate", request, result_type=ReelEstimate)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    from workers.ledger_access import ledger_for

    config = load_channel(settings, channel)
    today = datetime.now(UTC).date().isoformat()
    spent = ledger_for(settings.ledger_url, settings.ledger).spend_on(channel, today)
    return estimate_reel(channel, config.visuals, request, config.daily_budget_usd - spent)


def print_estimate(report: ReelEstimate, sources_known: bool) -> None:
    print(f"channel {report.channel}: one reel of footage (six 5 s scenes)")
    if not sources_known:
        print("  no catalog yet: prices appear once a reel has listed the sources"
              " (a generate worker is running)")
    for row in report.per_source:
        verdict = "ok" if row.fits else f"skipped: {row.reason}"
        print(f"  {row.source:<16} ${row.usd:>8.4f}  {verdict}")
    fit = "any number (free)" if report.reels_that_fit < 0 else str(report.reels_that_fit)
    print(f"  policy chooses {' -> '.join(report.chosen) or '-'}: ${report.reel_usd:.4f} a reel")
    print(f"  budget left today ${report.budget_left_usd:.4f}; reels that still fit: {fit}")


def print_backends(view: BackendsView) -> None:
    if not view.breakers:
        print("no breakers yet: no reel has routed paid or stock footage")
        return
    print(f"{'source':<16} {'state':<10} {'failures':>8}  {'next probe':<26} {'spend today':>11}")
    for b in sorted(view.breakers, key=lambda b: b.source):
        print(f"{b.source:<16} {b.state:<10} {b.failures:>8}  {b.next_probe_at or '-':<26}"
              f" ${b.spend_today_usd:>10.4f}")
        if b.state != "closed" and b.last_error:
            print(f"{'':<16} last error: {b.last_error}")


async def cmd_estimate(client: Client, settings: Settings, channel: str, as_json: bool) -> int:
    backends = await read_backends(client)
    report = await estimate(client, settings, channel, backends)
    if as_json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print_estimate(report, bool(backends.catalog))
    return 0


async def cmd_backends(client: Client, as_json: bool) -> int:
    view = await read_backends(client)
    if as_json:
        print(json.dumps(asdict(view), indent=2))
    else:
        print_backends(view)
    return 0
