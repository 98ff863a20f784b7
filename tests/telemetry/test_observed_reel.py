"""Two real reels on a real dev server, watched by a real Prometheus.

The first reel's upload fails once (its output folder is blocked by a file) and succeeds on
Temporal's retry, so failure, retry and error-rate series exist; the second reel makes every
rate non-zero. Then every dashboard panel's query must return data through Prometheus's
HTTP API, the alert rules must evaluate cleanly (and the exhausted-budget alert fire for a
channel whose budget is tiny), a reel must arrive as one trace over OTLP, and the JSON log
must say which channel, reel, workflow and trace each stage belonged to.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_asyncio
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.config import Settings, load_channel, load_settings
from activities.topics import find_topic
from tests.telemetry.prom import REPO, Prometheus, free_port, need_binary, scrape_config
from workers.run import QUEUES, build_worker
from workers.telemetry.dashboards import panel_queries
from workers.telemetry.setup import start_telemetry
from workflows.contracts import ReelInput, ReelResult

pytestmark = pytest.mark.integration
TINY_BUDGET = 0.0001  # two reels spend ~$0.002: the budget alerts must fire


def _has_mlx() -> bool:
    try:
        return importlib.util.find_spec("mlx.core") is not None
    except ImportError:
        return False


class OtlpReceiver:
    """A loopback OTLP/HTTP trace receiver: decodes what the real exporter posts."""

    def __init__(self) -> None:
        self.spans: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        receiver.spans.extend(scope.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _settings(folder: Path, address: str, otlp: str) -> Settings:
    shutil.copytree(REPO / "channels", folder / "channels")
    demo = folder / "channels" / "demo.yaml"
    demo.write_text(demo.read_text().replace("daily_usd: 1.00", f"daily_usd: {TINY_BUDGET}"))
    (folder / "temporal.yaml").write_text(
        f"server: {{address: '{address}', embedded: false}}\n"
        "queues: {reels: ob-reels, media: ob-media, gpu: ob-gpu, publish: ob-publish}\n"
        "data: {var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db',"
        " out_dir: out, channels_dir: channels}\n"
        f"metrics: {{host: 127.0.0.1, port: 0, sdk_port: {free_port()}}}\n"
        f"tracing: {{otlp_endpoint: '{otlp}'}}\n"
        "logs: {json_file: 'var/logs/{service}.jsonl', level: INFO}\n")
    return load_settings(folder / "temporal.yaml")


def _metrics_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()


async def _unblock_after_failed_upload(metrics_url: str, blocker: Path) -> None:
    """Remove the file in the way once publish_reel has failed for it, so the retry works."""
    while True:
        text = await asyncio.to_thread(_metrics_text, metrics_url)
        if any(line.startswith("monolathe_stage_duration_seconds_count") and
               'stage="publish_reel"' in line and 'outcome="failed"' in line
               for line in text.splitlines()):
            blocker.unlink()
            return
        await asyncio.sleep(0.1)


@pytest_asyncio.fixture(scope="module")
async def observed(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[SimpleNamespace]:
    need_binary("prometheus")
    folder = tmp_path_factory.mktemp("observed")
    receiver = OtlpReceiver()
    settings = _settings(folder, dev_env.client.service_client.config.target_host, receiver.url)
    telemetry = start_telemetry(settings, list(QUEUES))
    prom = Prometheus.start(folder / "prometheus", scrape_config(
        f"127.0.0.1:{telemetry.metrics_port}", f"127.0.0.1:{settings.metrics_sdk_port}"))
    client = await Client.connect(settings.address, namespace=settings.namespace,
                                  **telemetry.client_options())
    telemetry.watch(client)
    if _has_mlx():
        import mlx.core as mx  # the condition of the accelerator panel: a worker with MLX

        mx.eval(mx.ones((256, 256)))
    config = load_channel(settings, "demo")
    # A small frame keeps the test quick; the stages and their metrics are the real ones.
    small = dataclasses.replace(config.look, width=360, height=640, fps=24,
                                x264_preset="superfast")
    config = dataclasses.replace(config, look=small)
    Path(config.out_dir).parent.mkdir(parents=True, exist_ok=True)
    blocker = Path(config.out_dir)
    blocker.write_text("a file where the output folder should be")
    queues = {q: getattr(settings.queues, q) for q in QUEUES}
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    topic = find_topic(config, "Octopuses have three hearts", [])
    results: list[ReelResult] = []
    try:
        async with AsyncExitStack() as stack:
            for queue in QUEUES:
                worker = build_worker(client, settings, queue, [telemetry.metrics_interceptor])
                await stack.enter_async_context(worker)
            unblock = asyncio.create_task(_unblock_after_failed_upload(telemetry.metrics_url,
                                                                       blocker))
            for n in (1, 2):
                reel_id = f"reel/demo/{day}/{n}"
                results.append(await client.execute_workflow(
                    "ReelWorkflow", ReelInput(reel_id, config, topic, queues), id=reel_id,
                    task_queue=settings.queues.reels, result_type=ReelResult))
            assert unblock.done(), "the first upload never failed"
            await asyncio.sleep(3)  # a few scrapes and rule evaluations after the last stage
            await telemetry.unwatch()
        telemetry.tracer_provider.force_flush()
        yield SimpleNamespace(prom=prom, telemetry=telemetry, settings=settings, results=results,
                              receiver=receiver, folder=folder)
    finally:
        prom.stop()
        telemetry.shutdown()
        receiver.close()


def _finite(result: list[dict]) -> bool:
    return any(math.isfinite(float(r["value"][1])) for r in result)


def _panel_expr(expr: str) -> str:
    return expr.replace("$__rate_interval", "5m").replace('"$channel"', '".*"')


def test_every_dashboard_panel_query_returns_data(observed):
    # The Audience board reads the platforms' figures, which a reel just made has none of:
    # tests/telemetry/test_audience_board.py seeds them and queries its panels.
    boards = sorted(p for p in (REPO / "dashboards").glob("*.json") if p.name != "audience.json")
    assert len(boards) == 4
    missing, checked = [], 0
    for path in boards:
        for title, description, expr in panel_queries(json.loads(path.read_text())):
            if "only has data when: mlx" in description and not _has_mlx():
                continue  # no MLX in this environment: the condition cannot be set up
            if "only has data when: footage" in description:
                continue  # the demo channel routes no paid or stock footage: no breakers
            checked += 1
            result = observed.prom.query(_panel_expr(expr))
            if not _finite(result):
                missing.append(f"{path.name}: {title}: {expr} -> {result}")
    assert checked >= 35
    assert not missing, "\n".join(missing)


def test_reels_failures_and_retries_reach_prometheus(observed):
    prom = observed.prom
    assert [r.reel_id.rsplit("/", 1)[1] for r in observed.results] == ["1", "2"]

    def value(expr: str) -> float:
        result = prom.query(expr)
        assert result, expr
        return float(result[0]["value"][1])

    assert value('monolathe_reels_today{channel="demo",status="published"}') == 2
    assert value('sum(monolathe_publications_total{outcome="published"})') == 2
    assert value('sum(monolathe_publications_total{outcome="failed"})') == 1
    assert value('sum(monolathe_stage_retries_total{stage="publish_reel"})') == 1
    assert value('sum(monolathe_stage_duration_seconds_count{stage="synthesize_voice",'
                 'backend="piper",outcome="ok"})') == 2
    assert value('sum(monolathe_quality_checks_total{outcome="passed"})') >= 2
    assert value('monolathe_spend_today_usd{channel="demo"}') == pytest.approx(
        sum(r.total_usd for r in observed.results), rel=1e-3)
    # the SDK's own metrics, under their default names, from the same workers
    assert value('sum(temporal_activity_execution_failed{activity_type="publish_reel"})') >= 1
    assert value('sum(temporal_workflow_completed{workflow_type="ReelWorkflow"})') == 2
    # the reel latency SLO: the workflow meter's histogram, through the SDK's exporter, as the
    # recording rules of infra/slo.yml read it (each reel took well under 30 minutes)
    assert value('sum(monolathe_reel_latency_seconds_count{channel="demo"})') == 2
    assert value('monolathe:reel_latency_errors:ratio_rate5m{channel="demo"}') == 0
    assert not prom.query("monolathe_slot_lateness_seconds_count")  # one-off reels: no slot


def test_alert_rules_evaluate_and_the_budget_alert_fires(observed):
    groups = observed.prom.api("rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    import yaml

    from tests.telemetry.prom import INFRA
    shipped = sum(len(group["rules"]) for name in ("alerts.yml", "slo.yml")
                  for group in yaml.safe_load((INFRA / name).read_text())["groups"])
    assert len(rules) == shipped  # infra/alerts.yml and infra/slo.yml, all loaded
    broken = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert not broken, broken
    firing = {(a["labels"]["alertname"], a["labels"].get("channel")): a["state"]
              for a in observed.prom.api("alerts")["alerts"]}
    assert firing.get(("MonolatheBudgetExhausted", "demo")) == "firing", firing
    assert ("MonolatheBudgetWarning", "demo") not in firing  # inhibited by range, not both


def test_a_reel_is_one_trace_of_workflow_and_activities(observed):
    reel_id = observed.results[1].reel_id
    spans = observed.receiver.spans
    runs = [s for s in spans if s.name == "RunWorkflow:ReelWorkflow"
            and any(a.key == "temporalWorkflowID" and a.value.string_value == reel_id
                    for a in s.attributes)]
    assert runs, sorted({s.name for s in spans})
    trace = runs[0].trace_id
    names = {s.name for s in spans if s.trace_id == trace}
    for stage in ("write_script", "synthesize_voice", "make_visuals", "compose_reel",
                  "check_quality", "publish_reel", "record_reel"):
        assert f"RunActivity:{stage}" in names, names


def test_json_log_names_channel_reel_workflow_and_trace(observed):
    log = observed.settings.var_dir / "logs" / "monolathe.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    reel_id = observed.results[1].reel_id
    published = [line for line in lines if line.get("reel") == reel_id
                 and line["message"].startswith("publish_reel ok")]
    assert len(published) == 1, lines[-5:]
    line = published[0]
    assert line["service"] == "monolathe" and line["channel"] == "demo"
    assert line["workflow_id"] == reel_id and len(line["trace_id"]) == 32
    failed = [line for line in lines if line["message"].startswith("publish_reel failed")]
    assert failed and failed[0]["level"] == "warning"


def test_status_command_prints_the_same_figures(observed):
    run = subprocess.run(
        [sys.executable, "-m", "workers.cli", "--config",
         str(observed.settings.source), "status", "--json"],
        check=False, capture_output=True, text=True, timeout=60, cwd=observed.folder)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    demo = next(c for c in report["channels"] if c["channel"] == "demo")
    assert demo["published"] == 2 and demo["target"] == 3
    assert demo["spend_usd"] == pytest.approx(sum(r.total_usd for r in observed.results),
                                              rel=1e-3)
    assert demo["budget_remaining_usd"] == 0.0
    assert {b["stage"] for b in demo["backends"]} >= {"voice", "visuals", "compose", "publish"}
    assert report["temporal"] == "ok"
    assert report["backlog"]["ob-media/activity"] == 0
    text = subprocess.run(
        [sys.executable, "-m", "workers.cli", "--config", str(observed.settings.source),
         "status"], check=True, capture_output=True, text=True, timeout=60,
        cwd=observed.folder).stdout
    due = demo["expected_by_now"]  # slots of today already passed: depends on the hour
    behind = f"  BEHIND by {due - 2}" if due > 2 else ""
    assert f"reels     2/3 published today (67%), {due} due by now, 0 failed{behind}\n" in text
    assert "temporal: 0 reel(s) in flight; tasks waiting: none" in text
