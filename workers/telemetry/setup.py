"""Wire one worker process: metrics endpoints, SDK runtime, tracing and the JSON log."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, start_http_server
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from activities.config import Settings
from workers.ledger_access import ledger_for
from workers.telemetry.gauges import (
    FiguresCache,
    register_backup_gauges,
    register_ledger_gauges,
    register_probe_gauges,
    register_system_gauges,
)
from workers.telemetry.instruments import Instruments
from workers.telemetry.interceptor import MetricsInterceptor
from workers.telemetry.logs import add_json_log
from workers.telemetry.probe import TemporalProbe
from workers.telemetry.tracing import tracer_provider, tracing_interceptor
from workflows.reel_timing import REEL_LATENCY, SLOT_LATENESS, TIMING_BUCKETS

log = logging.getLogger("monolathe.telemetry")


class TelemetryError(Exception):
    """A metrics endpoint could not be opened; the message names the setting to change."""


# Workers side by side on one host: each takes its configured port or the next free one, and
# writes a file-based service discovery target under <var_dir>/prometheus/<job>/ for a local
# Prometheus (infra/prometheus.local.yml) to find it.
PORT_TRIES = 20
SD_JOBS = ("monolathe", "temporal-sdk")


def _next_free(port: int, bind: Any) -> tuple[int, Any]:
    """bind(port) on the configured port or the next ones; (port, what bind returned)."""
    error: Exception | None = None
    for candidate in [0] if port == 0 else range(port, min(port + PORT_TRIES, 65536)):
        try:
            return candidate, bind(candidate)
        except (OSError, ValueError) as exc:  # the Rust core reports a taken port as ValueError
            error = exc
    raise error or OSError("no port")


def write_target(var_dir: Path, job: str, host: str, port: int, service: str) -> Path:
    """One Prometheus file_sd target for this process, named by its address."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    folder = var_dir / "prometheus" / job
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{host}_{port}.json"
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps([{"targets": [f"{host}:{port}"],
                                "labels": {"service": service}}]))
    os.replace(tmp, path)
    return path


@cache
def sdk_runtime(bind_address: str) -> Runtime:
    """One Runtime per process and address: Temporal's metrics server cannot be bound twice.

    Default naming (no unit or _total suffixes, durations in ms) so the community Temporal
    SDK dashboard's queries work unchanged. The reel timing histograms get bounds at their SLO
    thresholds (the SDK's default buckets have none at 600 s or 1800 s).
    """
    buckets = {name: TIMING_BUCKETS for name in (SLOT_LATENESS, REEL_LATENCY)}
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
        bind_address=bind_address, histogram_bucket_overrides=buckets)))


@dataclass
class Telemetry:
    settings: Settings
    service: str
    queues: list[str]
    meter_provider: MeterProvider
    tracer_provider: TracerProvider
    metrics_interceptor: MetricsInterceptor
    runtime: Runtime | None
    metrics_port: int  # the bound port (the configured one, or the free one for port 0)
    _server: Any = None
    log_handler: logging.Handler | None = None
    sdk_port: int = 0  # the Temporal SDK metrics port taken; 0 = none
    targets: list[Path] = field(default_factory=list)  # file_sd files removed at shutdown
    figures: FiguresCache | None = field(default=None, repr=False)
    _probe_task: asyncio.Task[None] | None = field(default=None, repr=False)
    _probe_stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def metrics_url(self) -> str:
        return f"http://{self.settings.metrics_host}:{self.metrics_port}/metrics"

    def client_options(self) -> dict[str, Any]:
        """What `Client.connect` needs: the SDK metrics runtime and the tracing interceptor."""
        options: dict[str, Any] = {"interceptors": [tracing_interceptor(self.tracer_provider)]}
        if self.runtime is not None:
            options["runtime"] = self.runtime
        return options

    def watch(self, client: Client) -> None:
        """Start the Temporal probe (reels in flight, backlogs) in the reels worker process."""
        if "reels" not in self.queues or self._probe_task is not None:
            return
        s = self.settings.queues
        channels = sorted(p.stem for p in self.settings.channels_dir.glob("*.yaml"))
        probe = TemporalProbe(client, [s.reels, s.media, s.gpu, s.publish], channels)
        register_probe_gauges(self.meter_provider.get_meter("monolathe.temporal"), probe)
        if self.figures is not None:
            self.figures.live_budgets = lambda: probe.daily_budgets
        self._probe_task = asyncio.create_task(probe.run(self._probe_stop))

    async def unwatch(self) -> None:
        if self._probe_task is not None:
            self._probe_stop.set()
            await self._probe_task
            self._probe_task = None

    def shutdown(self) -> None:
        for target in self.targets:
            target.unlink(missing_ok=True)
        if self._probe_task is not None:
            self._probe_stop.set()  # unwatch() is the clean way; this at least ends the loop
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.meter_provider.shutdown()
        self.tracer_provider.shutdown()
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()


