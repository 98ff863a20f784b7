"""The fetch cadence: hourly while young, daily, weekly, then never; configurable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.contracts import PerformanceCadence, PublishedReel
from workflows.performance_cadence import due_reels, interval, is_due

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
DEFAULT = PerformanceCadence()


def test_the_interval_grows_with_age_and_stops_at_ninety_days() -> None:
    assert interval(-H, DEFAULT) is None
    assert interval(0 * H, DEFAULT) == H
    assert interval(47.9 * H, DEFAULT) == H
    assert interval(48 * H, DEFAULT) == 24 * H
    assert interval(27 * 24 * H, DEFAULT) == 24 * H
    assert interval(28 * 24 * H, DEFAULT) == 7 * 24 * H
    assert interval(89 * 24 * H, DEFAULT) == 7 * 24 * H
    assert interval(90 * 24 * H, DEFAULT) is None


def test_a_reel_never_fetched_is_due_and_a_fresh_fetch_is_not() -> None:
    now = T0 + 3 * H
    assert is_due(T0, None, now, DEFAULT)
    assert not is_due(T0, now - 30 * timedelta(minutes=1), now, DEFAULT)
    assert is_due(T0, now - H, now, DEFAULT)


def test_an_hourly_run_a_little_early_still_counts_as_an_hour() -> None:
    now = T0 + 5 * H
    assert is_due(T0, now - H + timedelta(seconds=20), now, DEFAULT)
    assert not is_due(T0, now - H + timedelta(minutes=10), now, DEFAULT)


def test_a_three_day_old_reel_waits_a_day_between_fetches() -> None:
    now = T0 + 72 * H
    assert not is_due(T0, now - 12 * H, now, DEFAULT)
    assert is_due(T0, now - 24 * H, now, DEFAULT)


def test_the_cadence_is_configurable() -> None:
    brisk = PerformanceCadence(hourly_until_h=6, daily_until_h=48, weekly_until_h=72)
    now = T0 + 10 * H
    assert not is_due(T0, now - 2 * H, now, brisk)  # past 6 h: daily
    assert not is_due(T0, None, T0 + 73 * H, brisk)  # past the last fetch


def test_due_reels_reads_iso_times_and_keeps_only_the_due() -> None:
    now = T0 + 100 * H
    reels = [
        PublishedReel("a", "youtube", "v1", T0.isoformat(), (now - 25 * H).isoformat()),
        PublishedReel("b", "youtube", "v2", T0.isoformat(), (now - 2 * H).isoformat()),
        PublishedReel("c", "instagram", "m3", (now - 2 * H).isoformat(), ""),
    ]
    assert [r.reel_id for r in due_reels(reels, now, DEFAULT)] == ["a", "c"]
