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
from tests.fakes.fixtures import CHANNEL
from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_analytics_api import FakeYouTubeAnalytics

YT_CLIENT = "client-1.apps.googleusercontent.com"


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
          tt_reads: FakeTikTok) -> Reads:
    settings = PublishingSettings(
        secrets_dir=tmp_path / "secrets", ca_bundle=str(fake_cert[0]),
        youtube_api_endpoint=yt_reads.url + "/", youtube_token_uri=yt_reads.url + "/token",
        youtube_analytics_endpoint=yt_reads.url + "/",
        instagram_graph_url=ig_reads.url, instagram_upload_url=ig_reads.url,
        tiktok_api_url=tt_reads.url)
    secrets = SecretStore(settings.secrets_dir)
    secrets.save(CHANNEL, "youtube", {"client_id": YT_CLIENT, "client_secret": "s3cret",
                                      "refresh_token": "refresh-1"})
    secrets.save(CHANNEL, "instagram", {"access_token": ig_reads.token,
                                        "ig_user_id": ig_reads.user_id})
    secrets.save(CHANNEL, "tiktok", {
        "client_key": tt_reads.client_key, "client_secret": tt_reads.client_secret,
        "access_token": tt_reads.token, "refresh_token": tt_reads.refresh_token,
        "open_id": tt_reads.open_id, "scope": ",".join(sorted(tt_reads.scopes))})
    return Reads(settings, secrets, Ledger(f"sqlite:///{tmp_path / 'ledger.db'}"))
