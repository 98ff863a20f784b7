"""How late a published reel was against its slot, and how long it took to make.

Both are histograms from the workflow's metric meter, in seconds, labelled by channel, for the
punctuality and latency SLOs of infra/slo.yml. They are recorded where the reel is out on
every platform (publish_reel has returned), on the workflow clock: retries of any stage are in
the figure, and the meter is silent during replay, so a reel is counted once however often
its history is replayed.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import ReelInput

SLOT_LATENESS = "monolathe_slot_lateness_seconds"
REEL_LATENCY = "monolathe_reel_latency_seconds"
# Bucket bounds (s) of both histograms, given to the SDK's Prometheus exporter
# (workers/telemetry/setup.py). The SLO thresholds must be bounds: 600 s (published within
# 10 minutes of the slot) and 1800 s (within 30 minutes of the reel's start).
TIMING_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0,
                  21600.0, 86400.0)


def record_published(input: ReelInput) -> None:
    """Count the reel published now: its lateness (if it fills a slot) and its latency."""
    now = workflow.now()
    meter = workflow.metric_meter().with_additional_attributes({"channel": input.channel.name})
    started = workflow.info().workflow_start_time  # the channel starts it once it has a topic
    meter.create_histogram_float(REEL_LATENCY, "Reel start to published", "s").record(
        max((now - started).total_seconds(), 0.0))
    if input.slot_at:  # a one-off reel has no slot to be late for
        slot = datetime.fromisoformat(input.slot_at)
        meter.create_histogram_float(SLOT_LATENESS, "Slot time to published", "s").record(
            max((now - slot).total_seconds(), 0.0))
