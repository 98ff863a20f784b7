"""temporal.yaml's `publishing`: where platform tokens live and which API hosts the publishers
talk to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from activities.config.common import Strict, resolve

DEFAULT_SECRETS_DIR = Path("~/.config/monolathe").expanduser()


class _YouTubeApi(Strict):
    api_endpoint: str = ""  # empty = Google's; a loopback fake in tests
    token_uri: str = "https://oauth2.googleapis.com/token"  # where refresh tokens go
    daily_quota_units: int = Field(10_000, ge=1)  # the Cloud project's YouTube quota
    # Of the Data API quota, what the performance fetches may spend a day (videos.list = 1).
    metrics_quota_units: int = Field(500, ge=0)
    analytics_endpoint: str = ""  # YouTube Analytics API; empty = Google's
    analytics_daily_queries: int = Field(2_000, ge=0)  # reports.query calls a quota day


class _InstagramApi(Strict):
    graph_url: str = "https://graph.facebook.com"
    upload_url: str = "https://rupload.facebook.com"
    api_version: str = "v21.0"


class _TikTokApi(Strict):
    api_url: str = "https://open.tiktokapis.com"  # Content Posting API and the token endpoint
    auth_url: str = "https://www.tiktok.com/v2/auth/authorize/"  # where the operator consents
    chunk_mb: int = Field(10, ge=5, le=64)  # upload chunk size, within TikTok's 5 to 64 MB


class _Publishing(Strict):
    secrets_dir: str = "~/.config/monolathe"  # per-channel tokens, mode 0600, never in git
    ca_bundle: str = ""  # extra CA file to trust (a TLS-intercepting proxy, the test fakes)
    youtube: _YouTubeApi = _YouTubeApi()
    instagram: _InstagramApi = _InstagramApi()
    tiktok: _TikTokApi = _TikTokApi()


@dataclass(frozen=True)
class PublishingSettings:
    """Where platform tokens live and which API hosts the publishers talk to."""

    secrets_dir: Path = DEFAULT_SECRETS_DIR
    ca_bundle: str = ""
    youtube_api_endpoint: str = ""
    youtube_token_uri: str = "https://oauth2.googleapis.com/token"
    youtube_daily_quota_units: int = 10_000
    youtube_metrics_quota_units: int = 500
    youtube_analytics_endpoint: str = ""
    youtube_analytics_daily_queries: int = 2_000
    instagram_graph_url: str = "https://graph.facebook.com"
    instagram_upload_url: str = "https://rupload.facebook.com"
    instagram_api_version: str = "v21.0"
    tiktok_api_url: str = "https://open.tiktokapis.com"
    tiktok_auth_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    tiktok_chunk_bytes: int = 10 * 1024 * 1024


def publishing_settings(raw: _Publishing, base: Path) -> PublishingSettings:
    return PublishingSettings(
        secrets_dir=resolve(base, raw.secrets_dir),
        ca_bundle=str(resolve(base, raw.ca_bundle)) if raw.ca_bundle else "",
        youtube_api_endpoint=raw.youtube.api_endpoint,
        youtube_token_uri=raw.youtube.token_uri,
        youtube_daily_quota_units=raw.youtube.daily_quota_units,
        youtube_metrics_quota_units=raw.youtube.metrics_quota_units,
        youtube_analytics_endpoint=raw.youtube.analytics_endpoint,
        youtube_analytics_daily_queries=raw.youtube.analytics_daily_queries,
        instagram_graph_url=raw.instagram.graph_url.rstrip("/"),
        instagram_upload_url=raw.instagram.upload_url.rstrip("/"),
        instagram_api_version=raw.instagram.api_version,
        tiktok_api_url=raw.tiktok.api_url.rstrip("/"),
        tiktok_auth_url=raw.tiktok.auth_url,
        tiktok_chunk_bytes=raw.tiktok.chunk_mb * 1024 * 1024,
    )
