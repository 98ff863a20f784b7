"""Files only their owner reads: the databases, logs and backups hold the factory's history,
its ledger and, in backups, its tokens, so they are created 0600 in folders made 0700."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """`path` and every missing ancestor created 0700; a folder that exists keeps its mode
    (it may be the operator's shared one)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode passes through the umask
    return path


def private_file(path: Path) -> Path:
    """`path` created empty at 0600 if missing (before any library opens it), and tightened
    to 0600 if it is looser; its folder made as `private_folder` does."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, FILE_MODE)
    return path
