"""A real reel to YouTube, Instagram and TikTok at once: the demo channel's real activities
on the real workers (as `monolathe up` builds them, TikTok's real chunk rules included) on a
real dev server, publishing to the three loopback fakes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from activities.ledger import Ledger
from activities.secrets import SecretStore
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.tiktok_api import MB, FakeTikTok
from tests.fakes.youtube_api import FakeYouTube
from tests.integration.stack import run_channel

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture
def real_rules_tiktok(fake_cert: tuple[Path, Path]):
    with FakeTikTok(fake_cert, min_chunk=5 * MB, max_chunk=64 * MB) as fake:
        yield fake


async def test_demo_reel_lands_once_on_all_three_platforms(
        dev_env: WorkflowEnvironment, tmp_path: Path, fake_cert: tuple[Path, Path],
        youtube_fake: FakeYouTube, instagram_fake: FakeInstagram,
        real_rules_tiktok: FakeTikTok):
    tiktok = real_rules_tiktok
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    demo = tmp_path / "channels" / "demo.yaml"
    demo.write_text(demo.read_text().replace(
        "platforms: [local]", "platforms: [local, youtube, instagram, tiktok]", 1))
    (tmp_path / "temporal.yaml").write_text(
        "queues: {reels: it3-reels, media: it3-media, gpu: it3-gpu, publish: it3-publish}\n"
        "data: {var_dir: var, artifacts_dir: var/artifacts, ledger_url: 'sqlite:///var/l.db',"
        " out_dir: out, channels_dir: channels}\n"
        f"publishing:\n  secrets_dir: secrets\n  ca_bundle: {fake_cert[0]}\n"
        f"  youtube: {{api_endpoint: '{youtube_fake.url}/', token_uri: '{youtube_fake.url}/token'}}\n"
        f"  instagram: {{graph_url: '{instagram_fake.url}', upload_url: '{instagram_fake.url}'}}\n"
        f"  tiktok: {{api_url: '{tiktok.url}', chunk_mb: 5}}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    store = SecretStore(settings.publishing.secrets_dir)
    store.save("demo", "youtube", {"client_id": "client-1.apps.googleusercontent.com",
                                   "client_secret": "s3cret", "refresh_token": "refresh-1"})
    store.save("demo", "instagram", {"access_token": instagram_fake.token,
                                     "ig_user_id": instagram_fake.user_id})
    store.save("demo", "tiktok", {"client_key": tiktok.client_key,
                                  "client_secret": tiktok.client_secret,
                                  "access_token": tiktok.token,
                                  "refresh_token": tiktok.refresh_token})

    result, _ = await run_channel(dev_env.client, settings, "demo", "channel/demo-it3")
    assert result.published == 1, result
    reel = result.reels[0]
    video = Path(reel.urls[0].removeprefix("file://"))
    whole = hashlib.sha256(video.read_bytes()).hexdigest()
    [post] = tiktok.published()
    assert post.sha256 == whole and post.body["post_info"]["is_aigc"] is True
    assert post.count == max(1, post.size // (5 * MB))  # TikTok's own chunk rules
    [yt] = youtube_fake.videos.values()
    assert yt["sha256"] == whole
    [ig] = instagram_fake.media.values()
    assert ig["sha256"] == whole
    rows = {p.platform: p for p in Ledger(settings.ledger_url).publications(reel.reel_id)}
    assert set(rows) == {"local", "youtube", "instagram", "tiktok"}
    assert rows["tiktok"].external_id == post.publish_id
