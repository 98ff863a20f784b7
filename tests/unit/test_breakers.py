"""The circuit breaker state machine, without Temporal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.breakers import record, take, view
from workflows.contracts import BackendOutcome, Breaker, BreakerSettings

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SETTINGS = BreakerSettings(failures_to_open=3, cooldown_s=60, max_cooldown_s=200,
                           probe_lease_s=600)
FAIL = BackendOutcome("veo", ok=False, error="ProviderUnavailable: 503")
OK = BackendOutcome("veo", ok=True, usd=0.6)


def _failures(breaker: Breaker, n: int, at: datetime = T0) -> None:
    for _ in range(n):
        record(breaker, FAIL, at, SETTINGS)


def test_opens_after_consecutive_failures_and_a_success_resets_the_count():
    breaker = Breaker("veo")
    _failures(breaker, 2)
    record(breaker, OK, T0, SETTINGS)
    _failures(breaker, 2)
    assert breaker.state == "closed" and take(breaker, T0, SETTINGS)
    _failures(breaker, 1)
    assert breaker.state == "open"
    assert not take(breaker, T0 + timedelta(seconds=59), SETTINGS)
    assert breaker.next_probe_at == (T0 + timedelta(seconds=60)).isoformat()


def test_one_probe_after_the_cooldown_closes_it_on_success():
    breaker = Breaker("veo")
    _failures(breaker, 3)
    later = T0 + timedelta(seconds=61)
    assert take(breaker, later, SETTINGS)  # the probe
    assert breaker.state == "half-open"
    assert not take(breaker, later, SETTINGS)  # only one
    record(breaker, OK, later, SETTINGS)
    assert breaker.state == "closed" and breaker.failures == 0
    assert view(breaker, later, True).spend_today_usd == 0.6


def test_failed_probe_reopens_with_a_doubled_capped_cooldown():
    breaker = Breaker("veo")
    _failures(breaker, 3)
    at = T0
    for expected in (120, 200, 200):
        at = at + timedelta(seconds=breaker.cooldown_s + 1)
        assert take(breaker, at, SETTINGS)
        record(breaker, FAIL, at, SETTINGS)
        assert breaker.state == "open" and breaker.cooldown_s == expected


def test_a_probe_never_reported_is_handed_out_again_after_its_lease():
    breaker = Breaker("veo")
    _failures(breaker, 3)
    probe_at = T0 + timedelta(seconds=61)
    assert take(breaker, probe_at, SETTINGS)
    assert not take(breaker, probe_at + timedelta(seconds=599), SETTINGS)
    assert take(breaker, probe_at + timedelta(seconds=600), SETTINGS)
