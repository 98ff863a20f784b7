"""The review page's audience figures for one channel: the totals of Factory.performance
(views, the last 7 days, retention, cost per 1,000 views) and its views per day as a small
bar chart, drawn here as inline SVG (the page loads nothing from elsewhere)."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
.audience{margin:.3rem 0 .1rem}.audience svg{display:block;width:100%;height:auto}
.audience rect{fill:#3b6ea8}.audience text{font-size:9px;fill:#666}
"""

# The chart's viewBox; TOP: the row of the scale's label, AXIS: the row of the day labels.
WIDTH, HEIGHT, TOP, AXIS = 280, 72, 11, 11


def _figure(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def figures_line(totals: dict[str, Any]) -> str:
    return (f"views {_figure(totals['views'], '{:,}')} · 7 d"
            f" {_figure(totals['views_7d'], '{:,}')} · retention"
            f" {_figure(totals['avg_view_percentage'], '{:.0f}%')} · $/1k views"
            f" {_figure(totals['usd_per_1k_views'], '${:.2f}')}")


def views_chart(daily: list[dict[str, Any]]) -> str:
    """One bar per day, scaled to the busiest; each bar's <title> says its day and views."""
    if not daily:
        return ""
    top = max(max(d["views"] for d in daily), 1)
    step = WIDTH / len(daily)
    base = HEIGHT - AXIS
    bars = []
    for n, d in enumerate(daily):
        tall = max(d["views"], 0) / top * (base - TOP)
        bars.append(f'<rect x="{n * step + 1:.1f}" y="{base - tall:.1f}"'
                    f' width="{max(step - 2, 1):.1f}" height="{tall:.1f}">'
                    f"<title>{escape(d['day'])}: {d['views']:,} views</title></rect>")
    first, last = escape(daily[0]["day"][5:]), escape(daily[-1]["day"][5:])
    return (f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role=img aria-label="views per day,'
            f' {escape(daily[0]["day"])} to {escape(daily[-1]["day"])}">{"".join(bars)}'
            f'<text x="0" y="{HEIGHT - 1}">{first}</text>'
            f'<text x="{WIDTH}" y="{HEIGHT - 1}" text-anchor=end>{last}</text>'
            f'<line x1="0" x2="{WIDTH}" y1="{base + .5}" y2="{base + .5}" stroke="#ccc"/>'
            f'<text x="0" y="8">{top:,} views a day at most</text></svg>')


def audience_panel(report: dict[str, Any] | None) -> str:
    if report is None:
        return ""
    totals = report["totals"]
    if not totals["reels"]:
        return "<div class='audience muted'>no figures from the platforms yet</div>"
    days = len(report.get("daily") or [])
    return (f"<div class=audience data-audience=\"{escape(report['channel'], quote=True)}\">"
            f"<span class=muted>{escape(figures_line(totals))} · views per day, last {days}"
            f" days</span>{views_chart(report.get('daily') or [])}</div>")
