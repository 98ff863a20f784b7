"""Heartbeats from a helper thread while one long step runs inside a sync activity."""

import time

from temporalio.testing import ActivityEnvironment

from activities.progress import heartbeating


def test_a_long_step_heartbeats_until_it_ends_and_then_stops() -> None:
    env = ActivityEnvironment()
    beats: list[tuple] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    def step() -> int:
        with heartbeating(lambda: {"step": "measuring"}, every_s=0.05):
            time.sleep(0.4)
        ended = len(beats)
        time.sleep(0.2)
        return ended

    ended = env.run(step)
    assert ended >= 3  # one at once, then one every 0.05 s from the helper
    assert len(beats) == ended  # none once the step is over
    assert all(b == ({"step": "measuring"},) for b in beats)
