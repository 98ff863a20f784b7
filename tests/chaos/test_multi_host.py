"""Workers on hosts that share no disk: each worker process in a folder of its own (its own
var/, artifacts cache and secrets), artifacts through an S3 bucket (moto's server), the ledger
on PostgreSQL, and the workers killed with kill -9 at random while reels run. Every reel
ends published, once; the figures (reels, kills, duplicates) are printed.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from pathlib import Path

import boto3
import pytest

from activities.ledger import Ledger
from activities.secrets import SecretStore
from tests.chaos.harness import CHANNEL, REPO, Stack
from tests.chaos.test_s3_artifacts import BUCKET, s3_endpoint  # noqa: F401  (a fixture)
from tests.pg import PgCluster
from workers.run import QUEUES

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.slow]
REELS = 3
SEED = 30  # the kills are random, and the same on every run of this seed


def host_config(stack: Stack, queue: str) -> Path:
    """The folder and temporal.yaml of the host running `queue`'s worker: every relative
    path of the config (var, artifacts cache, secrets, channels, out) lands inside it."""
    host = stack.folder / f"host-{queue}"
    host.mkdir()
    shutil.copytree(REPO / "channels", host / "channels")
    config = host / "temporal.yaml"
    config.write_text(stack.config.read_text())
    if queue == "publish":  # the token lives on the host that uploads
        SecretStore(host / "secrets").save(CHANNEL, "youtube", {
            "client_id": "client-1.apps.googleusercontent.com", "client_secret": "s3cret",
            "refresh_token": "refresh-1"})
    return config


async def kill_at_random(stack: Stack, done: asyncio.Event, rng: random.Random,
                         kills: dict[str, int]) -> None:
    """kill -9 of a random worker every few seconds, restarted after a pause, until `done`."""
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), rng.uniform(4.0, 10.0))
            return
        except TimeoutError:
            pass
        queue = rng.choice(sorted(stack.workers))
        worker = stack.workers[queue]
        if worker.alive():
            worker.kill9()
            kills[queue] = kills.get(queue, 0) + 1
        await asyncio.sleep(rng.uniform(0.5, 3.0))  # the host comes back
        worker.start()


async def test_hosts_sharing_no_disk_publish_every_reel_once_through_kills(
        tmp_path: Path, chaos_youtube, fake_cert, s3_endpoint,  # noqa: F811
        pg_cluster: PgCluster) -> None:
    ledger_url = pg_cluster.new_database("multihost")
    stack = Stack(tmp_path / "hosts", chaos_youtube, fake_cert[0],
                  artifacts=f"s3://{BUCKET}/factory", artifacts_endpoint=s3_endpoint,
                  ledger_url=ledger_url)
    rng = random.Random(SEED)
    kills: dict[str, int] = {}
    done = asyncio.Event()
    try:
        await stack.start(configs={q: host_config(stack, q) for q in QUEUES})
        reels = [stack.reel_input(n, platforms=["youtube"]) for n in range(1, REELS + 1)]
        for reel in reels:
            await stack.start_reel(reel)
        chaos = asyncio.create_task(kill_at_random(stack, done, rng, kills))
        outcomes = [await stack.outcome(r.reel_id, timeout=900) for r in reels]
        done.set()
        await chaos
        for worker in stack.workers.values():
            if not worker.alive():
                worker.start()
        assert [o.status.name for o in outcomes] == ["COMPLETED"] * REELS, outcomes
        await stack.check_invariants()  # one post per reel and platform, whole files
    finally:
        done.set()
        stack.stop()

    ledger = Ledger(ledger_url)
    rows = [p for r in reels for p in ledger.publications(r.reel_id)]
    ledger.engine.dispose()
    posted = len(chaos_youtube.videos)
    duplicates = posted - len({r.reel_id for r in reels if any(
        p.reel_id == r.reel_id and p.status == "published" for p in rows)})
    print(f"\nmulti-host: {REELS} reels, {posted} posted, {sum(kills.values())} kills"
          f" {dict(sorted(kills.items()))}, {duplicates} duplicates")
    assert posted == REELS and duplicates == 0
    assert sorted(p.external_id for p in rows) == sorted(chaos_youtube.videos)
    # Each host kept its own cache: the voice made on the gpu host, the reel on the media
    # host, and nobody used the folder a shared install would have had.
    assert list((stack.folder / "host-gpu/var/artifacts").rglob("voice.wav"))
    assert list((stack.folder / "host-media/var/artifacts").rglob("reel.mp4"))
    assert not list((stack.folder / "host-gpu/var/artifacts").rglob("reel.mp4"))
    assert not (stack.folder / "var/artifacts").exists()
    keys = {o["Key"] for o in boto3.client("s3", endpoint_url=s3_endpoint)
            .list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert all(f"factory/{r.reel_id}/reel.mp4" in keys for r in reels)
