"""due_slot and friends: pure functions of the cadence and the (UTC) workflow clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from workflows.contracts import Cadence
from workflows.slots import day_of, due_slot, next_midnight, slot_after


def at(
    day: int, hour: int, minute: int = 0, second: int = 0, month: int = 1, year: int = 2026
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- slot_seconds (demo) ---


def test_slot_seconds_first_slot_is_now() -> None:
    now = at(1, 7, 13, 5)

    assert due_slot(Cadence(slot_seconds=20), now, None) == now


def test_slot_seconds_next_slot_is_last_plus_interval() -> None:
    last = at(1, 7, 0, 0)
    now = at(1, 7, 0, 5)

    assert due_slot(Cadence(slot_seconds=20), now, last) == at(1, 7, 0, 20)


def test_slot_seconds_slot_is_never_before_now() -> None:
    last = at(1, 7, 0, 0)
    now = at(1, 9, 0, 0)

    assert due_slot(Cadence(slot_seconds=20), now, last) == now


def test_slot_seconds_overrides_per_day_and_times() -> None:
    cadence = Cadence(per_day=1, times=["23:00"], slot_seconds=60)

    assert due_slot(cadence, at(1, 7), at(1, 6, 59, 30)) == at(1, 7, 0, 30)


# --- per_day spread evenly from midnight UTC ---


def test_per_day_first_slot_waits_for_the_next_even_slot() -> None:
    # per_day 4 -> 00:00, 06:00, 12:00, 18:00
    assert due_slot(Cadence(per_day=4), at(1, 7), None) == at(1, 12)


def test_per_day_next_slot_follows_the_last_one() -> None:
    assert due_slot(Cadence(per_day=4), at(1, 12, 30), at(1, 12)) == at(1, 18)


def test_per_day_last_slot_of_the_day_wraps_to_midnight() -> None:
    assert due_slot(Cadence(per_day=4), at(1, 18, 1), at(1, 18)) == at(2, 0)


def test_per_day_slot_exactly_now_is_strictly_after() -> None:
    # With no last slot, a now that is exactly on a slot waits for the following one.
    assert due_slot(Cadence(per_day=4), at(1, 12), None) == at(1, 18)


def test_per_day_three_slots_are_eight_hours_apart() -> None:
    cadence = Cadence(per_day=3)

    assert slot_after(cadence, at(1, 0)) == at(1, 8)
    assert slot_after(cadence, at(1, 8)) == at(1, 16)
    assert slot_after(cadence, at(1, 16)) == at(2, 0)


def test_per_day_schedule_crosses_month_and_year_end() -> None:
    assert slot_after(Cadence(per_day=2), at(31, 13, month=12, year=2025)) == at(1, 0)


# --- times of day ---


def test_times_pick_the_next_time_of_day() -> None:
    cadence = Cadence(times=["09:00", "18:30"])

    assert due_slot(cadence, at(1, 7), None) == at(1, 9)
    assert due_slot(cadence, at(1, 9, 1), at(1, 9)) == at(1, 18, 30)


def test_times_after_the_last_time_wrap_to_the_next_day() -> None:
    cadence = Cadence(times=["09:00", "18:30"])

    assert due_slot(cadence, at(1, 19), None) == at(2, 9)
    assert due_slot(cadence, at(1, 18, 31), at(1, 18, 30)) == at(2, 9)


def test_times_override_per_day() -> None:
    cadence = Cadence(per_day=4, times=["05:15"])

    assert due_slot(cadence, at(1, 7), None) == at(2, 5, 15)


def test_unsorted_times_still_give_the_earliest_next_slot() -> None:
    assert slot_after(Cadence(times=["18:30", "09:00"]), at(1, 7)) == at(1, 9)


# --- downtime ---


def test_after_downtime_only_the_latest_missed_slot_is_due() -> None:
    cadence = Cadence(per_day=4)
    last = at(30, 6, month=12, year=2025)  # two days and an hour ago
    now = at(1, 7)

    slot = due_slot(cadence, now, last)

    assert slot == at(1, 6)  # the latest slot at or before now: one catch-up, not a burst
    # Having filled it, the next one waits for its time.
    assert due_slot(cadence, now, slot) == at(1, 12)


def test_after_downtime_with_times_the_latest_missed_time_is_due() -> None:
    cadence = Cadence(times=["09:00", "18:30"])

    assert due_slot(cadence, at(5, 10), at(1, 9)) == at(5, 9)


def test_missed_slot_exactly_now_is_due_now() -> None:
    assert due_slot(Cadence(per_day=4), at(1, 12), at(1, 6)) == at(1, 12)


def test_slot_is_returned_in_utc_for_a_non_utc_clock() -> None:
    paris = timezone(timedelta(hours=1))
    now = datetime(2026, 1, 1, 8, 0, tzinfo=paris)  # 07:00 UTC

    slot = due_slot(Cadence(per_day=4), now, None)

    assert slot == at(1, 12)
    assert slot.utcoffset() == timedelta(0)


# --- day helpers ---


def test_day_of_is_the_utc_date() -> None:
    assert day_of(at(23, 23, 59, month=11)) == "2026-11-23"
    late_in_new_york = datetime(2026, 11, 23, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert day_of(late_in_new_york) == "2026-11-24"


def test_next_midnight_is_the_start_of_the_next_utc_day() -> None:
    assert next_midnight(at(23, 13, 45, month=11)) == at(24, 0, month=11)
    assert next_midnight(at(31, 0, month=12, year=2025)) == at(1, 0)
    assert next_midnight(at(28, 12, month=2)) == at(1, 0, month=3)
