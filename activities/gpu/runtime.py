"""MLX process state for the gpu worker: memory limits, resident models, heartbeats, BLAS.

A model is loaded once per process and kept on a shelf: one model of each kind (llm,
embeddings, tts) stays resident, and loading another of the same kind evicts the least
recently used one. Generation runs under one lock per process, so concurrent activities
queue for the accelerator instead of both holding activations in its memory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activities.errors import over_memory

log = logging.getLogger("monolathe.gpu")
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"


@dataclass(frozen=True)
class GpuLimits:
    memory_limit_gb: float = 0.0  # 0 keeps MLX's default (most of the device's memory)
    cache_limit_gb: float = 1.0  # freed buffers MLX keeps for reuse
    resident_per_kind: int = 1


_limits = GpuLimits()
# One generation at a time per process: MLX's peak memory is weights plus activations.
compute_lock = threading.Lock()


def configure(limits: GpuLimits) -> None:
    """Apply memory and cache limits; called once by the gpu worker before any model loads."""
    global _limits
    import mlx.core as mx

    _limits = limits
    if limits.memory_limit_gb > 0:
        mx.set_memory_limit(int(limits.memory_limit_gb * 2**30))
    mx.set_cache_limit(int(limits.cache_limit_gb * 2**30))
    for each in _shelves.values():
        each.capacity = limits.resident_per_kind
    log.info(describe())


def describe() -> str:
    """One line for the startup log: MLX version, device, BLAS and limits."""
    import mlx.core as mx

    memory = f"{_limits.memory_limit_gb:.1f} GB" if _limits.memory_limit_gb else "MLX default"
    return (f"MLX {mx.__version__} on {mx.default_device()}; BLAS: {blas_in_use()}; "
            f"memory limit {memory}, cache limit {_limits.cache_limit_gb:.1f} GB, "
            f"{_limits.resident_per_kind} resident model(s) per kind")


def blas_in_use() -> str:
    """Which BLAS this process resolved: OpenBLAS when preloaded, else what MLX bundles."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            mapped = {line.split()[-1] for line in maps if "blas" in line.lower()}
    except OSError:  # macOS: MLX uses Accelerate
        return "Accelerate (macOS)" if os.uname().sysname == "Darwin" else "unknown"
    # numpy's wheel maps its own OpenBLAS too, its symbols prefixed (scipy_openblas64_): it
    # serves numpy alone, never MLX, so it says nothing of MLX's BLAS.
    openblas = sorted(p for p in mapped if "openblas" in p and "scipy_openblas" not in p)
    if openblas:
        return f"OpenBLAS ({openblas[0]})"
    return "the BLAS bundled with mlx (slow on CPU; install libopenblas0-pthread)"


class ModelShelf:
    """Loaded models of one kind, least recently used first; evicts beyond capacity."""

    def __init__(self, kind: str, capacity: int = 1) -> None:
        self.kind = kind
        self.capacity = capacity
        self.loads = 0  # how many times a model was actually loaded, for tests and logs
        self._models: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            while len(self._models) >= max(self.capacity, 1):
                evicted, _ = self._models.popitem(last=False)
                log.info("%s model %s evicted", self.kind, evicted)
                _clear_cache()
            log.info("loading %s model %s", self.kind, key)
            model = load()
            self.loads += 1
            refused = _over_limit(f"{self.kind} model {key}")
            if refused:
                del model  # dropped before the error leaves: the worker lives on
                _clear_cache()
                raise over_memory(refused)
            self._models[key] = model
            return model

    def resident(self) -> list[str]:
        return list(self._models)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
            _clear_cache()


def _over_limit(what: str) -> str:
    """Why a load leaves MLX holding more than `gpu.memory_limit_gb`, or "".

    MLX on CPU does not enforce its memory limit, and Metal only at allocation time with an
    untyped error: this check gives the operator one clear, final OverMemory error.
    """
    if _limits.memory_limit_gb <= 0:
        return ""
    import mlx.core as mx

    used = mx.get_active_memory()
    if used <= _limits.memory_limit_gb * 2**30:
        return ""
    return (f"{what} needs {used / 2**30:.3f} GB, more than gpu.memory_limit_gb"
            f" ({_limits.memory_limit_gb:g} GB in temporal.yaml)")


def _clear_cache() -> None:
    import mlx.core as mx

    mx.clear_cache()


_shelves: dict[str, ModelShelf] = {}


def shelf(kind: str) -> ModelShelf:
    if kind not in _shelves:
        _shelves[kind] = ModelShelf(kind, _limits.resident_per_kind)
    return _shelves[kind]


