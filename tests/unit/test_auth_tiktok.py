"""`monolathe auth tiktok`: PKCE, a loopback redirect, the token saved 0600, one-line errors."""

from __future__ import annotations

import json
import stat
import threading
import webbrowser
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.fakes.tiktok_api import FakeTikTok
from tests.unit.test_auth import _project, monolathe  # noqa: F401 (the fixture)


def _tiktok_project(tmp_path: Path, cert: Path, fake: FakeTikTok) -> Path:
    folder = _project(tmp_path, cert)
    with (tmp_path / "temporal.yaml").open("a") as out:
        out.write(f"  tiktok: {{api_url: '{fake.url}', auth_url: '{fake.url}/v2/auth/authorize/'}}\n")
    return folder


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, fake_cert: tuple[Path, Path]) -> list[str]:
    """The operator's browser: opens the consent page and follows its redirect home."""
    opened: list[str] = []

    def open_page(url: str, new: int = 0, autoraise: bool = True) -> bool:
        opened.append(url)
        threading.Thread(target=requests.get, args=(url,),
                         kwargs={"verify": str(fake_cert[0]), "timeout": 30}).start()
        return True

    monkeypatch.setattr(webbrowser, "open", open_page)
    return opened


def test_auth_tiktok_runs_pkce_through_the_loopback_and_saves_0600(
        monolathe, tmp_path: Path, tiktok_fake: FakeTikTok, fake_cert: tuple[Path, Path],  # noqa: F811
        browser: list[str]):
    folder = _tiktok_project(tmp_path, fake_cert[0], tiktok_fake)
    run = monolathe(tmp_path, "auth", "tiktok", "demo",
                    stdin=f"{tiktok_fake.client_key}\n{tiktok_fake.client_secret}\n")
    assert run.returncode == 0, run.stderr
    [consent] = tiktok_fake.consents
    assert consent["scope"] == "video.publish,video.upload,video.list"
    assert consent["code_challenge_method"] == "S256" and len(consent["code_challenge"]) == 64
    assert urlparse(consent["redirect_uri"]).hostname == "127.0.0.1"
    saved = json.loads((folder / "tiktok.json").read_text())
    assert saved["access_token"] == tiktok_fake.token
    assert saved["refresh_token"] == tiktok_fake.refresh_token
    assert saved["client_key"] == tiktok_fake.client_key and saved["expires_at"]
    assert "video.list" in saved["scope"].split(",")  # what the performance fetch checks
    assert "warning" not in run.stdout
    assert stat.S_IMODE((folder / "tiktok.json").stat().st_mode) == 0o600
    assert tiktok_fake.client_secret not in run.stdout + run.stderr
    assert "client_secret" not in parse_qs(urlparse(browser[0]).query)


def test_auth_tiktok_with_a_wrong_secret_is_one_line_and_saves_nothing(
        monolathe, tmp_path: Path, tiktok_fake: FakeTikTok, fake_cert: tuple[Path, Path],  # noqa: F811
        browser: list[str]):
    folder = _tiktok_project(tmp_path, fake_cert[0], tiktok_fake)
    run = monolathe(tmp_path, "auth", "tiktok", "demo",
                    stdin=f"{tiktok_fake.client_key}\nnot-the-secret\n")
    assert run.returncode != 0
    assert "tiktok refused the code" in run.stderr and "Traceback" not in run.stderr
    assert "not-the-secret" not in run.stderr
    assert not (folder / "tiktok.json").exists()


def test_auth_tiktok_warns_of_a_consent_without_video_list(
        monolathe, tmp_path: Path, tiktok_fake: FakeTikTok, fake_cert: tuple[Path, Path],  # noqa: F811
        browser: list[str]):
    """The operator unticked a scope on TikTok's page: the token is saved, and said lacking."""
    folder = _tiktok_project(tmp_path, fake_cert[0], tiktok_fake)
    tiktok_fake.scopes.discard("video.list")
    run = monolathe(tmp_path, "auth", "tiktok", "demo",
                    stdin=f"{tiktok_fake.client_key}\n{tiktok_fake.client_secret}\n")
    assert run.returncode == 0, run.stderr
    assert "warning: the token lacks video.list" in run.stdout
    assert "video.list" not in json.loads((folder / "tiktok.json").read_text())["scope"]
