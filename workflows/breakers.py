"""Circuit breakers per visual source: a pure state machine, held by BackendHealthWorkflow.

    closed --N consecutive failures--> open --cool-down--> half-open --probe ok--> closed
                                         ^                     |
                                         +----probe failed-----+   (cool-down doubles, capped)

A success resets the count. In half-open exactly one reader is handed the probe; a probe
never reported back (its reel was killed) is handed out again after `probe_lease_s`.
Times are ISO strings so the state crosses Temporal's converter and continue-as-new as is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.contracts import BackendOutcome, Breaker, BreakerSettings, BreakerView

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


def _at(iso: str) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _open(breaker: Breaker, now: datetime, cooldown_s: float) -> None:
    breaker.state = OPEN
    breaker.cooldown_s = cooldown_s
    breaker.next_probe_at = (now + timedelta(seconds=cooldown_s)).isoformat()
    breaker.probe_granted_at = ""


def settle_time(breaker: Breaker, now: datetime) -> None:
    """Open turns half-open once its cool-down has passed."""
    probe_at = _at(breaker.next_probe_at)
    if breaker.state == OPEN and probe_at is not None and now >= probe_at:
        breaker.state = HALF_OPEN
        breaker.probe_granted_at = ""


def take(breaker: Breaker, now: datetime, settings: BreakerSettings) -> bool:
    """May one reader call the source now? In half-open, the first reader gets the probe."""
    settle_time(breaker, now)
    if breaker.state == CLOSED:
        return True
    if breaker.state == OPEN:
        return False
    granted = _at(breaker.probe_granted_at)
    if granted is None or now - granted >= timedelta(seconds=settings.probe_lease_s):
        breaker.probe_granted_at = now.isoformat()
        return True
    return False


def record(breaker: Breaker, outcome: BackendOutcome, now: datetime,
           settings: BreakerSettings) -> None:
    """Apply one call's outcome. Reports from reels that read the breaker before it opened
    still count: they are real calls to the provider."""
    settle_time(breaker, now)
    if outcome.ok:
        breaker.state = CLOSED
        breaker.failures = 0
        breaker.cooldown_s = 0.0
        breaker.next_probe_at = ""
        breaker.probe_granted_at = ""
        if outcome.usd:
            day = now.date().isoformat()
            spent = breaker.spend_by_day.get(day, 0.0) + outcome.usd
            breaker.spend_by_day = dict(sorted({**breaker.spend_by_day,
                                                day: round(spent, 6)}.items())[-7:])
        return
    breaker.failures += 1
    breaker.total_failures += 1
    breaker.last_error = outcome.error[:300]
    if breaker.state == HALF_OPEN:
        _open(breaker, now, min(max(breaker.cooldown_s, settings.cooldown_s) * 2,
                                settings.max_cooldown_s))
    elif breaker.state == CLOSED and breaker.failures >= settings.failures_to_open:
        _open(breaker, now, min(settings.cooldown_s, settings.max_cooldown_s))


def view(breaker: Breaker, now: datetime, allows: bool) -> BreakerView:
    return BreakerView(
        source=breaker.source,
        state=breaker.state,
        allows=allows,
        failures=breaker.failures,
        next_probe_at=breaker.next_probe_at,
        last_error=breaker.last_error,
        spend_today_usd=breaker.spend_by_day.get(now.date().isoformat(), 0.0),
    )
