"""Backups: one verified `monolathe_<kind>_<UTC time>.tar.gz` with a manifest of hashes.

The dev server's SQLite file and a SQLite ledger are copied live with SQLite's online backup
API (a `cp` of a database being written can tear a page); a PostgreSQL ledger goes through
`pg_dump`. Everything is staged in a hidden folder beside the archive, each database copy
passes `PRAGMA integrity_check`, every file is hashed into `manifest.json`, and the written
archive is read back and checked against the manifest before it takes its final name. A
crash at any point leaves only a `.staging` folder or a `.part` file, never an archive that
looks done.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.backup_db import (
    BackupError,
    copy_sqlite_live,
    ledger_revision,
    ledger_schema,
    pg_dump,
    sqlite_path,
    temporal_cli_version,
)
from activities.backup_seal import MANIFEST_MAC, SECRETS, check_manifest, seal, sign_manifest
from activities.config import ConfigError, Settings, load_channel
from activities.private_files import private_file, private_folder
from workflows.backup_contracts import BackupRequest, BackupResult

FORMAT = 1
MANIFEST = "manifest.json"
ARCHIVE_NAME = re.compile(r"^monolathe_(full|state)_(\d{8}T\d{6}Z)\.tar\.gz$")
STAMP = "%Y%m%dT%H%M%SZ"
STATUS_FILE = "last-backup.json"  # the metrics read the outcome of the last attempt here
# Archive folders, and where restore puts them back.
TEMPORAL_DB = "temporal/temporal.db"
LEDGER_DB = "ledger/ledger.db"
LEDGER_DUMP = "ledger/ledger.pgdump"
CONFIG = "config/temporal.yaml"


@dataclass
class Manifest:
    kind: str
    created_at: str
    temporal_cli: str
    ledger_schema: str
    ledger_url_kind: str  # sqlite | postgresql
    files: dict[str, dict[str, object]] = field(default_factory=dict)  # arcname -> sha256, size
    listed: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # media, models
    ledger_revision: str = ""  # Alembic's; "" in archives made before migrations, or empty
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format') if isinstance(data, dict) else '?'}"
                             f" is not {FORMAT}")
        return cls(**data)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_name(kind: str, at: datetime) -> str:
    return f"monolathe_{kind}_{at.astimezone(UTC).strftime(STAMP)}.tar.gz"


def archive_time(path: Path) -> datetime | None:
    match = ARCHIVE_NAME.match(path.name)
    return datetime.strptime(match[2], STAMP).replace(tzinfo=UTC) if match else None


def _tar_bytes(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


# --- what goes in ---


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
    elif root.is_dir():
        yield from sorted(p for p in root.rglob("*") if p.is_file())


def folders_of_channels(settings: Settings) -> tuple[list[Path], list[Path]]:
    """(own media folders, model folders and files) the channels and the gpu worker use."""
    media: set[Path] = set()
    models: set[Path] = set()
    for path in sorted(settings.channels_dir.glob("*.yaml")):
        try:
            channel = load_channel(settings, path.stem)
        except ConfigError:
            continue  # `monolathe check` reports it; the file itself is in the archive
        if channel.media_dir:
            media.add(Path(channel.media_dir))
        for value in (channel.script.model, channel.voice.model, channel.voice.reference_audio):
            if value and Path(value).expanduser().exists():
                models.add(Path(value).expanduser().resolve())
    if settings.gpu.embeddings_model != "minilm":
        models.add(Path(settings.gpu.embeddings_model))
    return sorted(media), sorted(models)


def _listing(roots: list[Path]) -> list[dict[str, object]]:
    return [{"path": str(p), "sha256": sha256_file(p), "size": p.stat().st_size}
            for root in roots for p in _files_under(root)]


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _recent_artifacts(root: Path, since: float) -> Iterator[Path]:
    for path in _files_under(root):
        if path.name.endswith(".part"):
            continue  # a file being written now; the next backup has it
        try:
            if path.stat().st_mtime >= since:
                yield path
        except FileNotFoundError:
            continue  # pruned while we walked


def stage(settings: Settings, req: BackupRequest, staging: Path, passphrase: str,
          now: datetime) -> Manifest:
    """Copy everything the archive will hold into `staging`; return its manifest."""
    ledger_file = sqlite_path(settings.ledger_url)
    manifest = Manifest(kind=req.kind, created_at=now.isoformat(),
                        temporal_cli=temporal_cli_version(), ledger_schema=ledger_schema(),
                        ledger_url_kind="sqlite" if ledger_file else "postgresql")
    if settings.db_file.is_file():
        copy_sqlite_live(settings.db_file, staging / TEMPORAL_DB)
    elif settings.embedded:
        raise BackupError(f"{settings.db_file}: the dev server's database (server.db_file)"
                          " does not exist")
    if ledger_file is None:
        # Read before the dump: an upgrade between the two would make the dump newer than the
        # revision recorded, and restore's check would let a newer schema through.
        manifest.ledger_revision = ledger_revision(settings.ledger_url)
        pg_dump(settings.ledger_url, staging / LEDGER_DUMP)
    elif ledger_file.is_file():
        copy_sqlite_live(ledger_file, staging / LEDGER_DB)
        manifest.ledger_revision = ledger_revision(f"sqlite:///{staging / LEDGER_DB}")
    if req.kind == "full":
        _copy(settings.source, staging / CONFIG)
        for path in _files_under(settings.channels_dir):
            _copy(path, staging / "channels" / path.relative_to(settings.channels_dir))
        since = (now - timedelta(hours=24)).timestamp()
        for path in _recent_artifacts(settings.artifacts_dir, since):
            _copy(path, staging / "artifacts" / path.relative_to(settings.artifacts_dir))
        media, models = folders_of_channels(settings)
        manifest.listed = {"media": _listing(media), "models": _listing(models)}
        for name, wanted in (("media", req.with_media), ("models", req.with_models)):
            for item in manifest.listed[name] if wanted else []:
                _copy(Path(str(item["path"])), staging / name / str(item["path"]).lstrip("/"))
        secrets = settings.publishing.secrets_dir
        if req.with_secrets and secrets.is_dir():
            target = staging / SECRETS
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(seal(_tar_bytes(secrets), passphrase))
    for path in _files_under(staging):
        manifest.files[path.relative_to(staging).as_posix()] = {
            "sha256": sha256_file(path), "size": path.stat().st_size}
    (staging / MANIFEST).write_text(manifest.to_json())
    if passphrase:
        (staging / MANIFEST_MAC).write_bytes(
            sign_manifest((staging / MANIFEST).read_bytes(), passphrase))
    return manifest


def verify_archive(archive: Path, extract_to: Path | None = None,
                   passphrase: str = "") -> Manifest:
    """Read the archive through, check every file against the manifest; optionally extract.

    With a passphrase, the manifest must carry its MAC under that passphrase. Raises
    BackupError naming the archive and the first thing wrong with it.
    """
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest: Manifest | None = None
            raw_manifest, signed = b"", None
            seen: dict[str, str] = {}
            for member in tar:
                if not member.isfile():
                    continue
                name = member.name.removeprefix("./")
                if name.startswith("/") or ".." in Path(name).parts:
                    raise BackupError(f"{archive}: {name}: unsafe path in the archive")
                stream = tar.extractfile(member)
                assert stream is not None  # a regular file always has one
                if name == MANIFEST:
                    raw_manifest = stream.read(1 << 24)
                    manifest = Manifest.from_json(raw_manifest.decode())
                    continue
                if name == MANIFEST_MAC:
                    signed = stream.read(1 << 12)
                    continue
                digest = hashlib.sha256()
                out = None
                if extract_to is not None:
                    (extract_to / name).parent.mkdir(parents=True, exist_ok=True)
                    out = open(extract_to / name, "wb")  # noqa: SIM115 (closed below)
                try:
                    for chunk in iter(partial(stream.read, 1 << 20), b""):
                        digest.update(chunk)
                        if out is not None:
                            out.write(chunk)
                finally:
                    if out is not None:
                        out.close()
                seen[name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"{archive}: not a readable backup archive ({exc})") from None
    except (ValueError, TypeError) as exc:
        raise BackupError(f"{archive}: {MANIFEST}: not a monolathe manifest ({exc})") from None
    if manifest is None:
        raise BackupError(f"{archive}: no {MANIFEST}: not a monolathe backup")
    if passphrase:
        check_manifest(raw_manifest, signed, passphrase, str(archive))
    for name, entry in manifest.files.items():
        if name not in seen:
            raise BackupError(f"{archive}: {name}: listed in the manifest but missing")
        if seen[name] != entry["sha256"]:
            raise BackupError(f"{archive}: {name}: sha256 differs from the manifest"
                              " (the archive is corrupted)")
    extra = sorted(set(seen) - set(manifest.files))
    if extra:
        raise BackupError(f"{archive}: {extra[0]}: not in the manifest")
    return manifest


def prune(folder: Path, keep_days: int, now: datetime, keep: Path) -> list[str]:
    """Remove archives older than `keep_days`, never the one just written."""
    cutoff = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.glob("monolathe_*.tar.gz")):
        at = archive_time(path)
        if at is not None and at < cutoff and path != keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def write_status(folder: Path, ok: bool, detail: str, now: datetime) -> None:
    """The last attempt's outcome, for the metrics of whichever process serves them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STATUS_FILE
    previous = read_status(folder)
    status = {"ok": ok, "at": now.timestamp(), "detail": detail,
              "last_success": now.timestamp() if ok else previous.get("last_success")}
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, path)


