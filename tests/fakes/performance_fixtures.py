"""Fixtures for the performance fetches: the read-API fakes on loopback TLS, a ledger,
tokens, and the fetchers pointed at them. Test modules import the fixtures by name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from activities.config import PublishingSettings
from activities.ledger import Ledger
from activities.performance.instagram import InstagramFetcher
from activities.performance.tiktok import TikTokFetcher
from activities.performance.youtube import YouTubeFetcher
from activities.secrets import SecretStore
from tests.fakes.fixtures import save_instagram_token, save_tiktok_token, save_youtube_token
from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_analytics_api import FakeYouTubeAnalytics


@pytest.fixture
def yt_reads(fake_cert: tuple[Path, Path]) -> Iterator[FakeYouTubeAnalytics]:
    with FakeYouTubeAnalytics(fake_cert) as fake:
        yield fake


@pytest.fixture
def ig_reads(fake_cert: tuple[Path, Path]) -> Iterator[FakeInstagramInsights]:
    with FakeInstagramInsights(fake_cert) as fake:
        yield fake


@pytest.fixture
def tt_reads(fake_cert: tuple[Path, Path]) -> Iterator[FakeTikTok]:
    with FakeTikTok(fake_cert) as fake:
        yield fake


@dataclass
class Reads:
    """What a worker on the publish queue has, pointed at the read fakes."""

    settings: PublishingSettings
    secrets: SecretStore
    ledger: Ledger

    def youtube(self, **settings: object) -> YouTubeFetcher:
        return YouTubeFetcher(self.secrets, self.ledger, replace(self.settings, **settings))

    def instagram(self) -> InstagramFetcher:
        return InstagramFetcher(self.secrets, self.ledger, self.settings)

    def tiktok(self) -> TikTokFetcher:
        return TikTokFetcher(self.secrets, self.ledger, self.settings)


@pytest.fixture
def reads(tmp_path: Path, fake_cert: tuple[Path, Path],
          yt_reads: FakeYouTubeAnalytics, ig_reads: FakeInstagramInsights,
          tt_reads: FakeTikTok, publish_db: str) -> Reads:
    settings = PublishingSettings(
        secrets_dir=tmp_path / "secrets", ca_bundle=str(fake_cert[0]),
        youtube_api_endpoint=yt_reads.url + "/", youtube_token_uri=yt_reads.url + "/token",
        youtube_analytics_endpoint=yt_reads.url + "/",
        instagram_graph_url=ig_reads.url, instagram_upload_url=ig_reads.url,
        tiktok_api_url=tt_reads.url)
    secrets = SecretStore(settings.secrets_dir)
    save_youtube_token(secrets)
    save_instagram_token(secrets, ig_reads)
    save_tiktok_token(secrets, tt_reads, scope=",".join(sorted(tt_reads.scopes)))
    return Reads(settings, secrets, Ledger(publish_db))
