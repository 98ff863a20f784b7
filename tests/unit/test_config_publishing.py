"""Publishing settings in temporal.yaml and the channel's youtube/instagram sections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from activities.config import ConfigError, load_channel, load_settings
from tests.unit.test_config import SHIPPED_FEED, VALID_CHANNEL, write_channel

PLATFORMS = VALID_CHANNEL + """\
platforms: [local, youtube, instagram]
youtube:
  privacy: unlisted
  category_id: "27"
  made_for_kids: false
  synthetic_media: true
  schedule_minutes: 90
instagram:
  share_to_feed: false
  video_url_base: https://cdn.example.com/demo/
"""


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "temporal.yaml").write_text("", encoding="utf-8")
    (tmp_path / "channels" / "feeds").mkdir(parents=True)
    shutil.copy(SHIPPED_FEED, tmp_path / "channels" / "feeds" / "science.yaml")
    return tmp_path


def test_platform_sections_reach_the_channel_config(config_dir: Path):
    write_channel(config_dir, "pub", PLATFORMS.format(name="pub"))
    config = load_channel(load_settings(config_dir / "temporal.yaml"), "pub")
    assert config.platforms == ["local", "youtube", "instagram"]
    assert config.youtube.privacy == "unlisted" and config.youtube.category_id == "27"
    assert config.youtube.schedule_minutes == 90 and config.youtube.made_for_kids is False
    assert config.instagram.share_to_feed is False
    assert config.instagram.video_url_base == "https://cdn.example.com/demo"


def test_defaults_keep_publishing_local_and_tokens_out_of_the_repo(config_dir: Path):
    settings = load_settings(config_dir / "temporal.yaml")
    assert settings.publishing.secrets_dir == Path("~/.config/monolathe").expanduser()
    assert settings.publishing.youtube_daily_quota_units == 10_000
    write_channel(config_dir, "plain", VALID_CHANNEL.format(name="plain"))
    assert load_channel(settings, "plain").platforms == ["local"]


def test_publishing_paths_resolve_against_temporal_yaml(config_dir: Path):
    (config_dir / "temporal.yaml").write_text(
        "publishing:\n  secrets_dir: var/secrets\n  ca_bundle: certs/ca.pem\n"
        "  instagram: {graph_url: 'https://127.0.0.1:8443/'}\n")
    pub = load_settings(config_dir / "temporal.yaml").publishing
    assert pub.secrets_dir == (config_dir / "var" / "secrets").resolve()
    assert pub.ca_bundle == str((config_dir / "certs" / "ca.pem").resolve())
    assert pub.instagram_graph_url == "https://127.0.0.1:8443"


@pytest.mark.parametrize(("line", "message"), [
    ("platforms: [twitter]",
     "platforms.0: Input should be 'local', 'youtube', 'instagram' or 'tiktok'"),
    ("platforms: [youtube, youtube]", "platforms: Value error, each platform at most once"),
    ("youtube: {privacy: secret}",
     "youtube.privacy: Input should be 'public', 'unlisted' or 'private'"),
    ("youtube: {category_id: science}", "youtube.category_id: String should match pattern"),
    ("youtube: {made_for_kids: maybe}", "youtube.made_for_kids: Input should be a valid boolean"),
    ("instagram: {video_url_base: 'http://cdn.example.com'}",
     "instagram.video_url_base: Value error, 'http://cdn.example.com' is not an https:// URL"),
    ("instagram: {cover: yes}", "instagram.cover: unknown field"),
])
def test_bad_platform_settings_name_file_field_and_reason(config_dir: Path, line: str,
                                                          message: str):
    path = write_channel(config_dir, "bad", VALID_CHANNEL.format(name="bad") + line + "\n")
    with pytest.raises(ConfigError) as error:
        load_channel(load_settings(config_dir / "temporal.yaml"), "bad")
    assert "bad.yaml: " + message in str(error.value), str(error.value)
    assert path.name in str(error.value)


def test_unknown_publishing_setting_is_reported(config_dir: Path):
    (config_dir / "temporal.yaml").write_text("publishing:\n  youtube: {quota: 5}\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config_dir / "temporal.yaml")
    assert "temporal.yaml: publishing.youtube.quota: unknown field" in str(error.value)
