"""`monolathe auth`: tokens land in the secret store with mode 0600, bad ones get one line."""

from __future__ import annotations

import io
import json
import shutil
import stat
import sys
import threading
import webbrowser
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.youtube_api import FakeYouTube
from workers.cli import main

REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, cert: Path, graph_url: str = "https://127.0.0.1:1") -> Path:
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    (tmp_path / "temporal.yaml").write_text(
        "server: {address: '127.0.0.1:1'}\n"
        f"publishing:\n  secrets_dir: secrets\n  ca_bundle: {cert}\n"
        f"  instagram: {{graph_url: '{graph_url}'}}\n")
    return tmp_path / "secrets" / "demo"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def monolathe(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """The CLI's main() in this process (a subprocess would spend seconds on imports)."""

    def run(tmp_path: Path, *args: str, stdin: str = "") -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--config", str(tmp_path / "temporal.yaml"), *args])
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_instagram_short_token_is_exchanged_checked_and_saved_0600(
        monolathe, tmp_path: Path, instagram_fake: FakeInstagram, fake_cert: tuple[Path, Path]):
    folder = _project(tmp_path, fake_cert[0], instagram_fake.url)
    run = monolathe(tmp_path, "auth", "instagram", "demo", "--ig-user-id",
                     instagram_fake.user_id, "--app-id", instagram_fake.app_id,
                     stdin=f"{instagram_fake.short_token}\n{instagram_fake.app_secret}\n")
    assert run.returncode == 0, run.stderr
    path = folder / "instagram.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = json.loads(path.read_text())
    assert saved["access_token"] == instagram_fake.token
    assert saved["username"] == "monolathe.demo" and saved["expires_at"]
    assert instagram_fake.token not in run.stdout  # the secret is not echoed


def test_instagram_refused_token_is_one_line_and_nothing_is_saved(
        monolathe, tmp_path: Path, instagram_fake: FakeInstagram, fake_cert: tuple[Path, Path]):
    folder = _project(tmp_path, fake_cert[0], instagram_fake.url)
    run = monolathe(tmp_path, "auth", "instagram", "demo", "--ig-user-id",
                     instagram_fake.user_id, stdin="not-a-token\n")
    assert run.returncode == 2
    assert "instagram refused the token" in run.stderr and "Traceback" not in run.stderr
    assert not (folder / "instagram.json").exists()


def test_youtube_token_file_is_imported(
monolathe, tmp_path: Path, fake_cert: tuple[Path, Path]):
    folder = _project(tmp_path, fake_cert[0])
    token = tmp_path / "token.json"
    token.write_text(json.dumps({"client_id": "c", "client_secret": "s",
                                 "refresh_token": "r", "token": "t"}))
    run = monolathe(tmp_path, "auth", "youtube", "demo", "--from-file", str(token))
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE((folder / "youtube.json").stat().st_mode) == 0o600
    assert json.loads((folder / "youtube.json").read_text())["refresh_token"] == "r"


def test_youtube_token_file_without_refresh_token_names_the_field(
        monolathe, tmp_path: Path, fake_cert: tuple[Path, Path]):
    _project(tmp_path, fake_cert[0])
    token = tmp_path / "token.json"
    token.write_text(json.dumps({"client_id": "c", "client_secret": "s"}))
    run = monolathe(tmp_path, "auth", "youtube", "demo", "--from-file", str(token))
    assert run.returncode == 2
    assert f"{token}: refresh_token: missing" in run.stderr and "Traceback" not in run.stderr


def test_youtube_without_client_file_says_where_to_get_one(
monolathe, tmp_path: Path,
                                                          fake_cert: tuple[Path, Path]):
    _project(tmp_path, fake_cert[0])
    run = monolathe(tmp_path, "auth", "youtube", "demo")
    assert run.returncode == 2
    assert "OAuth client file not found" in run.stderr and "--client-secrets" in run.stderr


def test_youtube_installed_app_flow_stores_a_refresh_token(
        monolathe, tmp_path: Path, youtube_fake: FakeYouTube, fake_cert: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch):
    """The real google-auth-oauthlib flow: loopback redirect, PKCE, code exchange."""
    folder = _project(tmp_path, fake_cert[0])
    client = tmp_path / "client_secret.json"
    client.write_text(json.dumps({"installed": {
        "client_id": "client-1.apps.googleusercontent.com", "client_secret": "s3cret",
        "auth_uri": f"{youtube_fake.url}/o/oauth2/auth", "token_uri": f"{youtube_fake.url}/token",
        "redirect_uris": ["http://localhost"]}}))
    # requests-oauthlib posts the code with requests, which trusts REQUESTS_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake_cert[0]))

    class Browser:
        """The operator's browser: opens the consent page and follows its redirect."""

        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            threading.Thread(target=requests.get, args=(url,),
                             kwargs={"verify": str(fake_cert[0]), "timeout": 30}).start()
            return True

    monkeypatch.setattr(webbrowser, "get", lambda *a, **k: Browser())
    run = monolathe(tmp_path, "auth", "youtube", "demo", "--client-secrets", str(client))
    assert run.returncode == 0, run.stderr
    saved = json.loads((folder / "youtube.json").read_text())
    assert saved["refresh_token"] in youtube_fake.refresh_tokens
    assert saved["client_id"] == "client-1.apps.googleusercontent.com"
    assert stat.S_IMODE((folder / "youtube.json").stat().st_mode) == 0o600
