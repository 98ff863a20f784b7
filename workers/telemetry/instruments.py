"""monolathe's metric instruments, named once.

Names follow OpenTelemetry; the Prometheus exporter turns `monolathe.stage.duration` with
unit `s` into `monolathe_stage_duration_seconds` and adds `_total` to counters (this
exporter adds no `_ratio` for unit `1`, so ratios say so in their names). Labels stay low-cardinality: channel, stage, backend, queue, platform, outcome;
never a reel id.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.metrics import Counter, Histogram, Meter, UpDownCounter, _Gauge

# Stage times run from a second (script) to tens of minutes (a slow render or upload).
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800)


@dataclass(frozen=True)
class Instruments:
    stage_duration: Histogram  # every activity run: stage, backend, queue, channel, outcome
    stage_retries: Counter  # runs that are a retry (attempt > 1): stage, backend, channel
    stage_active: UpDownCounter  # activities running now: stage, queue
    upload_duration: Histogram  # publish_reel runs: channel, platform, outcome
    publications: Counter  # per platform: channel, platform, outcome (published|reused|failed)
    quality_checks: Counter  # check_quality verdicts: channel, outcome (passed|failed)
    trend_candidates: Counter  # scout_trends: candidates kept per channel and source
    trend_source_errors: Counter  # scout_trends: runs where a source gave nothing, and why
    topic_queue_depth: _Gauge  # unused topics waiting per channel after the last scout run

    @classmethod
    def create(cls, meter: Meter) -> Instruments:
        return cls(
            stage_duration=meter.create_histogram(
                "monolathe.stage.duration", unit="s",
                description="Wall time of one activity run, by stage, backend and outcome",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS),
            stage_retries=meter.create_counter(
                "monolathe.stage.retries", unit="",
                description="Activity runs that were retries of an earlier attempt"),
            stage_active=meter.create_up_down_counter(
                "monolathe.stage.active", unit="",
                description="Activities running now in this worker"),
            upload_duration=meter.create_histogram(
                "monolathe.upload.duration", unit="s",
                description="Wall time of publish_reel, by channel, platform and outcome",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS),
            publications=meter.create_counter(
                "monolathe.publications", unit="",
                description="Publications by channel, platform and outcome"),
            quality_checks=meter.create_counter(
                "monolathe.quality.checks", unit="",
                description="Quality check verdicts by channel"),
            trend_candidates=meter.create_counter(
                "monolathe.trends.candidates", unit="",
                description="Trend candidates kept by the scout, by channel and source"),
            trend_source_errors=meter.create_counter(
                "monolathe.trends.source_errors", unit="",
                description="Scout runs in which a trend source failed, by channel and source"),
            topic_queue_depth=meter.create_gauge(
                "monolathe.topic_queue.depth", unit="",
                description="Unused topics waiting in a channel's queue after the scout ran"),
        )
