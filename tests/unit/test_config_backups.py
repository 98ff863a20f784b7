"""The backups: and codec: sections of temporal.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.config import ConfigError, load_settings


def _settings(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "temporal.yaml"
    path.write_text(text)
    return load_settings(path)


def test_defaults_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    s = _settings(tmp_path, "codec: {key_file: keys/codec.key}\n")
    assert s.backups.dir == tmp_path / "var" / "backups"
    assert (s.backups.at, s.backups.keep_days, s.backups.with_secrets) == ("02:00", 30, False)
    assert s.codec.key_file == tmp_path / "keys" / "codec.key"
    assert _settings(tmp_path, "").codec.key_file is None


@pytest.mark.parametrize(("text", "message"), [
    ("backups: {at: '25:00'}", r"backups.at: Value error, '25:00' is not a time of day"),
    ("backups: {timezone: Mars/Olympus}", r"backups.timezone: .*not an IANA time zone"),
    ("backups: {keep_days: 0}", r"backups.keep_days: Input should be greater than or equal to 1"),
    ("codec: {port: 0}", r"codec.port: Input should be greater than or equal to 1"),
])
def test_bad_values_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"temporal.yaml: " + message):
        _settings(tmp_path, text + "\n")
