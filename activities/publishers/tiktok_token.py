"""TikTok user tokens (OAuth 2 v2): the token file, the refresh, the code exchange.

`POST {api}/v2/oauth/token/` with a form: `grant_type=authorization_code` (+ `code`,
`redirect_uri`, `code_verifier`) once, by `monolathe auth tiktok`, then
`grant_type=refresh_token` whenever the access token (about a day) nears its end. The refresh
token lasts about a year and may come back renewed; both are saved at once, mode 0600.
A refresh TikTok refuses (`invalid_grant`) is one AuthFailed naming the command that fixes
it; the other platforms of the channel go on publishing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from activities.config import PublishingSettings
from activities.errors import auth_failed, bad_input, platform_unavailable
from activities.redact import describe, redact
from activities.secrets import SecretStore

log = logging.getLogger(__name__)

PLATFORM = "tiktok"
METRICS_SCOPE = "video.list"  # video.query, for the performance figures
SCOPES = ("video.publish", "video.upload", METRICS_SCOPE)
REFRESH_BEFORE = timedelta(minutes=10)  # renew an access token this close to its end
REQUIRED = ("client_key", "client_secret", "access_token", "refresh_token")


def token_endpoint(settings: PublishingSettings) -> str:
    return f"{settings.tiktok_api_url}/v2/oauth/token/"


def _expiry(path: Path, data: dict[str, Any], key: str) -> datetime | None:
    if not data.get(key):
        return None
    try:
        when = datetime.fromisoformat(str(data[key]))
    except ValueError:
        raise bad_input(f"{path}: {key}: {data[key]!r} is not an ISO time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def stamped(answer: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The token answer's fields to keep, with `expires_in`s turned into times."""
    now = now or datetime.now(UTC)
    kept = {k: answer[k] for k in ("access_token", "refresh_token", "open_id", "scope")
            if answer.get(k)}
    for seconds, at in (("expires_in", "expires_at"),
                        ("refresh_expires_in", "refresh_expires_at")):
        if answer.get(seconds):
            kept[at] = (now + timedelta(seconds=int(answer[seconds]))).isoformat(
                timespec="seconds")
    return kept


class TikTokTokens:
    def __init__(self, secrets: SecretStore, settings: PublishingSettings,
                 http: requests.Session) -> None:
        self.secrets = secrets
        self.settings = settings
        self.http = http
        self.verify: str | bool = settings.ca_bundle or True

    def load(self, channel: str, force_refresh: bool = False) -> dict[str, str]:
        data = self.secrets.load(channel, PLATFORM)
        path = self.secrets.path(channel, PLATFORM)
        missing = [k for k in REQUIRED if not data.get(k)]
        if missing:
            raise bad_input(f"{path}: {', '.join(missing)}: missing; run "
                            f"`monolathe auth tiktok {channel}`")
        now = datetime.now(UTC)
        refresh_end = _expiry(path, data, "refresh_expires_at")
        if refresh_end is not None and refresh_end <= now:
            raise auth_failed(f"tiktok refresh token of channel {channel} expired on"
                              f" {refresh_end:%Y-%m-%d}; run `monolathe auth tiktok {channel}`")
        access_end = _expiry(path, data, "expires_at")
        if force_refresh or (access_end is not None and access_end - now < REFRESH_BEFORE):
            data = self._refresh(channel, data)
        return {k: str(v) for k, v in data.items()}

    def _refresh(self, channel: str, data: dict[str, Any]) -> dict[str, Any]:
        secrets = [str(data[k]) for k in REQUIRED]
        answer = self.exchange({"grant_type": "refresh_token",
                                "refresh_token": str(data["refresh_token"]),
                                "client_key": str(data["client_key"]),
                                "client_secret": str(data["client_secret"])}, secrets)
        if "access_token" not in answer:
            why = redact(answer.get("error_description") or answer.get("error") or answer,
                         secrets)
            raise auth_failed(f"tiktok refused to refresh the token of channel {channel}"
                              f" ({why}); run `monolathe auth tiktok {channel}`")
        data = {**data, **stamped(answer)}
        self.secrets.save(channel, PLATFORM, data)
        log.info("tiktok token of %s refreshed until %s", channel, data.get("expires_at"))
        return data

    def exchange(self, form: dict[str, str], secrets: list[str]) -> dict[str, Any]:
        """POST the token endpoint; the answer (an OAuth error is an answer too)."""
        try:
            resp = self.http.post(token_endpoint(self.settings), data=form, timeout=(10, 60),
                                  verify=self.verify, headers={
                                      "Content-Type": "application/x-www-form-urlencoded"})
        except requests.RequestException as error:
            raise platform_unavailable(f"tiktok token endpoint: {describe(error, secrets)}"
                                       ) from None
        if resp.status_code >= 500:
            raise platform_unavailable(f"tiktok token endpoint answered {resp.status_code}")
        try:
            answer = resp.json()
        except ValueError:
            raise platform_unavailable(f"tiktok token endpoint answered {resp.status_code}"
                                       " without JSON") from None
        return answer if isinstance(answer, dict) else {}
