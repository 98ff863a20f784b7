"""temporal.yaml's `backups`: where archives go, when the daily one runs, how long they stay."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from activities.config.common import HHMM, Strict, resolve


class _Backups(Strict):
    dir: str = "var/backups"  # where `monolathe backup` and the daily schedule write archives
    at: str = "02:00"  # local time of the daily `backups/daily` schedule
    timezone: str = ""  # IANA name; empty = this host's local time zone
    keep_days: int = Field(30, ge=1)  # older archives are pruned after each backup
    with_secrets: bool = False  # daily archives include the tokens (needs the passphrase)
    passphrase_env: str = "MONOLATHE_BACKUP_PASSPHRASE"  # where the passphrase comes from

    @field_validator("at")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not HHMM.match(value):
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


@dataclass(frozen=True)
class BackupSettings:
    dir: Path = Path("var/backups")
    at: str = "02:00"
    timezone: str = ""
    keep_days: int = 30
    with_secrets: bool = False
    passphrase_env: str = "MONOLATHE_BACKUP_PASSPHRASE"


def backup_settings(raw: _Backups, base: Path) -> BackupSettings:
    return BackupSettings(**{**raw.model_dump(), "dir": resolve(base, raw.dir)})
