"""Build the workers of each task queue; `monolathe up` runs all of them in one process.

Heavy modules (numpy, onnxruntime, ffmpeg wrappers) are imported only for the queues that
need them, so `monolathe worker reels` runs without the media or voice stacks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities import artifacts
from activities.artifacts import ArtifactStore
from activities.config import Settings
from workers.ledger_access import ledger_for
from workers.work_errors import WorkErrorInterceptor

if TYPE_CHECKING:
    from workers.telemetry.setup import Telemetry

QUEUES = ("reels", "media", "gpu", "publish", "generate")
log = logging.getLogger("monolathe.workers")


def activities_for(queue: str, settings: Settings, client: Client | None = None) -> list[Any]:
    store = ArtifactStore(settings.artifacts_dir)
    artifacts.configure(settings.artifacts_url, store.root, settings.artifacts_endpoint)
    rate = settings.cpu_second_usd
    if queue == "reels":
        from activities.backup import BackupActivities
        from activities.channel import ChannelActivities
        from activities.footage_control import FootageControlActivities
        from activities.script import ScriptActivities
        from activities.script_api import ApiScriptActivities
        from activities.topics import TopicActivities
        from activities.trends.scout import TrendActivities

        channel = ChannelActivities(settings, ledger_for(settings.ledger_url, settings.ledger))
        trends = TrendActivities(settings, ledger_for(settings.ledger_url, settings.ledger))
        acts = [channel.load_channel, channel.record_reel, TopicActivities().pick_topic,
                ScriptActivities(rate).write_script,
                ApiScriptActivities(settings).write_script_api,
                trends.scout_trends, trends.take_topic, trends.rescore_topics,
                trends.list_past_reels, trends.rescore_performance,
                BackupActivities(settings).make_backup]
        if client is not None:  # the control plane talks to other workflows
            control = FootageControlActivities(client, settings.queues.reels, settings.breakers)
            acts += [control.read_footage_context, control.reserve_footage_budget]
        return acts
    if queue == "gpu":
        from activities.gpu import runtime
        from activities.gpu.embeddings import EmbeddingActivities
        from activities.gpu.icon_match import IconMatchActivities
        from activities.gpu.llm_script import LlmScriptActivities
        from activities.voice import VoiceActivities

        gpu = settings.gpu
        runtime.configure(runtime.GpuLimits(gpu.memory_limit_gb, gpu.cache_limit_gb,
                                            gpu.resident_per_kind))
        embeddings = EmbeddingActivities(rate, gpu.embeddings_model)
        return [VoiceActivities(store, rate).synthesize_voice,
                LlmScriptActivities(rate).write_script_mlx,
                embeddings.pick_novel_topic, embeddings.match_media,
                embeddings.rank_relevance, embeddings.predict_performance,
                embeddings.score_scene_relevance,
                IconMatchActivities(store.root, rate, gpu.embeddings_model).match_icons]
    if queue == "media":
        from activities.compose import ComposeActivities
        from activities.media_library import MediaLibraryActivities
        from activities.quality import QualityActivities
        from activities.visuals import VisualsActivities

        return [VisualsActivities(store, rate).make_visuals,
                ComposeActivities(store, rate).compose_reel,
                QualityActivities(store, rate).check_quality,
                MediaLibraryActivities().list_own_media]
    if queue == "publish":
        from activities.publish import PublishActivities
        from activities.publishers.instagram import InstagramPublisher
        from activities.publishers.tiktok import TikTokPublisher
        from activities.publishers.youtube import YouTubePublisher
        from activities.secrets import SecretStore

        ledger = ledger_for(settings.ledger_url, settings.ledger)
        secrets = SecretStore(settings.publishing.secrets_dir)
        platforms = {
            "youtube": YouTubePublisher(secrets, ledger, settings.publishing),
            "instagram": InstagramPublisher(secrets, ledger, settings.publishing),
            "tiktok": TikTokPublisher(secrets, ledger, settings.publishing),
        }
        publish = PublishActivities(ledger, rate, platforms)
        return [publish.publish_reel, publish.publish_to_platform,
                *performance_activities(secrets, ledger, settings)]
    if queue == "generate":
        from activities.footage import FootageActivities

        footage = FootageActivities(settings, ledger_for(settings.ledger_url, settings.ledger), store)
        return [footage.generate_footage, footage.list_footage_sources]
    raise ValueError(f"unknown queue {queue!r}; choose one of {', '.join(QUEUES)}")


def performance_activities(secrets: Any, ledger: Any, settings: Settings) -> list[Any]:
    """The performance fetches: one fetcher per platform (activities/performance)."""
    from activities.performance.activities import PerformanceActivities
    from activities.performance.instagram import InstagramFetcher
    from activities.performance.tiktok import TikTokFetcher
    from activities.performance.youtube import YouTubeFetcher

    perf = PerformanceActivities(ledger, {
        "youtube": YouTubeFetcher(secrets, ledger, settings.publishing),
        "instagram": InstagramFetcher(secrets, ledger, settings.publishing),
        "tiktok": TikTokFetcher(secrets, ledger, settings.publishing),
    })
    return [perf.list_published_reels, perf.fetch_performance]


def build_worker(client: Client, settings: Settings, queue: str,
                 interceptors: Sequence[Interceptor] = ()) -> Worker:
    from workflows.backup import BackupWorkflow
    from workflows.channel import ChannelWorkflow
    from workflows.health import BackendHealthWorkflow
    from workflows.performance import PerformanceWorkflow
    from workflows.reel import ReelWorkflow
    from workflows.scout import TrendScoutWorkflow

    acts = activities_for(queue, settings, client)
    concurrency = settings.concurrency[queue]
    task_queue = getattr(settings.queues, queue)
    rate = settings.rates.get(queue, 0.0)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=([ChannelWorkflow, ReelWorkflow, TrendScoutWorkflow, BackupWorkflow,
                    BackendHealthWorkflow, PerformanceWorkflow] if queue == "reels" else []),
        activities=acts,
        interceptors=[WorkErrorInterceptor(), *interceptors],
        activity_executor=ThreadPoolExecutor(max_workers=concurrency,
                                              thread_name_prefix=f"{queue}-activity"),
        max_concurrent_activities=concurrency,
        # Paid providers' request rates: the server spaces out the tasks of the whole queue.
        max_task_queue_activities_per_second=rate or None,
        graceful_shutdown_timeout=timedelta(seconds=10),
        # Cancellation reaches a sync activity only through a heartbeat: send them often
        # so a channel kill stops ffmpeg within seconds.
        max_heartbeat_throttle_interval=timedelta(seconds=2),
    )


async def run_workers(client: Client, settings: Settings, queues: list[str],
                      stop: asyncio.Event, telemetry: Telemetry | None = None) -> None:
    """Run the given queues' workers until `stop` is set, then shut them down gracefully."""
    if "reels" in queues:  # the workflows set search attributes: the server must know them
        from workers.search_attributes import ensure_search_attributes

        await ensure_search_attributes(client, settings.namespace)
    interceptors: list[Interceptor] = []
    if telemetry is not None:
        interceptors.append(telemetry.metrics_interceptor)
        telemetry.watch(client)
    workers = [build_worker(client, settings, q, interceptors) for q in queues]
    if "gpu" in queues:
        from activities.gpu import runtime

        print(f"gpu worker: {runtime.describe()}", flush=True)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    log.info("workers running: %s", ", ".join(queues))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if task is not stopper and task.exception():
            log.error("worker stopped: %s", task.exception())
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    if telemetry is not None:
        await telemetry.unwatch()
    stopper.cancel()
