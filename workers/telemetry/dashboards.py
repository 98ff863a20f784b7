"""Grafana dashboards, generated from code with grafana-foundation-sdk.

    python -m workers.telemetry.dashboards [OUT_DIR]     (default: dashboards/)

writes one JSON per dashboard plus Grafana provisioning files. The panels are declared
once in `DASHBOARDS`; the Prometheus tests send every panel's query to a real Prometheus.
A panel whose series exist only under a condition names it in `only_when` (shown in the
panel description) and the test sets that condition up.

The Temporal SDK board rebuilds the key panels of the community "Temporal SDK" dashboard
against the SDK's default metric names (it cannot be downloaded here).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATASOURCE_UID = "prometheus"
RATE = "$__rate_interval"
CH = 'channel=~"$channel"'


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    table: bool = False  # an instant query, one row per series (a table panel's)


@dataclass(frozen=True)
class PanelSpec:
    title: str
    kind: str  # timeseries | stat | gauge | bargauge | table
    queries: list[Query]
    unit: str = "short"
    description: str = ""
    max: float | None = None
    only_when: str = ""  # the condition under which the series exist, if not always
    width: int = 8
    interval: str = ""  # the smallest step Grafana asks for ("1d": one point a day)
    bars: bool = False  # a timeseries drawn as bars, each ending at its point
    columns: dict[str, str] = field(default_factory=dict)  # a table's label -> header;
    # the other labels are hidden


@dataclass(frozen=True)
class DashboardSpec:
    uid: str
    title: str
    panels: list[PanelSpec]
    tags: list[str] = field(default_factory=lambda: ["monolathe"])
    channel_variable: bool = True
    since: str = "now-6h"  # the default time range's start


def _p95(metric: str, by: str, selector: str = "") -> str:
    return (f"histogram_quantile(0.95, sum by (le, {by}) "
            f"(rate({metric}_bucket{{{selector}}}[{RATE}])))")


OVERVIEW = DashboardSpec("monolathe-overview", "monolathe / Overview", [
    PanelSpec("Daily progress", "gauge",
              [Query(f"monolathe_daily_progress_ratio{{{CH}}}", "{{channel}}")],
              unit="percentunit", max=1,
              description="Reels published today over the cadence's daily target"),
    PanelSpec("Reels published today", "stat",
              [Query(f'sum(monolathe_reels_today{{{CH},status="published"}})')]),
    PanelSpec("Upload success rate", "stat",
              [Query(f'sum(monolathe_publications_total{{{CH},outcome!="failed"}}) / '
                     f"sum(monolathe_publications_total{{{CH}}})")],
              unit="percentunit", max=1,
              description="Uploads that succeeded since the publish worker started"),
    PanelSpec("Cost per reel", "stat",
              [Query(f"monolathe_reel_cost_usd{{{CH}}}", "{{channel}}")],
              unit="currencyUSD", description="Mean cost of today's published reels"),
    PanelSpec("Reels in flight", "stat",
              [Query(f"sum(monolathe_reels_in_flight{{{CH}}})")],
              description="Running ReelWorkflows (Temporal visibility)"),
    PanelSpec("Workers up", "stat", [Query('sum(up{job="monolathe"})')],
              description="Worker processes Prometheus reaches"),
    PanelSpec("Queue depth", "timeseries",
              [Query("sum by (task_queue) (monolathe_queue_backlog)", "{{task_queue}}")],
              description="Tasks waiting per task queue"),
    PanelSpec("Active jobs", "timeseries",
              [Query("sum by (stage) (monolathe_stage_active)", "{{stage}}")],
              description="Activities running now, by stage"),
    PanelSpec("CPU", "timeseries",
              [Query(f"sum by (instance) (rate(monolathe_process_cpu_seconds_total[{RATE}]))",
                     "{{instance}}")],
              description="CPU seconds per second of each worker and its ffmpeg children"),
    PanelSpec("Memory", "timeseries",
              [Query("monolathe_process_memory_bytes", "{{instance}}")], unit="bytes"),
    PanelSpec("Accelerator memory", "timeseries",
              [Query("monolathe_accelerator_memory_bytes", "{{instance}} {{kind}}")],
              unit="bytes", only_when="mlx",
              description="MLX active and peak memory; only from a worker that loaded MLX"),
    PanelSpec("Disk free under the data dir", "stat",
              [Query("min(monolathe_disk_free_bytes)")], unit="bytes"),
])

CHANNEL = DashboardSpec("monolathe-channel", "monolathe / Channel", [
    PanelSpec("Published vs due by now", "timeseries",
              [Query(f'monolathe_reels_today{{{CH},status="published"}}', "published"),
               Query(f"monolathe_reels_expected_by_now{{{CH}}}", "due by now"),
               Query(f"monolathe_reels_daily_target{{{CH}}}", "daily target")]),
    PanelSpec("Failed reels today", "stat",
              [Query(f'sum(monolathe_reels_today{{{CH},status="failed"}})')]),
    PanelSpec("Spend vs budget", "timeseries",
              [Query(f"monolathe_spend_today_usd{{{CH}}}", "spent"),
               Query(f"monolathe_budget_daily_usd{{{CH}}}", "budget")], unit="currencyUSD"),
    PanelSpec("Budget remaining", "stat",
              [Query(f"monolathe_budget_remaining_usd{{{CH}}}", "{{channel}}")],
              unit="currencyUSD"),
    PanelSpec("Stage latency p95", "timeseries",
              [Query(_p95("monolathe_stage_duration_seconds", "stage", CH), "{{stage}}")],
              unit="s"),
    PanelSpec("Quality checks passed", "stat",
              [Query(f'sum(monolathe_quality_checks_total{{{CH},outcome="passed"}}) / '
                     f"sum(monolathe_quality_checks_total{{{CH}}})")],
              unit="percentunit", max=1),
    PanelSpec("Publications", "bargauge",
              [Query(f"sum by (platform, outcome) (monolathe_publications_total{{{CH}}})",
                     "{{platform}} {{outcome}}")],
              description="Posts by platform (local, youtube, instagram, tiktok) and outcome"),
    PanelSpec("Upload duration p95", "timeseries",
              [Query(_p95("monolathe_upload_duration_seconds", "platform", CH),
                     "{{platform}}")], unit="s"),
    PanelSpec("Stage retries", "timeseries",
              [Query(f"sum by (stage) (increase(monolathe_stage_retries_total{{{CH}}}[1h]))",
                     "{{stage}}")],
              only_when="retry", description="Activity runs that retried an earlier attempt"),
])

BACKENDS = DashboardSpec("monolathe-backends", "monolathe / Backends and costs", [
    PanelSpec("Cost today by stage and backend", "bargauge",
              [Query(f"sum by (stage, backend) (monolathe_cost_today_usd{{{CH}}})",
                     "{{stage}} / {{backend}}")], unit="currencyUSD", width=12),
    PanelSpec("Cost per day by channel", "timeseries",
              [Query(f"sum by (channel) (monolathe_spend_today_usd{{{CH}}})", "{{channel}}")],
              unit="currencyUSD", width=12),
    PanelSpec("Budget used", "bargauge",
              [Query(f"monolathe_budget_used_ratio{{{CH}}}", "{{channel}}")],
              unit="percentunit", max=1),
    PanelSpec("Error rate by backend", "timeseries",
              [Query(f'1 - (sum by (stage, backend) (rate(monolathe_stage_duration_seconds_count'
                     f'{{{CH},outcome="ok"}}[{RATE}])) / sum by (stage, backend) '
                     f"(rate(monolathe_stage_duration_seconds_count{{{CH}}}[{RATE}])))",
                     "{{stage}} / {{backend}}")], unit="percentunit",
              description="Share of activity runs that failed, by stage and backend"),
    PanelSpec("Latency p95 by backend", "timeseries",
              [Query(_p95("monolathe_stage_duration_seconds", "stage, backend", CH),
                     "{{stage}} / {{backend}}")], unit="s"),
    PanelSpec("Failed runs by backend", "timeseries",
              [Query(f"sum by (stage, backend) (increase(monolathe_stage_duration_seconds_count"
                     f'{{{CH},outcome="failed"}}[1h]))', "{{stage}} / {{backend}}")],
              only_when="failure", description="Only has series once a stage has failed"),
    PanelSpec("Circuit breakers by source", "timeseries",
              [Query("max by (source) (monolathe_backend_breaker_state)", "{{source}}")],
              only_when="footage", max=2,
              description="0 closed, 1 half-open (one probe), 2 open: the source is skipped"
                          " by every channel until a probe succeeds (`monolathe backends`)"),
    PanelSpec("Breaker failures by source", "timeseries",
              [Query("max by (source) (monolathe_backend_breaker_failures)", "{{source}}")],
              only_when="footage",
              description="Consecutive failures; the breaker opens at breakers.failures_to_open"),
    PanelSpec("Footage spend today by source", "bargauge",
              [Query("sum by (source) (monolathe_backend_spend_today_usd)", "{{source}}")],
              unit="currencyUSD", only_when="footage"),
])

# Key panels of the community Temporal SDK dashboard, on the SDK's default names
# (no unit suffixes, durations in milliseconds).
TEMPORAL_SDK = DashboardSpec("monolathe-temporal-sdk", "Temporal SDK", [
    PanelSpec("Workflow completions", "timeseries",
              [Query(f"sum by (workflow_type) (rate(temporal_workflow_completed[{RATE}]))",
                     "{{workflow_type}}")], unit="ops"),
    PanelSpec("Workflow end-to-end latency p95", "timeseries",
              [Query(_p95("temporal_workflow_endtoend_latency", "workflow_type"),
                     "{{workflow_type}}")], unit="ms"),
    PanelSpec("Workflow task schedule-to-start p95", "timeseries",
              [Query(_p95("temporal_workflow_task_schedule_to_start_latency", "task_queue"),
                     "{{task_queue}}")], unit="ms"),
    PanelSpec("Workflow task execution p95", "timeseries",
              [Query(_p95("temporal_workflow_task_execution_latency", "workflow_type"),
                     "{{workflow_type}}")], unit="ms"),
    PanelSpec("Activity execution latency p95", "timeseries",
              [Query(_p95("temporal_activity_execution_latency", "activity_type"),
                     "{{activity_type}}")], unit="ms"),
    PanelSpec("Activity schedule-to-start p95", "timeseries",
              [Query(_p95("temporal_activity_schedule_to_start_latency", "task_queue"),
                     "{{task_queue}}")], unit="ms"),
    PanelSpec("Activity failures", "timeseries",
              [Query(f"sum by (activity_type) (rate(temporal_activity_execution_failed[{RATE}]))",
                     "{{activity_type}}")], unit="ops", only_when="failure"),
    PanelSpec("Task slots available", "timeseries",
              [Query("sum by (task_queue, worker_type) (temporal_worker_task_slots_available)",
                     "{{task_queue}} {{worker_type}}")]),
    PanelSpec("Sticky cache size", "timeseries",
              [Query("sum by (instance) (temporal_sticky_cache_size)", "{{instance}}")]),
    PanelSpec("Requests to the server", "timeseries",
              [Query(f"sum by (operation) (rate(temporal_request[{RATE}]))", "{{operation}}")],
              unit="reqps"),
], tags=["temporal", "monolathe"], channel_variable=False)

# What the platforms say, from the ledger's performance rows (workers/telemetry/audience.py);
# docs/performance.md says how to read each panel.
WEEK_COLUMNS = {"channel": "channel", "title": "reel", "platform": "platform",
                "reel": "reel id", "Value": "views (7 d)"}
AUDIENCE = DashboardSpec("monolathe-audience", "monolathe / Audience", [
    PanelSpec("Views per day", "timeseries",
              [Query(f"monolathe_audience_views_24h{{{CH}}}", "{{channel}}")], width=12,
              interval="1d", bars=True,
              description="Views each channel's reels gained in the 24 hours before each point;"
                          " one point a day"),
    PanelSpec("Views in the last 7 days", "bargauge",
              [Query(f"monolathe_audience_views_7d{{{CH}}}", "{{channel}}")], width=6),
    PanelSpec("Reels with figures", "stat",
              [Query(f"sum(monolathe_audience_reels{{{CH}}})")], width=6,
              description="Published reels the platforms have reported on"),
    PanelSpec("Retention by channel", "timeseries",
              [Query(f"monolathe_audience_avg_view_percentage{{{CH}}}", "{{channel}}")],
              unit="percent", max=100, width=12,
              description="Mean average view percentage of the channel's reels (YouTube's):"
                          " how much of a reel a viewer watches"),
    PanelSpec("Cost per 1k views", "timeseries",
              [Query(f"monolathe_audience_usd_per_1k_views{{{CH}}}", "{{channel}}")],
              unit="currencyUSD", width=12,
              description="The counted reels' production cost over their views, times 1,000"),
    PanelSpec("Best reels of the week", "table",
              [Query(f'sort_desc(monolathe_audience_reel_views_7d{{{CH},rank="best"}})',
                     table=True)], width=12, columns=WEEK_COLUMNS,
              description="The 5 reels per channel that gained the most views in 7 days"),
    PanelSpec("Worst reels of the week", "table",
              [Query(f'sort(monolathe_audience_reel_views_7d{{{CH},rank="worst"}})',
                     table=True)], width=12, columns=WEEK_COLUMNS,
              description="The 5 reels per channel, apart from the best, that gained the"
                          " fewest views in 7 days (reels fetched in those days)"),
], since="now-30d")

DASHBOARDS = [OVERVIEW, CHANNEL, BACKENDS, AUDIENCE, TEMPORAL_SDK]


def build(spec: DashboardSpec) -> dict[str, Any]:
    from grafana_foundation_sdk.builders import bargauge, gauge, stat, table, timeseries
    from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable
    from grafana_foundation_sdk.builders.prometheus import Dataquery
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.common import BarAlignment, GraphDrawStyle
    from grafana_foundation_sdk.models.dashboard import DataSourceRef, DataTransformerConfig
    from grafana_foundation_sdk.models.prometheus import PromQueryFormat

    datasource = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
    kinds = {"timeseries": timeseries.Panel, "stat": stat.Panel, "gauge": gauge.Panel,
             "bargauge": bargauge.Panel, "table": table.Panel}
    board = (Dashboard(spec.title).uid(spec.uid).tags(spec.tags).refresh("30s")
             .time(spec.since, "now").timezone("utc"))
    if spec.channel_variable:
        board = board.with_variable(
            QueryVariable("channel").label("Channel").datasource(datasource)
            .query("label_values(monolathe_reels_daily_target, channel)")
            .multi(True).include_all(True).all_value(".*"))
    for panel in spec.panels:
        description = panel.description
        if panel.only_when:
            description = f"{description} (only has data when: {panel.only_when})".strip()
        builder = (kinds[panel.kind]().title(panel.title).datasource(datasource)
                   .unit(panel.unit).span(panel.width).height(7))
        if description:
            builder = builder.description(description)
        if panel.max is not None:
            builder = builder.max(panel.max).min(0)
        if panel.interval:
            builder = builder.interval(panel.interval)
        if panel.bars:  # a point at midnight holds the day before it
            builder = (builder.draw_style(GraphDrawStyle.BARS).fill_opacity(80)
                       .bar_alignment(BarAlignment.BEFORE))
        if panel.columns:
            builder = builder.with_transformation(DataTransformerConfig("organize", options={
                "excludeByName": {"Time": True, "__name__": True, "instance": True,
                                  "job": True, "rank": True, "service": True},
                "indexByName": {name: n for n, name in enumerate(panel.columns)},
                "renameByName": panel.columns}))
        for ref, query in zip("ABCDEFGH", panel.queries, strict=False):
            target = (Dataquery().expr(query.expr).legend_format(query.legend or "__auto")
                      .ref_id(ref).datasource(datasource))
            if query.table:
                target = target.instant().format(PromQueryFormat.TABLE)
            builder = builder.with_target(target)
        board = board.with_panel(builder)
    return _drop_nulls(json.loads(JSONEncoder(sort_keys=True, indent=2).encode(board.build())))


def _drop_nulls(value: Any) -> Any:
    """The SDK encodes unset panel options as null; Grafana wants them absent."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


