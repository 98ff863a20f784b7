"""The API's token file: mode 0600 or refused, roles, and auth off only on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.api.serve import ApiError, auth_for
from workers.api.tokens import TokenFileError, add_token, is_loopback, load_tokens
from workers.cli import main


def test_tokens_are_created_0600_and_found_by_value(tmp_path: Path):
    path = tmp_path / "conf" / "tokens.yaml"
    operator = add_token(path, "ana", "operator")
    viewer = add_token(path, "vic", "viewer")
    assert path.stat().st_mode & 0o777 == 0o600
    tokens = load_tokens(path)
    assert tokens.find(operator).role == "operator" and tokens.find(viewer).name == "vic"
    assert tokens.find("x" * 43) is None
    assert tokens.find(operator).may("viewer") and not tokens.find(viewer).may("operator")
    with pytest.raises(TokenFileError, match="exists already"):
        add_token(path, "ana", "viewer")


def test_a_readable_token_file_is_refused(tmp_path: Path):
    path = tmp_path / "tokens.yaml"
    add_token(path, "ana", "operator")
    path.chmod(0o644)
    with pytest.raises(TokenFileError, match="chmod 600"):
        load_tokens(path)


def test_bad_token_file_names_the_field(tmp_path: Path):
    path = tmp_path / "tokens.yaml"
    path.write_text("tokens:\n  - {name: ana, role: admin, token: short}\n")
    path.chmod(0o600)
    with pytest.raises(TokenFileError, match=r"tokens\.0\.role"):
        load_tokens(path)


def test_auth_is_off_only_when_asked_and_only_on_loopback(tmp_path: Path):
    assert auth_for("127.0.0.1", None, no_auth=True) is None
    assert auth_for("::1", None, no_auth=True) is None
    with pytest.raises(ApiError, match="only a loopback address"):
        auth_for("0.0.0.0", None, no_auth=True)
    with pytest.raises(ApiError, match="file not found"):
        auth_for("127.0.0.1", tmp_path / "none.yaml", no_auth=False)
    assert is_loopback("localhost") and not is_loopback("192.0.2.1")


def test_monolathe_api_adds_tokens_and_refuses_no_auth_off_loopback(tmp_path: Path, capsys):
    config = str(Path(__file__).resolve().parents[2] / "temporal.yaml")
    tokens = tmp_path / "tokens.yaml"
    assert main(["--config", config, "api", "--tokens", str(tokens), "--new-token", "ana",
                 "--role", "operator"]) == 0
    printed = capsys.readouterr().out.split()[-1]
    assert load_tokens(tokens).find(printed).role == "operator"
    assert main(["--config", config, "api", "--host", "0.0.0.0", "--no-auth"]) == 2
    assert "only a loopback address" in capsys.readouterr().err
