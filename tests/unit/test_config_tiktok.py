"""A channel's `tiktok` section, temporal.yaml's `publishing.tiktok`, and what `monolathe
check` says about TikTok's audit rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.config import ConfigError, load_channel, load_settings
from tests.unit.test_cli import _monolathe, _project
from tests.unit.test_config import VALID_CHANNEL, write_channel
from tests.unit.test_config_publishing import config_dir  # noqa: F401 (the fixture)

TIKTOK = VALID_CHANNEL + """\
platforms: [local, tiktok]
tiktok:
  mode: direct
  audited: true
  privacy_level: MUTUAL_FOLLOW_FRIENDS
  disable_duet: true
  brand_organic_toggle: true
  video_url_base: https://cdn.example.com/demo/
"""


def test_tiktok_section_reaches_the_channel_config(config_dir: Path):  # noqa: F811
    write_channel(config_dir, "tt", TIKTOK.format(name="tt"))
    config = load_channel(load_settings(config_dir / "temporal.yaml"), "tt")
    assert config.platforms == ["local", "tiktok"]
    options = config.tiktok
    assert (options.mode, options.audited, options.privacy_level) == (
        "direct", True, "MUTUAL_FOLLOW_FRIENDS")
    assert options.disable_duet and options.brand_organic_toggle
    assert options.video_url_base == "https://cdn.example.com/demo"


def test_defaults_post_privately_until_the_app_is_audited(config_dir: Path):  # noqa: F811
    settings = load_settings(config_dir / "temporal.yaml")
    assert settings.publishing.tiktok_api_url == "https://open.tiktokapis.com"
    assert settings.publishing.tiktok_chunk_bytes == 10 * 1024 * 1024
    write_channel(config_dir, "tt", VALID_CHANNEL.format(name="tt") + "platforms: [tiktok]\n")
    options = load_channel(settings, "tt").tiktok
    assert (options.mode, options.privacy_level, options.audited) == ("direct", "SELF_ONLY",
                                                                     False)


@pytest.mark.parametrize(("lines", "message"), [
    ("tiktok: {privacy_level: PUBLIC_TO_EVERYONE}",
     ("tiktok.privacy_level: PUBLIC_TO_EVERYONE needs an audited app. TikTok keeps every"
      " post of an unaudited app private")),
    ("tiktok: {brand_content_toggle: true}",
     "tiktok.brand_content_toggle: branded content cannot be private"),
    ("tiktok: {privacy_level: FRIENDS}", "tiktok.privacy_level: Input should be"),
    ("tiktok: {mode: draft}", "tiktok.mode: Input should be 'direct' or 'inbox'"),
    ("tiktok: {video_url_base: 'http://cdn.example.com'}",
     "tiktok.video_url_base: Value error, 'http://cdn.example.com' is not an https:// URL"),
    ("tiktok: {is_aigc: false}", "tiktok.is_aigc: unknown field"),
])
def test_bad_tiktok_settings_name_file_field_and_reason(config_dir: Path, lines: str,  # noqa: F811
                                                        message: str):
    write_channel(config_dir, "bad", VALID_CHANNEL.format(name="bad") +
                  f"platforms: [tiktok]\n{lines}\n")
    with pytest.raises(ConfigError) as error:
        load_channel(load_settings(config_dir / "temporal.yaml"), "bad")
    assert "bad.yaml: " + message in str(error.value), str(error.value)


def test_bad_chunk_size_in_temporal_yaml_is_reported(config_dir: Path):  # noqa: F811
    (config_dir / "temporal.yaml").write_text("publishing:\n  tiktok: {chunk_mb: 100}\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config_dir / "temporal.yaml")
    assert "publishing.tiktok.chunk_mb: Input should be less than or equal to 64" in \
        str(error.value)


def test_check_explains_the_audit_rule_for_a_tiktok_channel(tmp_path: Path):
    _project(tmp_path)
    demo = tmp_path / "channels" / "demo.yaml"
    text = demo.read_text()
    demo.write_text(text.replace("platforms: [local]", "platforms: [local, tiktok]")
                    if "platforms: [local]" in text else text + "platforms: [local, tiktok]\n")
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 0, run.stderr
    assert "demo.yaml: ok" in run.stdout
    assert "tiktok: direct posts (SELF_ONLY" in run.stdout
    assert "unaudited app" in run.stdout and "audited: true" in run.stdout