PROVISION_DATASOURCE = """\
# Grafana provisioning: the Prometheus datasource the dashboards refer to (uid prometheus).
apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: true
  - name: Loki
    uid: loki
    type: loki
    access: proxy
    url: http://loki:3100
"""

PROVISION_DASHBOARDS = """\
# Grafana provisioning: load every JSON in this folder (mounted at /var/lib/grafana/dashboards).
apiVersion: 1
providers:
  - name: monolathe
    folder: monolathe
    type: file
    disableDeletion: true
    options:
      path: /var/lib/grafana/dashboards
"""


def render() -> dict[str, str]:
    """Relative path -> file text, for every generated file."""
    files = {f"{spec.uid.removeprefix('monolathe-')}.json":
             json.dumps(build(spec), indent=2, sort_keys=True) + "\n" for spec in DASHBOARDS}
    files["provisioning/datasources/prometheus.yaml"] = PROVISION_DATASOURCE
    files["provisioning/dashboards/monolathe.yaml"] = PROVISION_DASHBOARDS
    return files


def write(out_dir: Path) -> list[Path]:
    written = []
    for name, text in render().items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def panel_queries(board: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, description, expr) of every target of a generated dashboard."""
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], panel.get("description", ""), target["expr"]))
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("dashboards")
    for path in write(folder):
        print(path)
