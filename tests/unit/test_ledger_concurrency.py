"""The ledger under writers racing each other, as workers on several hosts do: the quota
count loses no addition and no topic of the queue is taken twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from activities.ledger import Ledger, TopicRow
from activities.trends import queue

THREADS = 6


def race(work: Callable[[int], None]) -> None:
    """`work(n)` in THREADS threads released together; any exception fails the test."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # noqa: BLE001  (re-raised below, on the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors


def test_quota_spent_at_once_by_many_workers_adds_up(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.spend_quota("youtube", "demo", "2026-11-25", 1)  # the row exists; racers add to it

    def spend(_n: int) -> None:
        for _ in range(20):
            ledger.spend_quota("youtube", "demo", "2026-11-25", 100)

    race(spend)
    assert ledger.quota_used("youtube", "demo", "2026-11-25") == (1 + THREADS * 20 * 100, False)
    ledger.spend_quota("youtube", "demo", "2026-11-25", 0, exhausted=True)
    assert ledger.quota_used("youtube", "demo", "2026-11-25")[1] is True
    ledger.engine.dispose()


def test_no_topic_is_taken_by_two_slots(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    with ledger.session() as s:
        s.add_all(TopicRow(channel="sky", key=f"story {i}", title=f"Story {i}",
                           score=float(i % 5)) for i in range(THREADS * 4))
    taken: dict[str, str] = {}

    def take(n: int) -> None:
        for k in range(4):
            slot = f"slot-{n}-{k}"
            topic = queue.take(ledger, "sky", slot, [])
            assert topic is not None, slot
            taken[slot] = topic.title

    race(take)
    assert len(taken) == THREADS * 4
    assert len(set(taken.values())) == THREADS * 4, sorted(taken.values())
    assert queue.take(ledger, "sky", "one-more", []) is None  # all taken, none twice
    # a retried take of a slot returns its own topic again
    assert queue.take(ledger, "sky", "slot-0-0", []).title == taken["slot-0-0"]
    ledger.engine.dispose()
