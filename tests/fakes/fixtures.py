"""Fixtures for publishing tests: the fakes on loopback TLS, a ledger, tokens, a reel file.

Test modules import the fixtures they use by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from activities.artifacts import to_uri
from activities.config import PublishingSettings
from activities.ledger import Ledger
from activities.secrets import SecretStore
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import make_cert
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_api import FakeYouTube
from workflows.contracts import PlatformPublishRequest

CHUNK = 256 * 1024
CHANNEL = "demo"


@pytest.fixture(scope="session")
def fake_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def youtube_fake(fake_cert: tuple[Path, Path]) -> Iterator[FakeYouTube]:
    with FakeYouTube(fake_cert) as fake:
        yield fake


@pytest.fixture
def instagram_fake(fake_cert: tuple[Path, Path]) -> Iterator[FakeInstagram]:
    with FakeInstagram(fake_cert) as fake:
        yield fake


@dataclass
class World:
    """Everything a publisher needs on a worker, pointed at the fakes."""

    settings: PublishingSettings
    secrets: SecretStore
    ledger: Ledger
    video: Path
    cover: Path

    def request(self, platform: str, reel_id: str = "reel/demo/2026-11-23/1",
                **changes: object) -> PlatformPublishRequest:
        req = PlatformPublishRequest(
            reel_id=reel_id, channel=CHANNEL, platform=platform,
            video_uri=to_uri(self.video), cover_uri=to_uri(self.cover),
            title="Octopuses have three hearts",
            description="Two small hearts and one big one.",
            hashtags=["#science", "#octopus"], out_dir=str(self.video.parent / "out"),
        )
        for key, value in changes.items():
            setattr(req, key, value)
        return req


YT_CLIENT = "client-1.apps.googleusercontent.com"


def save_youtube_token(secrets: SecretStore) -> None:
    secrets.save(CHANNEL, "youtube", {"client_id": YT_CLIENT, "client_secret": "s3cret",
                                      "refresh_token": "refresh-1"})


def save_instagram_token(secrets: SecretStore, fake: FakeInstagram) -> None:
    secrets.save(CHANNEL, "instagram", {"access_token": fake.token, "ig_user_id": fake.user_id})


def save_tiktok_token(secrets: SecretStore, fake: FakeTikTok, **extra: str) -> None:
    secrets.save(CHANNEL, "tiktok", {
        "client_key": fake.client_key, "client_secret": fake.client_secret,
        "access_token": fake.token, "refresh_token": fake.refresh_token,
        "open_id": fake.open_id, **extra,
    })


@pytest.fixture
def publish_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The ledger's URL: SQLite unless a test asks for both databases (NEVER_TWICE_ON_BOTH)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("pg_cluster").new_database()


# The never-twice tests rest on the ledger's rows and constraints: proved on both databases.
NEVER_TWICE_ON_BOTH = pytest.mark.parametrize("publish_db", ["sqlite", "postgresql"],
                                              indirect=True)


@pytest.fixture
def world(tmp_path: Path, fake_cert: tuple[Path, Path], youtube_fake: FakeYouTube,
          instagram_fake: FakeInstagram, publish_db: str) -> Iterator[World]:
    settings = PublishingSettings(
        secrets_dir=tmp_path / "secrets",
        ca_bundle=str(fake_cert[0]),
        youtube_api_endpoint=youtube_fake.url + "/",
        youtube_token_uri=youtube_fake.url + "/token",
        instagram_graph_url=instagram_fake.url,
        instagram_upload_url=instagram_fake.url,
    )
    secrets = SecretStore(settings.secrets_dir)
    save_youtube_token(secrets)
    save_instagram_token(secrets, instagram_fake)
    video = tmp_path / "reel.mp4"
    video.write_bytes(os.urandom(CHUNK * 2 + 12345))  # three chunks, the last one short
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000) + b"\xff\xd9")
    ledger = Ledger(publish_db)
    yield World(settings, secrets, ledger, video, cover)
    ledger.engine.dispose()


# --- TikTok: chunk rules scaled down (5 MB -> 64 KiB) so a real, small MP4 has chunks ---

TIKTOK_MIN_CHUNK = 64 * 1024
TIKTOK_MAX_CHUNK = 1024 * 1024


@pytest.fixture
def tiktok_fake(fake_cert: tuple[Path, Path]) -> Iterator[FakeTikTok]:
    with FakeTikTok(fake_cert, min_chunk=TIKTOK_MIN_CHUNK, max_chunk=TIKTOK_MAX_CHUNK) as fake:
        yield fake


@pytest.fixture(scope="session")
def real_reel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s H.264/AAC MP4 of some 700 KB: several TikTok chunks at the scaled sizes."""
    path = tmp_path_factory.mktemp("reel") / "reel.mp4"
    from activities.ffmpeg_run import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x568:rate=30", "-f", "lavfi", "-i",
                    "sine=frequency=440", "-t", "3", "-c:v", "libx264", "-b:v", "1800k",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


@pytest.fixture
def tiktok_world(world: World, tiktok_fake: FakeTikTok, real_reel: Path) -> World:
    """`world` with the TikTok fake, its token on disk, and a real MP4 as the reel."""
    settings = replace(world.settings, tiktok_api_url=tiktok_fake.url,
                       tiktok_chunk_bytes=2 * TIKTOK_MIN_CHUNK)
    save_tiktok_token(world.secrets, tiktok_fake)
    shutil.copyfile(real_reel, world.video)
    return replace(world, settings=settings)
