"""Backups of a live dev server from the wheel, checked archives, and restores that refuse
to run over a live process, put files back, and reconcile what was published."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from activities.backup import BackupError, make_backup, verify_archive
from activities.config import Settings
from activities.ledger import Ledger
from activities.secrets import SecretStore
from tests.backups.stack import make_install
from workers.devserver import DevServer
from workers.restore import reconcile, restore_files
from workflows.backup_contracts import BackupRequest

TOKEN = "ya29.a0AfB_byC-real-looking-refresh-token-1//0gXq"
PASSPHRASE = "correct horse battery staple"
REELS = ["reel/demo/2026-11-25/1", "reel/demo/2026-11-25/2"]


def _demo_with_youtube(settings: Settings) -> None:
    path = settings.channels_dir / "demo.yaml"
    text = path.read_text().replace("platforms: [local]", "platforms: [local, youtube]")
    path.write_text(text)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """Install A: a real dev server with two reels in its history, a ledger, media, a token."""
    root = tmp_path_factory.mktemp("install-a")
    media = root / "media"
    media.mkdir()
    (media / "octopus.jpg").write_bytes(os.urandom(2048))
    settings = make_install(root)
    _demo_with_youtube(settings)
    demo = settings.channels_dir / "demo.yaml"
    demo.write_text(demo.read_text() + f"\nmedia_dir: {media}\n")
    ledger = Ledger(settings.ledger_url)
    ledger.publication_intent(REELS[0], "youtube")
    ledger.publication_done(REELS[0], "youtube", "vid123", "https://youtube.com/shorts/vid123")
    ledger.engine.dispose()
    SecretStore(settings.publishing.secrets_dir).save("demo", "youtube", {"refresh_token": TOKEN})
    old = settings.artifacts_dir / "reel/demo/2026-11-20/1/voice.wav"
    new = settings.artifacts_dir / "reel/demo/2026-11-25/1/voice.wav"
    for path in (old, new):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF" + os.urandom(512))
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    server = DevServer(settings)
    assert server.start()

    async def start_reels() -> None:
        client = await Client.connect(settings.address)
        for reel_id in REELS:  # no worker polls `nobody`: they stay open in the history
            await client.start_workflow("ReelWorkflow", {}, id=reel_id, task_queue="nobody")

    asyncio.run(start_reels())
    yield settings, server
    server.stop()


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name.removeprefix("./"): tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar if m.isfile()}


def test_backup_copies_a_live_dev_server_and_checks_every_file(live, tmp_path: Path) -> None:
    settings, _server = live
    stop = threading.Event()
    started: list[str] = []

    def keep_writing() -> None:  # the server keeps writing its SQLite file during the copy
        async def loop() -> None:
            client = await Client.connect(settings.address)
            while not stop.is_set():
                wid = f"writer/{len(started)}"
                await client.start_workflow("ReelWorkflow", {}, id=wid, task_queue="nobody")
                started.append(wid)
        asyncio.run(loop())

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(started) < 2 and writer.is_alive():  # the server is busy writing
            time.sleep(0.05)
        result = make_backup(settings, BackupRequest(to_dir=str(tmp_path)))
    finally:
        stop.set()
        writer.join()
    archive = Path(result.archive.removeprefix("file://"))
    assert archive.parent == tmp_path and archive.name.startswith("monolathe_full_")
    assert len(started) >= 2, "the writer ran"
    manifest = verify_archive(archive)
    assert manifest.temporal_cli.startswith("temporal version")
    assert len(manifest.ledger_schema) == 16
    files = set(manifest.files)
    assert {"temporal/temporal.db", "ledger/ledger.db", "config/temporal.yaml",
            "channels/demo.yaml", "channels/feeds/science.yaml",
            "artifacts/reel/demo/2026-11-25/1/voice.wav"} <= files
    assert "artifacts/reel/demo/2026-11-20/1/voice.wav" not in files  # older than 24 h
    assert not any(name.startswith(("media/", "secrets/")) for name in files)
    [listed] = manifest.listed["media"]
    assert listed["path"].endswith("octopus.jpg") and len(str(listed["sha256"])) == 64
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*staging"))
    status = json.loads((settings.backups.dir / "last-backup.json").read_text())
    assert status["ok"] and status["last_success"]


def test_media_and_tokens_go_in_only_when_asked_and_tokens_sealed(live, tmp_path: Path) -> None:
    settings, _server = live
    result = make_backup(settings, BackupRequest(to_dir=str(tmp_path), with_media=True,
                                                 with_secrets=True), passphrase=PASSPHRASE)
    archive = Path(result.archive.removeprefix("file://"))
    members = _members(archive)
    assert any(n.startswith("media/") and n.endswith("octopus.jpg") for n in members)
    assert "secrets/tokens.tar.sealed" in members
    raw = gzip.decompress(archive.read_bytes())
    assert TOKEN.encode() not in raw, "a token is in the archive in the clear"
    state = make_backup(settings, BackupRequest(kind="state", to_dir=str(tmp_path / "s")))
    assert set(verify_archive(Path(state.archive.removeprefix("file://"))).files) == {
        "temporal/temporal.db", "ledger/ledger.db"}


def test_restore_refuses_while_the_dev_server_uses_the_folder(live, tmp_path: Path) -> None:
    settings, _server = live
    result = make_backup(settings, BackupRequest(kind="state", to_dir=str(tmp_path)))
    with pytest.raises(BackupError, match=r"(?s)in use.*listens on.*pid \d+ .*temporal server start-dev"):
        restore_files(settings, Path(result.archive.removeprefix("file://")))


def test_a_corrupted_archive_is_refused_with_a_clear_error(live, tmp_path: Path) -> None:
    settings, _server = live
    result = make_backup(settings, BackupRequest(kind="state", to_dir=str(tmp_path)))
    archive = Path(result.archive.removeprefix("file://"))
    members = _members(archive)
    db = bytearray(members["ledger/ledger.db"])
    db[len(db) // 2] ^= 0xFF
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(tampered, "w:gz") as tar:
        for name, data in {**members, "ledger/ledger.db": bytes(db)}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="ledger/ledger.db: sha256 differs from the manifest"):
        verify_archive(tampered)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(BackupError, match="truncated.tar.gz: not a readable backup archive"):
        verify_archive(truncated)
    elsewhere = make_install(tmp_path / "install-c")  # nothing runs there
    code = subprocess.run(
        [sys.executable, "-m", "workers.cli", "--config", str(elsewhere.source), "restore",
         str(truncated), "--no-start"], capture_output=True, text=True, check=False, timeout=120)
    assert code.returncode == 2 and "not a readable backup archive" in code.stderr
    assert "Traceback" not in code.stderr


def _hold_ledger(path: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1]);"
         " c.execute('select 1').fetchall(); print('ready', flush=True); time.sleep(120)"),
         str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


async def test_restore_on_a_new_disk_runs_the_restored_history_and_reconciles(
        live, tmp_path: Path) -> None:
    settings, _server = live
    made = make_backup(settings, BackupRequest(to_dir=str(tmp_path), with_secrets=True),
                       passphrase=PASSPHRASE)
    archive = Path(made.archive.removeprefix("file://"))
    # Install B: a fresh disk with its own (empty) state and stale WAL files beside it.
    target = make_install(tmp_path / "install-b", data={"ledger_url": "sqlite:///var/ledger.db"})
    target.db_file.parent.mkdir(parents=True, exist_ok=True)
    for stale in (f"{target.db_file}-wal", f"{target.db_file}-shm"):
        Path(stale).write_bytes(b"stale")
    Ledger(target.ledger_url).engine.dispose()
    holder = _hold_ledger(target.var_dir / "ledger.db")
    try:
        with pytest.raises(BackupError, match=f"pid {holder.pid} .*ledger.db"):
            restore_files(target, archive)
    finally:
        holder.kill()
        holder.wait()
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore_files(target, archive, passphrase="not it")
    # The archive's temporal.yaml comes back, so B now has A's ports and folders: move
    # A's server aside first, as after a lost disk.
    _server.stop()
    try:
        restored, report = restore_files(target, archive, passphrase=PASSPHRASE)
        assert restored.source == target.source
        assert not Path(f"{restored.db_file}-wal").exists()
        assert str(restored.db_file) in report.placed
        assert not report.warnings  # same Temporal CLI, same ledger schema
        token = restored.publishing.secrets_dir / "demo" / "youtube.json"
        assert json.loads(token.read_text())["refresh_token"] == TOKEN
        assert oct(token.stat().st_mode & 0o777) == "0o600"
        assert (restored.artifacts_dir / "reel/demo/2026-11-25/1/voice.wav").is_file()
        server = DevServer(restored)
        assert server.start()
        try:
            client = await Client.connect(restored.address)
            for reel_id in REELS:
                described = await client.get_workflow_handle(reel_id).describe()
                assert described.status == WorkflowExecutionStatus.RUNNING
            reconciled = {r.reel_id: r for r in await reconcile(client, restored)}
            assert reconciled[REELS[0]].already_published == ["youtube"]
            assert reconciled[REELS[1]].marker_check == ["youtube"]
            ledger = Ledger(restored.ledger_url)
            again = ledger.publication_intent(REELS[0], "youtube")
            assert again is not None and again.external_id == "vid123"  # reused, not reposted
            assert {r.platform: r.status for r in ledger.publications(REELS[1])} == {
                "local": "intent", "youtube": "intent"}
            ledger.engine.dispose()
        finally:
            server.stop()
    finally:
        _server.start()
    shutil.rmtree(tmp_path / "install-b", ignore_errors=True)


def test_the_backup_command_prints_the_checked_archive_and_asks_for_a_passphrase(
        live, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.cli import main

    settings, _server = live
    config = ["--config", str(settings.source)]
    assert main([*config, "backup", "--state", "--to", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path}/monolathe_state_" in out and "checked" in out
    monkeypatch.delenv("MONOLATHE_BACKUP_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main([*config, "backup", "--with-secrets", "--to", str(tmp_path / "s")]) == 2
    assert "--with-secrets needs a passphrase: set MONOLATHE_BACKUP_PASSPHRASE" in \
        capsys.readouterr().err
