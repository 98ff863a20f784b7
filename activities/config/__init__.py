"""Load and validate `temporal.yaml` and `channels/<name>.yaml`.

Every problem becomes one `ConfigError` whose message names the file, the field and the
reason, e.g. `channels/demo.yaml: cadence.per_day: must be greater than or equal to 1`
(`errors`). The validated result is the plain dataclasses of `workflows.contracts`, which is
what crosses into workflows.

The runtime settings are `settings` with one module per section of temporal.yaml (`server`,
`costs`, `llm`, `footage`, `trends`, `backups`, `api`, ...); a channel's file is `channel`
with one module per section (`channel_look`, `channel_voice`, `channel_trends`, ...). Import
from this package: the modules are its rooms, not its doors.
"""

from activities.config.api import ApiSettings
from activities.config.backups import BackupSettings
from activities.config.channel import NAME as _NAME
from activities.config.channel import channel_path, load_channel
from activities.config.channel_look import ASPECT_SIZES, TRANSITIONS
from activities.config.channel_visuals import LOCAL_VISUAL_SOURCES, PROVIDER_SOURCES
from activities.config.codec import CodecSettings
from activities.config.costs import LlmPrice
from activities.config.errors import ConfigError, problem
from activities.config.footage import SourceSettings, VisualsSettings
from activities.config.gpu import GpuSettings
from activities.config.ledger import LedgerSettings
from activities.config.llm import LlmSettings
from activities.config.publishing import DEFAULT_SECRETS_DIR, PublishingSettings
from activities.config.server import Queues
from activities.config.settings import CONFIG_ENV, Settings, default_settings_path, load_settings
from activities.config.trends import TrendApis

__all__ = [
    "ASPECT_SIZES",
    "CONFIG_ENV",
    "DEFAULT_SECRETS_DIR",
    "LOCAL_VISUAL_SOURCES",
    "PROVIDER_SOURCES",
    "TRANSITIONS",
    "_NAME",
    "ApiSettings",
    "BackupSettings",
    "CodecSettings",
    "ConfigError",
    "GpuSettings",
    "LedgerSettings",
    "LlmPrice",
    "LlmSettings",
    "PublishingSettings",
    "Queues",
    "Settings",
    "SourceSettings",
    "TrendApis",
    "VisualsSettings",
    "channel_path",
    "default_settings_path",
    "load_channel",
    "load_settings",
    "problem",
]
