"""Run ffmpeg as a child process: progress, heartbeats, cancellation and exact CPU time.

The binary is the one on PATH when there is one, else the static build shipped in the
imageio-ffmpeg wheel (which has libx264, libass and freetype), so nothing needs root.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from temporalio.exceptions import CancelledError

from activities.errors import tool_failed
from activities.progress import cancelled


@cache
def ffmpeg_exe() -> str:
    override = os.environ.get("MONOLATHE_FFMPEG")
    if override:
        return override
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@cache
def listed(kind: str) -> frozenset[str]:
    """The names this ffmpeg lists under `kind` (`-encoders`, `-filters`): builds differ, and
    a missing one is asked for by name before a command needs it."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", kind],
        capture_output=True, text=True, errors="replace", timeout=30, check=False,
    )  # fmt: skip
    return frozenset(
        parts[1] for line in proc.stdout.splitlines() if len(parts := line.split()) > 1
    )


def child_env() -> dict[str, str]:
    """ffmpeg's environment: ours, with glibc's malloc held to one arena unless the operator
    chose otherwise. Each of ffmpeg's threads (a decoder per input, the filter graph, x264's
    frame threads) otherwise gets an arena of its own, and every arena keeps the multi-MB
    frame buffers freed into it: a 1080x1920 compose peaked about 65 MB higher, for no CPU
    saved (frames come from ffmpeg's own pools, so the one arena's lock is rarely taken)."""
    return {"MALLOC_ARENA_MAX": "1", **os.environ}


@dataclass
class FfmpegRun:
    stderr: str
    cpu_seconds: float
    wall_seconds: float


Tick = Callable[[dict[str, str]], None]


def run_ffmpeg(
    args: Sequence[str],
    on_progress: Tick | None = None,
    should_stop: Callable[[], bool] = cancelled,
    what: str = "ffmpeg",
) -> FfmpegRun:
    """Run `ffmpeg <args>`; raise a typed ToolFailed error with ffmpeg's last lines on failure.

    `on_progress` receives ffmpeg's `-progress` key/values (out_time_us, speed, ...) about
    twice a second; `should_stop` (by default: the running activity was cancelled) is polled
    as often, kills ffmpeg and raises Temporal's CancelledError so the activity ends cancelled.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-progress", "pipe:1", *args]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
        env=child_env(),
    )
    stderr_lines: list[str] = []
    # stderr must be drained concurrently or a chatty filter (ebur128) fills the pipe.
    drain = threading.Thread(
        target=lambda: stderr_lines.extend(proc.stderr or []), daemon=True
    )
    drain.start()
    progress: dict[str, str] = {}
    last_tick = 0.0
    assert proc.stdout is not None
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        progress[key] = value
        now = time.monotonic()
        if key == "progress" and now - last_tick >= 0.5:
            last_tick = now
            if on_progress:
                on_progress(dict(progress))
            if should_stop():
                proc.kill()
                break
    # wait4 reaps the child and reports its own rusage, exact even with parallel stages.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    drain.join(timeout=5)
    wall = time.monotonic() - started
    cpu = usage.ru_utime + usage.ru_stime
    if should_stop():
        raise CancelledError(f"{what} stopped: activity cancelled")
    stderr = "".join(stderr_lines)
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-8:])
        raise tool_failed(f"{what} failed ({exit_reason(proc.returncode)}):\n{tail}")
    return FfmpegRun(stderr=stderr, cpu_seconds=cpu, wall_seconds=wall)


def exit_reason(code: int) -> str:
    """ffmpeg's exit code in words; a full disk or quota kills it with SIGXFSZ, silently."""
    if code == -signal.SIGXFSZ:
        return "killed by SIGXFSZ: the file size limit was reached (a full disk or a quota)"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit {code}"


def out_seconds(progress: dict[str, str]) -> float:
    """How far into the output ffmpeg is, from its `-progress` report."""
    try:
        return max(0.0, int(progress.get("out_time_us", "0")) / 1e6)
    except ValueError:
        return 0.0


def filter_path(path: Path) -> str:
    """Escape a path for a filter option inside a filtergraph (two levels of quoting)."""
    text = str(path.resolve())
    for ch in "\\':":
        text = text.replace(ch, "\\" + ch)
    for ch in "\\'[],;":
        text = text.replace(ch, "\\" + ch)
    return text