def start_telemetry(settings: Settings, queues: list[str], strict: bool = True) -> Telemetry:
    """Open the endpoints for a process running the workers of `queues`.

    `strict=False` (the demo) serves on free ports when the configured ones are taken, so a
    demo beside a running stack still works; `up` and `worker` fail with a clear message.
    """
    try:
        return _start(settings, queues, settings.metrics_port, settings.metrics_sdk_port)
    except TelemetryError as exc:
        if strict:
            raise
        log.warning("%s; serving metrics on a free port instead", exc)
        return _start(settings, queues, 0, 0)


def _start(settings: Settings, queues: list[str], port: int, sdk_port: int) -> Telemetry:
    service = "monolathe-" + "-".join(queues) if len(queues) < 4 else "monolathe"
    resource = Resource.create({"service.name": service})
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    provider = MeterProvider(metric_readers=[reader], resource=resource)
    meter = provider.get_meter("monolathe")
    interceptor = MetricsInterceptor(Instruments.create(meter))
    register_system_gauges(meter, settings.var_dir)
    figures = None
    if "reels" in queues:
        # The process that owns the ledger reports the business figures, once.
        figures = FiguresCache(settings, ledger_for(settings.ledger_url, settings.ledger))
        register_ledger_gauges(meter, figures)
        from workers.telemetry.audience import AudienceCache, register_audience_gauges

        register_audience_gauges(meter, AudienceCache(settings, figures.ledger))
        register_backup_gauges(meter, settings.backups.dir)  # BackupWorkflow runs on reels
    server, runtime = None, None
    host = settings.metrics_host
    if not settings.metrics_enabled:
        port = 0
    else:
        try:
            _, (server, _thread) = _next_free(
                port, lambda p: start_http_server(p, addr=host, registry=registry))
        except (OSError, ValueError) as exc:
            provider.shutdown()
            raise TelemetryError(
                f"{settings.source}: metrics.port: cannot listen on {host}:{port} nor the"
                f" {PORT_TRIES - 1} ports after it ({exc}); choose another port or 0") from None
        port = server.server_port
        if sdk_port:
            try:
                sdk_port, runtime = _next_free(sdk_port, lambda p: sdk_runtime(f"{host}:{p}"))
            except (OSError, ValueError) as exc:
                server.shutdown()
                server.server_close()
                provider.shutdown()
                raise TelemetryError(
                    f"{settings.source}: metrics.sdk_port: cannot serve Temporal SDK metrics "
                    f"on {host}:{sdk_port} nor the ports after it ({exc})") from None
        log.info("metrics on http://%s:%d/metrics, Temporal SDK metrics on port %s", host,
                 port, sdk_port or "-")
    handler = None
    if settings.log_json_file is not None:
        # "{service}" in the file name gives each worker process its own file.
        path = Path(str(settings.log_json_file).replace("{service}", service))
        handler = add_json_log(path, service, settings.log_level)
    traces = tracer_provider(service, settings.otlp_endpoint)
    targets = [write_target(settings.var_dir, job, host, p, service)
               for job, p in zip(SD_JOBS, (port, sdk_port if runtime else 0), strict=True)
               if server is not None and p]
    return Telemetry(settings, service, list(queues), provider, traces, interceptor, runtime,
                     port, server, handler, sdk_port=sdk_port if runtime else 0,
                     targets=targets, figures=figures)
