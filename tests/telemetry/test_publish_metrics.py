"""Publication metrics through the real publish activities and the loopback YouTube and
Instagram fakes, on the time-skipping server with doubles for the media stages:
each platform's upload is counted once, where it ran, under its own platform label."""

from __future__ import annotations

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from tests.fakes.fixtures import World
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.youtube_api import FakeYouTube
from tests.workflows.doubles import QUEUE, channel_config, unique
from tests.workflows.test_publish_platforms import publishing_worker
from workers.telemetry.instruments import Instruments
from workers.telemetry.interceptor import MetricsInterceptor
from workflows.contracts import ReelInput, ReelResult, Topic
from workflows.reel import ReelWorkflow


def _samples(registry: CollectorRegistry, name: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            if sample.name == name:
                labels = {k: v for k, v in sample.labels.items() if not k.startswith("otel_")}
                out[tuple(sorted(labels.items()))] = sample.value
    return out


async def test_each_platform_is_counted_once_under_its_own_label(
        time_env: WorkflowEnvironment, world: World, youtube_fake: FakeYouTube,
        instagram_fake: FakeInstagram):
    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    interceptor = MetricsInterceptor(Instruments.create(provider.get_meter("test")))
    name = unique("metrics")
    config = channel_config(name="demo", platforms=["local", "youtube", "instagram"],
                            out_dir=str(world.video.parent / "out"))
    reel = ReelInput(f"reel/demo/2026-01-01/{name}", config, Topic("t", facts=["a.", "b."]),
                     {q: QUEUE for q in ("reels", "media", "gpu", "publish")})
    async with publishing_worker(time_env.client, world, [interceptor]):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, reel, id=f"reel/{name}", task_queue=QUEUE, result_type=ReelResult)
    assert {p.platform for p in result.publications} == {"local", "youtube", "instagram"}

    published = {dict(k)["platform"]: v for k, v in
                 _samples(registry, "monolathe_publications_total").items()
                 if dict(k)["outcome"] == "published"}
    assert published == {"local": 1, "youtube": 1, "instagram": 1}
    uploads = {dict(k)["platform"] for k in
               _samples(registry, "monolathe_upload_duration_seconds_count")}
    assert uploads == {"local", "youtube", "instagram"}
    stages = {(dict(k)["stage"], dict(k)["backend"], dict(k)["channel"]) for k in
              _samples(registry, "monolathe_stage_duration_seconds_count")}
    assert {("publish_to_platform", "youtube", "demo"),
            ("publish_to_platform", "instagram", "demo")} <= stages
    provider.shutdown()
