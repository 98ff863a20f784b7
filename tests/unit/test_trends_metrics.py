"""The scout's figures: candidates per source, source errors and queue depth per channel."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from workers.telemetry.instruments import Instruments
from workers.telemetry.interceptor import MetricsInterceptor, _MetricsActivityInbound
from workflows.contracts import ScoutResult, SourceReport


def test_a_scout_run_counts_candidates_errors_and_queue_depth():
    reader = InMemoryMetricReader()
    instruments = Instruments.create(MeterProvider(metric_readers=[reader]).get_meter("t"))
    inbound = _MetricsActivityInbound(None, MetricsInterceptor(instruments))  # type: ignore[arg-type]
    inbound._scout(ScoutResult("sky", [SourceReport("reddit:r/space", 4),
                                       SourceReport("rss:dead", 0, "ConnectionError")], 4, 9),
                   "sky")
    points = {}
    for metric in reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics:
        for point in metric.data.data_points:
            points[(metric.name, tuple(sorted(point.attributes.items())))] = point.value
    assert points[("monolathe.trends.candidates",
                   (("channel", "sky"), ("source", "reddit:r/space")))] == 4
    assert points[("monolathe.trends.source_errors",
                   (("channel", "sky"), ("source", "rss:dead")))] == 1
    assert points[("monolathe.trends.source_errors",
                   (("channel", "sky"), ("source", "reddit:r/space")))] == 0
    assert points[("monolathe.topic_queue.depth", (("channel", "sky"),))] == 9
