"""What the daily backup workflow and its activity take and return."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BackupRequest:
    kind: str = "full"  # full | state (the two databases alone)
    to_dir: str = ""  # empty: backups.dir of temporal.yaml
    with_media: bool = False
    with_models: bool = False
    with_secrets: bool = False  # the passphrase comes from the worker's environment
    keep_days: int = 0  # prune archives older than this after a success; 0 = keep all


@dataclass
class BackupResult:
    archive: str  # file:// URI of the finished archive
    kind: str
    files: int
    bytes: int
    seconds: float
    pruned: list[str] = field(default_factory=list)  # archives removed by retention
