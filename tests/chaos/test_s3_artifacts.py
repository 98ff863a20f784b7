"""Artifacts across hosts: a gpu worker and a media worker that share no folder make a real
reel through an S3 bucket (moto's server on loopback, spoken to by boto3 as to AWS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from activities.artifacts_s3 import S3Artifacts
from tests.chaos.harness import Stack

pytestmark = [pytest.mark.chaos, pytest.mark.integration]
BUCKET = "reels-artifacts"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)  # the workers inherit them, as from their host
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


async def test_workers_without_a_shared_folder_make_a_reel_through_the_bucket(
        tmp_path, chaos_youtube, fake_cert, s3_endpoint):
    stack = Stack(tmp_path / "s3", chaos_youtube, fake_cert[0],
                  artifacts=f"s3://{BUCKET}/factory", artifacts_endpoint=s3_endpoint)
    try:
        # the gpu host keeps its files elsewhere: nothing it writes is on the media host's disk
        await stack.start(configs={"gpu": stack.variant("gpu-host/artifacts")})
        reel = stack.reel_input(1)
        await stack.start_reel(reel)
        [outcome] = await stack.check_invariants()
        assert outcome.status.name == "COMPLETED", outcome
    finally:
        stack.stop()

    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    prefix = f"factory/{reel.reel_id}/"
    # An illustrated scene travels as its recipe, drawn inside compose (its icons drawn again
    # on a compose host that lacks them)
    assert {prefix + n for n in ("voice.wav", "words.json", "reel.mp4", "cover.jpg",
                                 "captions.ass", "scene-00-illustrated.json")} <= keys, keys
    gpu_host = _files(stack.folder / "gpu-host/artifacts")
    media_host = _files(stack.folder / "var/artifacts")
    assert "voice.wav" in gpu_host and "reel.mp4" not in gpu_host
    # the media host fetched the voice into its cache, beside what it wrote itself
    assert {"voice.wav", "voice.wav.etag", "reel.mp4"} <= media_host, media_host
    assert len(chaos_youtube.videos) == 1

    # retention prunes the bucket and the cache alike
    store = S3Artifacts(f"s3://{BUCKET}/factory", stack.folder / "var/artifacts", s3_endpoint)
    assert store.prune(older_than_s=3600) == 0
    assert store.prune(older_than_s=-60) >= len(keys)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert not _files(stack.folder / "var/artifacts")
    assert os.path.isdir(stack.folder / "var/artifacts")
