"""infra/ and dashboards/: the configs pass their own tools, and the generated files are current."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from tests.telemetry.prom import INFRA, REPO, need_binary
from workers.telemetry.dashboards import DASHBOARDS, panel_queries, render


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120,
                          cwd=INFRA)


def test_promtool_checks_the_prometheus_config_and_its_rules():
    run = _run(need_binary("promtool"), "check", "config", "prometheus.yml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 12 rules found" in run.stdout + run.stderr


def test_every_alert_has_a_promtool_unit_test_and_they_pass():
    run = _run(need_binary("promtool"), "test", "rules", "alerts_test.yml")
    assert run.returncode == 0, run.stdout + run.stderr
    alerts = {rule["alert"] for group in yaml.safe_load((INFRA / "alerts.yml").read_text())["groups"]
              for rule in group["rules"]}
    tests = yaml.safe_load((INFRA / "alerts_test.yml").read_text())["tests"]
    fired = {case["alertname"] for t in tests for case in t["alert_rule_test"] if case["exp_alerts"]}
    quiet = {case["alertname"] for t in tests for case in t["alert_rule_test"]
             if not case["exp_alerts"]}
    assert alerts == fired, alerts ^ fired  # each alert is shown firing ...
    assert alerts <= quiet | {"MonolatheBudgetExhausted"}  # ... and quiet when it should be
    assert "MonolatheBudgetExhausted" in quiet


def test_alertmanager_config_is_valid():
    run = _run(need_binary("amtool"), "check-config", "alertmanager.yml")
    assert run.returncode == 0, run.stdout + run.stderr


def test_compose_file_passes_docker_compose_config():
    if shutil.which("docker") and _run("docker", "compose", "version").returncode == 0:
        argv = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        argv = ["docker-compose"]  # Debian's docker-compose 1.29 validates the same file
    else:
        pytest.skip("neither `docker compose` nor docker-compose is installed "
                    "(apt-get install docker-compose)")
    run = _run(*argv, "-f", "compose.yaml", "config")
    assert run.returncode == 0, run.stdout + run.stderr


def test_compose_stack_has_every_service_and_binds_ports_to_loopback():
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgresql", "temporal", "temporal-ui", "prometheus", "grafana",
                             "alertmanager", "loki", "promtail", "worker-reels", "worker-media",
                             "worker-gpu", "worker-publish",
                             "worker-generate", "minio"}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
    for queue in ("reels", "media", "gpu", "publish", "generate"):
        assert services[f"worker-{queue}"]["command"] == ["worker", queue]
    prometheus = yaml.safe_load((INFRA / "prometheus.yml").read_text())
    scraped = {t.split(":")[0] for job in prometheus["scrape_configs"]
               for c in job["static_configs"] for t in c["targets"]}
    assert scraped == {f"worker-{q}" for q in ("reels", "media", "gpu", "publish", "generate")}


def test_checked_in_dashboards_are_the_generated_ones():
    stale = [name for name, text in render().items()
             if not (REPO / "dashboards" / name).is_file()
             or (REPO / "dashboards" / name).read_text() != text]
    assert not stale, f"run `make dashboards` and commit: {stale}"


def test_dashboards_are_the_five_boards_and_refer_to_the_provisioned_datasource():
    assert {d.uid for d in DASHBOARDS} == {"monolathe-overview", "monolathe-channel",
                                           "monolathe-backends", "monolathe-audience",
                                           "monolathe-temporal-sdk"}
    datasource = yaml.safe_load(
        (REPO / "dashboards/provisioning/datasources/prometheus.yaml").read_text())
    uid = datasource["datasources"][0]["uid"]
    for path in (REPO / "dashboards").glob("*.json"):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid and panel["targets"], panel["title"]
        assert panel_queries(board)
    overview = {p["title"] for p in json.loads((REPO / "dashboards/overview.json").read_text())
                ["panels"]}
    assert {"Daily progress", "Reels published today", "Upload success rate", "Cost per reel",
            "CPU", "Memory", "Accelerator memory", "Queue depth", "Active jobs"} <= overview


def test_promtail_reads_the_fields_the_json_log_writes():
    """No Loki or promtail binary exists here: check the contract between the two files."""
    import logging
    from datetime import datetime

    from workers.telemetry.logs import JsonFormatter

    promtail = yaml.safe_load((INFRA / "promtail.yaml").read_text())
    stages = promtail["scrape_configs"][0]["pipeline_stages"]
    wanted = stages[0]["json"]["expressions"]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.temporal_workflow = {"workflow_id": "reel/cats/2026-11-23/1"}
    line = json.loads(JsonFormatter("monolathe-reels").format(record))
    assert set(wanted.values()) <= set(line), (wanted, line)
    assert set(stages[1]["labels"]) == {"level", "service", "channel"}  # few values each
    datetime.fromisoformat(line[stages[2]["timestamp"]["source"]])  # RFC 3339
    assert promtail["scrape_configs"][0]["static_configs"][0]["labels"]["__path__"] \
        .endswith(".jsonl")
    loki = yaml.safe_load((INFRA / "loki.yaml").read_text())
    assert loki["server"]["http_listen_port"] == 3100
    assert promtail["clients"][0]["url"].startswith("http://loki:3100/")
