"""A channel's performance report: one line per reel and platform, and the channel's totals,
from the ledger's performance rows. `monolathe performance` prints it; the API returns it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from activities.ledger import Ledger
from activities.performance.hooks import hook_verdict
from activities.performance.store import channel_audience, fetches_by_publication, reel_figures
from activities.performance.week import daily_views

DAILY_MAX = 90  # days of the views-per-day series, however long the report


def performance_report(ledger: Ledger, channel: str, days: int, now: datetime | None = None,
                       hook_styles: list[str] | None = None) -> dict[str, Any]:
    """`hooks` is the hook experiment's verdict on the reels of the window, or None when the
    channel runs no experiment (`hook_styles`: its two styles, `hooks.experiment`)."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    reels = reel_figures(ledger, channel, since)
    fetches = fetches_by_publication(ledger, channel)
    hooks = asdict(hook_verdict(ledger, channel, hook_styles, since)) if hook_styles else None
    return {"channel": channel, "days": days,
            "totals": asdict(channel_audience(ledger, channel, now, fetches)),
            "daily": [asdict(d) for d in daily_views(ledger, channel, now,
                                                     min(days, DAILY_MAX), fetches)],
            "reels": [asdict(r) for r in reels], "hooks": hooks}


def _num(value: float | None, fmt: str = "{:,.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def print_report(report: dict[str, Any]) -> None:
    t = report["totals"]
    print(f"{report['channel']}: {t['reels']} reels with figures, {t['views']:,} views"
          f" ({t['views_7d']:,} in the last 7 days), cost per 1k views"
          f" {_num(t['usd_per_1k_views'], '${:.2f}')}, average view"
          f" {_num(t['avg_view_percentage'], '{:.0f}%')}")
    _print_hooks(report.get("hooks"))
    if not report["reels"]:
        print(f"  no reels published in the last {report['days']} days")
        return
    print(f"  {'published':<16} {'platform':<9} {'views':>8} {'1 h':>7} {'24 h':>7}"
          f" {'7 d':>7} {'avg %':>5} {'$/1k':>6}  title")
    for r in report["reels"]:
        title = ("[deleted] " if r["deleted"] else "") + (r["title"] or r["reel_id"])
        print(f"  {r['published_at'][:16]:<16} {r['platform']:<9} {_num(r['views']):>8}"
              f" {_num(r['views_1h']):>7} {_num(r['views_24h']):>7} {_num(r['views_7d']):>7}"
              f" {_num(r['avg_view_percentage'], '{:.0f}'):>5}"
              f" {_num(r['usd_per_1k_views'], '{:.2f}'):>6}  {title[:60]}")


def _print_hooks(hooks: dict[str, Any] | None) -> None:
    if not hooks:
        return
    print(f"  hook experiment ({' vs '.join(hooks['styles'])}): {hooks['verdict']}")
    for f in hooks["figures"]:
        print(f"    {f['style']:<12} {f['reels']:>3} reels  median {hooks['metric']}"
              f" {_num(f['median_views'])}")
