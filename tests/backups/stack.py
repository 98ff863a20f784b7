"""A throwaway installation (temporal.yaml on free ports, channels, data) for backup tests."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import yaml

from activities.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_install(root: Path, **sections: dict[str, object]) -> Settings:
    """temporal.yaml under `root` with its own ports and folders, and the demo channel."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "channels", root / "channels", dirs_exist_ok=True)
    config: dict[str, object] = {
        "server": {"address": f"127.0.0.1:{free_port()}", "ui_port": free_port()},
        "metrics": {"port": free_port(), "sdk_port": 0},
        "logs": {"json_file": ""},
        "publishing": {"secrets_dir": "secrets"},
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}  # type: ignore[dict-item]
    (root / "temporal.yaml").write_text(yaml.safe_dump(config))
    return load_settings(root / "temporal.yaml")
