"""kill -9 of each worker kind in the middle of its longest activity, and of the dev server.

The server retries a lost worker's activity after its heartbeat timeout until the stage's
deadline, without spending the stage's `attempts`: a compose whose worker dies three times in a
row still ends published. A BadInput is still final at once.
"""

from __future__ import annotations

import pytest

from tests.chaos.harness import Stack, await_for

pytestmark = [pytest.mark.chaos, pytest.mark.integration]


async def _kill_during_compose(stack: Stack) -> None:
    media = stack.workers["media"]
    # The compose is the ffmpeg writing reel.partial.mp4 (renamed to reel.mp4 when it ends;
    # quality's ffmpeg reads reel.mp4 afterwards, on the same worker).
    await await_for(lambda: any("reel.partial.mp4" in c for c in media.children("ffmpeg")),
                    "the media worker's compose ffmpeg")
    media.kill9()
    media.start()


async def test_compose_survives_three_kills_in_a_row(stack: Stack):
    await stack.start()
    reel = stack.reel_input(1)
    await stack.start_reel(reel)
    for _ in range(3):
        await _kill_during_compose(stack)
    [outcome] = await stack.check_invariants()
    assert outcome.reason == "" and outcome.status.name == "COMPLETED", outcome
    scheduled, attempts = await stack.activity_attempts(reel.reel_id, "compose_reel")
    # one activity, retried by the server: the lost workers never counted as work failures
    assert scheduled == 1 and attempts[-1] >= 4, (scheduled, attempts)
    assert len(stack.youtube.videos) == 1


async def test_bad_input_fails_at_once(stack: Stack):
    await stack.start(queues=("reels", "gpu", "media"))
    reel = stack.reel_input(2, platforms=["local"], music_file=str(stack.folder / "gone.mp3"))
    await stack.start_reel(reel)
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "FAILED"
    assert "music_file" in outcome.reason and "gone.mp3" in outcome.reason, outcome.reason
    assert await stack.activity_attempts(reel.reel_id, "compose_reel") == (1, [1])
    assert not list((stack.settings.out_dir).glob("**/*.mp4"))


@pytest.mark.slow
async def test_voice_survives_a_kill_during_tts(stack: Stack):
    reel = await stack.reel_running(3, "synthesize_voice", ["local"])
    stack.workers["gpu"].restart()
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome
    _, attempts = await stack.activity_attempts(reel.reel_id, "synthesize_voice")
    assert attempts[-1] >= 2, attempts


@pytest.mark.slow
async def test_upload_survives_a_kill_in_the_middle(stack: Stack):
    await stack.start()
    stack.youtube.hold_uploads = True
    reel = stack.reel_input(4)
    await stack.start_reel(reel)
    await await_for(stack.youtube.holding.is_set, "an upload chunk reaching YouTube", 300)
    stack.workers["publish"].kill9()
    stack.youtube.hold_uploads = False
    stack.youtube.release.set()  # the dead worker's chunk lands; its worker never hears
    stack.workers["publish"].start()
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome
    assert len(stack.youtube.videos) == 1  # resumed or found, never uploaded twice


@pytest.mark.slow
async def test_reel_survives_a_dev_server_kill(stack: Stack):
    # Mid-compose: the longest stage, so the kill lands inside it (the visuals stage only
    # writes recipes now and is over in milliseconds).
    await stack.reel_running(5, "compose_reel", ["local"])
    await stack.restart_server()
    stack.client = await stack.connect()
    [outcome] = await stack.check_invariants()
    assert outcome.status.name == "COMPLETED", outcome
