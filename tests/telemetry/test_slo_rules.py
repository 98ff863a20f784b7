"""infra/slo.yml: the SLO recording rules (publish success, slot punctuality, reel latency),
their burn-rate alerts and the views-drop alert pass promtool's checks and their unit tests,
and every alert in it is shown both firing and quiet there."""

from __future__ import annotations

import subprocess

import yaml

from tests.telemetry.prom import INFRA, need_binary


def _promtool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need_binary("promtool"), *argv], check=False, capture_output=True,
                          text=True, timeout=300, cwd=INFRA)


def test_the_slo_rules_load() -> None:
    run = _promtool("check", "rules", "slo.yml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 31 rules found" in run.stdout


def test_every_slo_and_audience_alert_is_tested_and_passes() -> None:
    run = _promtool("test", "rules", "slo_test.yml")
    assert run.returncode == 0, run.stdout + run.stderr
    rules = [r for g in yaml.safe_load((INFRA / "slo.yml").read_text())["groups"]
             for r in g["rules"]]
    alerts = {r["alert"] for r in rules if "alert" in r}
    tests = yaml.safe_load((INFRA / "slo_test.yml").read_text())["tests"]
    fired = {c["alertname"] for t in tests for c in t.get("alert_rule_test", [])
             if c["exp_alerts"]}
    quiet = {c["alertname"] for t in tests for c in t.get("alert_rule_test", [])
             if not c["exp_alerts"]}
    assert alerts == fired
    assert alerts == quiet
    assert {"MonolatheSlotPunctualitySLOFastBurn", "MonolatheSlotPunctualitySLOSlowBurn",
            "MonolatheReelLatencySLOFastBurn", "MonolatheReelLatencySLOSlowBurn"} <= alerts


def test_the_timing_slos_count_reels_at_bounds_the_exporter_has() -> None:
    """A threshold between two bucket bounds would match no series: the SLO would go silent."""
    from workflows.reel_timing import TIMING_BUCKETS

    text = (INFRA / "slo.yml").read_text()
    for metric, bound in (("monolathe_slot_lateness_seconds", 600.0),
                          ("monolathe_reel_latency_seconds", 1800.0)):
        assert f'{metric}_bucket{{le=~"{bound:g}|{bound:.1f}"}}' in text
        assert bound in TIMING_BUCKETS


def test_prometheus_loads_the_slo_rules_beside_the_alerts() -> None:
    for config in ("prometheus.yml", "prometheus.local.yml"):
        assert "slo.yml" in yaml.safe_load((INFRA / config).read_text())["rule_files"]
