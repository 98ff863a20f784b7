"""A channel file cannot pick another provider's key, nor expand itself with YAML aliases.

`script.api_key` (and `llm.api_key`) name one file under the llm keys, checked as `monolathe
auth` checks the names it stores. Without the check, `../visuals/runway` read Runway's key and
sent it to the channel's own `base_url`."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.config import ConfigError, load_channel, load_settings
from activities.secrets import SecretStore
from tests.unit import test_config
from tests.unit.test_config import channel_error, valid_with


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return test_config.config_dir.__wrapped__(tmp_path)  # the config tests' own folder


@pytest.mark.parametrize("name", ["../visuals/runway", "/etc/passwd", "..", "a/b"])
def test_a_script_key_name_that_is_a_path_is_refused(config_dir: Path, name: str) -> None:
    message = channel_error(config_dir, "sci", valid_with(
        f"script: {{writer: api, base_url: 'http://127.0.0.1:9/v1', api_key: '{name}'}}\n"))
    assert "sci.yaml: script.api_key:" in message
    assert "a key name is letters, digits" in message


def test_an_empty_or_plain_key_name_loads(config_dir: Path) -> None:
    for name in ("", "deepseek", "ollama.local_2"):
        path = config_dir / "channels" / "sci.yaml"
        path.write_text(valid_with(
            f"script: {{writer: api, base_url: 'http://127.0.0.1:9/v1', api_key: '{name}'}}\n"))
        channel = load_channel(load_settings(config_dir / "temporal.yaml"), "sci")
        assert channel.script.api_key == name


def test_the_settings_key_name_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "temporal.yaml").write_text("llm: {api_key: ../footage/veo}\n")
    with pytest.raises(ConfigError, match=r"temporal.yaml: llm.api_key: .*a key name is"):
        load_settings(tmp_path / "temporal.yaml")


def test_the_secret_store_never_leaves_its_folder(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    for channel, name in (("llm", "../visuals/runway"), ("..", "x"), ("llm", "a/b")):
        with pytest.raises(ValueError, match="a key name is"):
            store.path(channel, name)


def test_channel_files_refuse_yaml_aliases(config_dir: Path) -> None:
    bomb = "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                   for p, c in zip("abcdefg", "bcdefgh", strict=True))
    message = channel_error(config_dir, "sci", valid_with("a: &a [x, x]\n" + bomb))
    assert "sci.yaml: line" in message and "aliases (*name) are not allowed" in message
