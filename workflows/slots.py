"""When the next posting slot is: pure functions of the cadence and the workflow clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.contracts import Cadence


def due_slot(cadence: Cadence, now: datetime, last_slot: datetime | None) -> datetime:
    """The slot the channel should fill next; a time at or before `now` is due at once.

    After downtime only the latest missed slot is returned, so a channel that was down for
    a day posts one catch-up reel rather than a burst. `slot_seconds` (demo) spaces slots
    from the last one and the first is immediate; `times` are UTC times of day; otherwise
    `per_day` slots are spread evenly from midnight UTC and the first waits for its slot.
    """
    if cadence.slot_seconds:
        if last_slot is None:
            return now
        return max(last_slot + timedelta(seconds=cadence.slot_seconds), now)
    slot = slot_after(cadence, last_slot if last_slot is not None else now)
    while slot < now:
        following = slot_after(cadence, slot)
        if following > now:
            break
        slot = following
    return slot


def slot_after(cadence: Cadence, moment: datetime) -> datetime:
    """The first slot of a daily schedule strictly after `moment`."""
    utc = moment.astimezone(UTC)
    day = datetime(utc.year, utc.month, utc.day, tzinfo=UTC)
    for offset in (0, 1):
        for slot in _slots_of_day(cadence, day + timedelta(days=offset)):
            if slot > utc:
                return slot
    raise AssertionError("a daily cadence always has a slot within two days")


def _slots_of_day(cadence: Cadence, day: datetime) -> list[datetime]:
    if cadence.times:
        slots = []
        for text in cadence.times:
            hours, minutes = (int(part) for part in text.split(":"))
            slots.append(day + timedelta(hours=hours, minutes=minutes))
        return sorted(slots)
    step = timedelta(days=1) / max(cadence.per_day, 1)
    return [day + step * i for i in range(cadence.per_day)]


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def next_midnight(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, utc.day, tzinfo=UTC) + timedelta(days=1)
