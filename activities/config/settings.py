"""temporal.yaml as one `Settings`, every relative path resolved against the file's folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from activities.config.api import ApiSettings, _Api, api_settings
from activities.config.backups import BackupSettings, _Backups, backup_settings
from activities.config.breakers import _Breakers
from activities.config.codec import CodecSettings, _Codec, codec_settings
from activities.config.common import Strict, read_yaml, resolve, resolve_sqlite
from activities.config.costs import _Costs
from activities.config.errors import invalid
from activities.config.footage import VisualsSettings, _Visuals, visuals_settings
from activities.config.gpu import GpuSettings, _Gpu, gpu_settings
from activities.config.ledger import LedgerSettings, _Ledger, ledger_settings
from activities.config.llm import LlmSettings, _Llm, llm_settings
from activities.config.publishing import PublishingSettings, _Publishing, publishing_settings
from activities.config.server import Queues, _Data, _Queues, _Server, _Workers, concurrency, rates
from activities.config.telemetry import _Logs, _Metrics, _Tracing
from activities.config.trends import TrendApis, _TrendApis
from workflows.contracts import BreakerSettings

CONFIG_ENV = "MONOLATHE_CONFIG"  # path to temporal.yaml; default ./temporal.yaml


class _SettingsFile(Strict):
    server: _Server = _Server()
    queues: _Queues = _Queues()
    workers: _Workers = _Workers()
    data: _Data = _Data()
    ledger: _Ledger = _Ledger()
    costs: _Costs = _Costs()
    metrics: _Metrics = _Metrics()
    tracing: _Tracing = _Tracing()
    logs: _Logs = _Logs()
    publishing: _Publishing = _Publishing()
    gpu: _Gpu = _Gpu()
    visuals: _Visuals = _Visuals()
    llm: _Llm = _Llm()
    trends: _TrendApis = _TrendApis()
    backups: _Backups = _Backups()
    codec: _Codec = _Codec()
    breakers: _Breakers = _Breakers()
    api: _Api = _Api()


@dataclass(frozen=True)
class Settings:
    """temporal.yaml, with every relative path resolved against the file's folder."""

    source: Path
    address: str
    namespace: str
    embedded: bool
    ui_port: int
    db_file: Path
    queues: Queues
    concurrency: dict[str, int]
    var_dir: Path
    artifacts_dir: Path
    ledger_url: str
    out_dir: Path
    channels_dir: Path
    cpu_second_usd: float
    metrics_host: str
    metrics_port: int
    metrics_sdk_port: int = 9465
    metrics_enabled: bool = True
    otlp_endpoint: str = ""
    log_json_file: Path | None = None
    log_level: str = "INFO"
    publishing: PublishingSettings = field(default_factory=PublishingSettings)
    gpu: GpuSettings = field(default_factory=GpuSettings)
    visuals: VisualsSettings = field(default_factory=VisualsSettings)
    rates: dict[str, float] = field(default_factory=dict)  # queue -> activities per second
    llm: LlmSettings = field(default_factory=LlmSettings)
    trends: TrendApis = field(default_factory=TrendApis)
    backups: BackupSettings = field(default_factory=BackupSettings)
    codec: CodecSettings = field(default_factory=CodecSettings)
    breakers: BreakerSettings = field(default_factory=BreakerSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    artifacts_url: str = ""  # s3://bucket/prefix, or "" for artifacts_dir alone
    artifacts_endpoint: str = ""
    ledger: LedgerSettings = field(default_factory=LedgerSettings)

    @property
    def ui_url(self) -> str:
        host = self.address.rsplit(":", 1)[0]
        return f"http://{host}:{self.ui_port}"


def default_settings_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, "temporal.yaml")).resolve()


def load_settings(path: Path | None = None) -> Settings:
    path = (path or default_settings_path()).resolve()
    try:
        raw = _SettingsFile.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise invalid(path, exc) from None
    base = path.parent
    return Settings(
        source=path,
        address=raw.server.address,
        namespace=raw.server.namespace,
        embedded=raw.server.embedded,
        ui_port=raw.server.ui_port,
        db_file=resolve(base, raw.server.db_file),
        queues=Queues(**raw.queues.model_dump()),
        concurrency=concurrency(raw.workers),
        rates=rates(raw.workers),
        var_dir=resolve(base, raw.data.var_dir),
        artifacts_dir=resolve(base, raw.data.artifacts_dir),
        artifacts_url=raw.data.artifacts,
        artifacts_endpoint=raw.data.artifacts_endpoint,
        ledger_url=resolve_sqlite(base, raw.data.ledger_url),
        out_dir=resolve(base, raw.data.out_dir),
        channels_dir=resolve(base, raw.data.channels_dir),
        cpu_second_usd=raw.costs.cpu_second_usd,
        metrics_host=raw.metrics.host,
        metrics_port=raw.metrics.port,
        metrics_sdk_port=raw.metrics.sdk_port,
        metrics_enabled=raw.metrics.enabled,
        otlp_endpoint=raw.tracing.otlp_endpoint,
        log_json_file=resolve(base, raw.logs.json_file) if raw.logs.json_file else None,
        log_level=raw.logs.level,
        publishing=publishing_settings(raw.publishing, base),
        gpu=gpu_settings(raw.gpu, base),
        visuals=visuals_settings(raw.visuals, base),
        llm=llm_settings(raw.llm),
        trends=TrendApis(**raw.trends.model_dump()),
        backups=backup_settings(raw.backups, base),
        codec=codec_settings(raw.codec, base),
        breakers=BreakerSettings(**raw.breakers.model_dump()),
        api=api_settings(raw.api),
        ledger=ledger_settings(raw.ledger),
    )
