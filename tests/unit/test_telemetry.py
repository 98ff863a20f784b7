"""Telemetry pieces that need no server: log lines, labels, schedule figures, config errors."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider

from activities.config import ConfigError, load_settings
from workers.telemetry.figures import daily_target, slots_passed
from workers.telemetry.interceptor import backend_of, channel_of, requested_backend
from workers.telemetry.logs import JsonFormatter
from workflows.contracts import (
    Cadence,
    ChannelConfig,
    ChannelRef,
    ScriptRequest,
    StageCost,
    Topic,
    Visuals,
    VoiceConfig,
    VoiceRequest,
)


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("monolathe.x", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_json_log_line_names_channel_reel_workflow_and_trace():
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("s") as span:
        line = json.loads(JsonFormatter("monolathe-reels").format(_record(
            "quality check failed",
            temporal_workflow={"workflow_id": "reel/cats/2026-11-23/4",
                               "workflow_type": "ReelWorkflow"})))
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert line["service"] == "monolathe-reels" and line["level"] == "warning"
    assert line["channel"] == "cats" and line["reel"] == "reel/cats/2026-11-23/4"
    assert line["workflow_id"] == "reel/cats/2026-11-23/4" and line["trace_id"] == trace_id


def test_json_log_line_of_a_channel_workflow_has_no_reel():
    line = json.loads(JsonFormatter("s").format(_record(
        "slot", temporal_workflow={"workflow_id": "channel/cats"})))
    assert line["channel"] == "cats" and "reel" not in line and "trace_id" not in line


def test_labels_come_from_reel_ids_requests_and_results():
    channel = ChannelConfig(name="cats", niche="cats")
    assert channel_of(ScriptRequest("reel/cats/2026-11-23/1", channel, Topic("t"))) == "cats"
    assert channel_of(ChannelRef("dogs", "2026-11-23")) == "dogs"
    assert channel_of(None) == "unknown"
    assert requested_backend(VoiceRequest("r", VoiceConfig(backend="piper"), None)) == "piper"
    assert backend_of(Visuals([], StageCost("visuals", "procedural", 1, 1, 0))) == "procedural"
    assert backend_of(None) is None


def test_schedule_figures_count_the_slots_already_passed():
    three = Cadence(per_day=3)  # 00:00, 08:00, 16:00 UTC
    assert daily_target(three) == 3
    assert slots_passed(three, datetime(2026, 11, 23, 7, 59, tzinfo=UTC)) == 1
    assert slots_passed(three, datetime(2026, 11, 23, 16, 0, tzinfo=UTC)) == 3
    times = Cadence(times=["09:30", "18:00"])
    assert daily_target(times) == 2
    assert slots_passed(times, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) == 0


def test_tracing_endpoint_must_be_an_http_url(tmp_path):
    path = tmp_path / "temporal.yaml"
    path.write_text("tracing: {otlp_endpoint: 'localhost:4317'}\n")
    with pytest.raises(ConfigError, match=r"temporal.yaml: tracing.otlp_endpoint: .*not an http"):
        load_settings(path)


def test_telemetry_settings_default_to_loopback_and_a_json_log_under_var(tmp_path):
    path = tmp_path / "temporal.yaml"
    path.write_text("{}\n")
    s = load_settings(path)
    assert (s.metrics_host, s.metrics_port, s.metrics_sdk_port) == ("127.0.0.1", 9464, 9465)
    assert s.log_json_file == tmp_path / "var" / "logs" / "monolathe.jsonl"
    assert s.otlp_endpoint == ""


def test_a_taken_metrics_port_moves_to_the_next_and_an_unusable_host_is_a_clear_error(tmp_path):
    import socket

    from workers.telemetry.setup import TelemetryError, start_telemetry

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "temporal.yaml"
        path.write_text(f"metrics: {{port: {port}, sdk_port: 0}}\nlogs: {{json_file: ''}}\n")
        settings = load_settings(path)
        telemetry = start_telemetry(settings, ["media"])
        try:
            assert port < telemetry.metrics_port < port + 20
            target = tmp_path / "var/prometheus/monolathe" / f"127.0.0.1_{telemetry.metrics_port}.json"
            assert target.is_file()
        finally:
            telemetry.shutdown()
        assert not target.exists()
    path.write_text("metrics: {host: 192.0.2.1, port: 9464, sdk_port: 0}\nlogs: {json_file: ''}\n")
    with pytest.raises(TelemetryError, match=r"temporal.yaml: metrics.port: cannot listen "
                                             r"on 192.0.2.1:9464 nor the 19 ports after it"):
        start_telemetry(load_settings(path), ["media"])