def read_status(folder: Path) -> dict[str, object]:
    try:
        data = json.loads((folder / STATUS_FILE).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def make_backup(settings: Settings, req: BackupRequest, passphrase: str = "",
                beat: Callable[[str], None] = lambda _step: None) -> BackupResult:
    """Write one checked archive; record the outcome for the metrics either way."""
    started = time.monotonic()
    folder = Path(req.to_dir) if req.to_dir else settings.backups.dir
    now = datetime.now(UTC)
    final = folder / archive_name(req.kind, now)
    part = final.with_name(final.name + ".part")
    try:
        if req.kind not in ("full", "state"):
            raise BackupError(f"kind {req.kind!r}: choose full or state")
        private_folder(folder)
        if final.exists():
            raise BackupError(f"{final}: already exists (two backups in the same second)")
        with tempfile.TemporaryDirectory(prefix=f".{final.stem}.", suffix=".staging",
                                         dir=folder) as tmp:
            beat("staging")
            manifest = stage(settings, req, Path(tmp), passphrase, now)
            beat("archiving")
            private_file(part)  # the archive may hold sealed tokens and every reel's history
            with tarfile.open(part, "w:gz", compresslevel=6) as tar:
                tar.add(tmp, arcname=".")
        beat("verifying")
        verify_archive(part)
        os.replace(part, final)
    except BackupError as exc:
        write_status(settings.backups.dir, False, str(exc), now)
        raise
    except OSError as exc:
        error = BackupError(f"{exc.filename or folder}: {exc.strerror or exc}")
        write_status(settings.backups.dir, False, str(error), now)
        raise error from None
    finally:
        if part.exists():  # a failed attempt leaves no half-written archive
            part.unlink()
    write_status(settings.backups.dir, True, str(final), now)
    pruned = prune(folder, req.keep_days, now, final) if req.keep_days else []
    return BackupResult(archive=final.resolve().as_uri(), kind=req.kind,
                        files=len(manifest.files), bytes=final.stat().st_size,
                        seconds=round(time.monotonic() - started, 3), pruned=pruned)


class BackupActivities:
    """The daily backup, run by `BackupWorkflow` on the reels worker (the ledger's host)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @activity.defn(name="make_backup")
    def make_backup(self, req: BackupRequest) -> BackupResult:
        from activities.errors import bad_input
        from activities.progress import heartbeating

        passphrase = os.environ.get(self.settings.backups.passphrase_env, "")
        if req.with_secrets and not passphrase:
            raise bad_input(f"backups.with_secrets: set {self.settings.backups.passphrase_env}"
                            " in the reels worker's environment")
        step = ["starting"]
        with heartbeating(lambda: {"step": step[0]}):
            try:
                return make_backup(self.settings, req, passphrase,
                                   beat=lambda name: step.__setitem__(0, name))
            except BackupError as exc:
                raise ApplicationError(str(exc), type="BackupFailed", non_retryable=True) from None
