"""kill -9 of the publish worker at TikTok's three crash windows: between init and upload,
in the middle of the upload, and between the upload and the status poll. Real processes (dev
server, every worker) make a real reel; the TikTok fake holds the request at the window so
the kill lands inside it. Each reel ends with one TikTok post of the whole file."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from activities.ledger import Ledger, ReelRow
from activities.secrets import SecretStore
from tests.chaos.harness import CHANNEL, ChaosYouTube, Stack, await_for
from tests.fakes.server import Request, Reset, Response
from tests.fakes.tiktok_api import FakeTikTok


class ChaosTikTok(FakeTikTok):
    """The TikTok fake, holding the first request at `hold` until the test releases it.

    hold="upload-before": the first chunk PUT waits, then is dropped unread (the worker died
    after init, before a byte landed); "upload": a chunk PUT waits, then lands (the dead
    worker's bytes arrive, its worker never hears); "status": the first status poll after
    the upload waits, then answers a dead socket.
    """

    def __init__(self, cert: Any) -> None:
        super().__init__(cert)
        self.hold = ""
        self.holding = threading.Event()
        self.release = threading.Event()

    def handle(self, req: Request) -> Response:
        kind = ("upload" if req.method == "PUT" else
                "status" if req.path.endswith("/status/fetch/") else "")
        uploaded = any(p.chunks == p.count for p in self.posts.values())
        if self.hold and not self.holding.is_set() and (
                (self.hold.startswith("upload") and kind == "upload") or
                (self.hold == "status" and kind == "status" and uploaded)):
            self.holding.set()
            self.release.wait(timeout=300)
            if self.hold == "upload-before":
                raise Reset
        return super().handle(req)


class TikTokStack(Stack):
    def __init__(self, folder: Path, youtube: ChaosYouTube, tiktok: ChaosTikTok,
                 cert: Path) -> None:
        self.tiktok = tiktok
        super().__init__(folder, youtube, cert)
        SecretStore(self.settings.publishing.secrets_dir).save(CHANNEL, "tiktok", {
            "client_key": tiktok.client_key, "client_secret": tiktok.client_secret,
            "access_token": tiktok.token, "refresh_token": tiktok.refresh_token})

    def _write_config(self, cert: Path, gpu_memory_limit_gb: float, store: str) -> None:
        super()._write_config(cert, gpu_memory_limit_gb, store)
        text = self.config.read_text().replace(
            "publishing: {", f"publishing: {{tiktok: {{api_url: '{self.tiktok.url}'}}, ", 1)
        self.config.write_text(text)


@pytest.fixture
def chaos_tiktok(fake_cert: tuple[Path, Path]):
    with ChaosTikTok(fake_cert) as fake:
        yield fake
        fake.release.set()


@pytest_asyncio.fixture
async def tiktok_stack(tmp_path: Path, chaos_youtube: ChaosYouTube, chaos_tiktok: ChaosTikTok,
                       fake_cert: tuple[Path, Path]) -> AsyncIterator[TikTokStack]:
    stack = TikTokStack(tmp_path, chaos_youtube, chaos_tiktok, fake_cert[0])
    try:
        yield stack
    finally:
        stack.stop()


async def _kill_at(stack: TikTokStack, window: str, n: int) -> None:
    await stack.start()
    stack.tiktok.hold = window
    reel = stack.reel_input(n, ["local", "tiktok"])
    await stack.start_reel(reel)
    await await_for(stack.tiktok.holding.is_set, f"the publish worker at TikTok's {window}",
                    300)
    stack.workers["publish"].kill9()
    stack.tiktok.release.set()
    stack.workers["publish"].start()
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome
    [post] = stack.tiktok.published()  # one post, never two
    with Ledger(stack.settings.ledger_url).session() as s:
        row = s.get(ReelRow, reel.reel_id)
    assert row is not None
    assert post.sha256 == hashlib.sha256(stack.artifact_bytes(row.video_uri)).hexdigest()
    [tiktok] = [p for p in Ledger(stack.settings.ledger_url).publications(reel.reel_id)
                if p.platform == "tiktok"]
    assert tiktok.external_id == post.publish_id


@pytest.mark.slow
async def test_kill_between_init_and_upload_posts_once(tiktok_stack: TikTokStack):
    await _kill_at(tiktok_stack, "upload-before", 31)


@pytest.mark.slow
async def test_kill_in_the_middle_of_the_upload_posts_once(tiktok_stack: TikTokStack):
    await _kill_at(tiktok_stack, "upload", 32)


@pytest.mark.slow
async def test_kill_between_upload_and_status_posts_once(tiktok_stack: TikTokStack):
    await _kill_at(tiktok_stack, "status", 33)
