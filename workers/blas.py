"""Make MLX on Linux CPU use Debian's OpenBLAS instead of the BLAS bundled in the mlx wheel.

MLX resolves its BLAS symbols when the process starts, so the only way in is LD_PRELOAD
before exec: the gpu worker's launcher re-executes itself once with the library preloaded
(measured 10-90x faster matmul and conv here; see benchmarks/mlx.py). Set MONOLATHE_BLAS=
bundled to keep the wheel's BLAS.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

OPENBLAS = Path("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3")
_CHOICE = "MONOLATHE_BLAS"  # "openblas" (default when present) or "bundled"
_DONE = "MONOLATHE_BLAS_PRELOADED"


def preload_env(env: dict[str, str]) -> dict[str, str] | None:
    """The environment to re-exec with, or None when nothing needs to change."""
    if sys.platform != "linux" or env.get(_CHOICE) == "bundled" or env.get(_DONE):
        return None
    if not OPENBLAS.is_file() or str(OPENBLAS) in env.get("LD_PRELOAD", "").split(":"):
        return None
    new = dict(env)
    new["LD_PRELOAD"] = ":".join(p for p in (str(OPENBLAS), env.get("LD_PRELOAD", "")) if p)
    # One BLAS thread unless the operator says otherwise: OpenBLAS's threads spin between
    # calls, and MiniLM's small matmuls took 5.7 CPU s on two threads against 2.9 on one, in
    # about the same wall time. The factory is CPU-bound; spinning is CPU the encoder lacks.
    new.setdefault("OPENBLAS_NUM_THREADS", "1")
    new[_DONE] = "1"
    return new


def reexec_with_openblas() -> None:
    """Replace this process by itself with OpenBLAS preloaded; returns when not needed."""
    env = preload_env(dict(os.environ))
    if env is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
