"""The Instagram performance fetch against the loopback Graph insights, through requests:
figures, retired metrics skipped, deleted and too-new reels, tokens and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.performance_fixtures import Reads
from tests.fakes.server import Fault
from workflows.contracts import PublishedReel

NOW = datetime.now(UTC)


def reels(*ids: str) -> list[PublishedReel]:
    return [PublishedReel(f"reel/demo/2026-11-23/{n}", "instagram", media_id,
                          (NOW - timedelta(hours=5)).isoformat())
            for n, media_id in enumerate(ids, 1)]


def test_insights_become_typed_figures(reads: Reads, ig_reads: FakeInstagramInsights) -> None:
    ig_reads.views = {"m1": 2000}
    [m] = reads.instagram().fetch("demo", reels("m1"), NOW).metrics
    assert (m.views, m.reach, m.saves, m.shares, m.comments, m.likes) == (
        2000, 1600, 50, 40, 20, 100)
    assert m.avg_view_seconds == 9.5
    assert m.watch_minutes == pytest.approx(2000 * 9.5 / 60)
    assert m.avg_view_percentage is None  # Instagram has no such figure
    assert {item["name"] for item in m.raw["insights"]} >= {"views", "reach"}


def test_a_retired_metric_is_skipped_and_the_rest_still_arrive(
        reads: Reads, ig_reads: FakeInstagramInsights) -> None:
    ig_reads.views = {"m1": 300, "m2": 10}
    ig_reads.retired.add("ig_reels_video_view_total_time")
    fetcher = reads.instagram()
    outcome = fetcher.fetch("demo", reels("m1", "m2"), NOW)
    assert outcome.skipped_metrics == ["ig_reels_video_view_total_time"]
    first, second = outcome.metrics
    assert (first.views, first.watch_minutes, second.views) == (300, None, 10)
    assert ig_reads.insights_calls == 3  # one refused, then one per reel: learnt once


def test_a_deleted_reel_and_one_too_new_for_insights(
        reads: Reads, ig_reads: FakeInstagramInsights) -> None:
    ig_reads.views = {"m2": 5}
    ig_reads.too_new.add("m2")
    gone, young = reads.instagram().fetch("demo", reels("m1", "m2"), NOW).metrics
    assert gone.deleted and gone.views is None
    assert not young.deleted and young.views is None and "Not enough viewers" in \
        young.raw["error"]


def test_an_expired_token_asks_to_rerun_auth(reads: Reads,
                                             ig_reads: FakeInstagramInsights) -> None:
    ig_reads.token = "a-newer-one"
    with pytest.raises(ApplicationError) as info:
        reads.instagram().fetch("demo", reels("m1"), NOW)
    assert info.value.type == "AuthFailed"
    assert "re-run `monolathe auth instagram demo`" in str(info.value)


def test_the_rate_limit_waits_for_the_usage_window(reads: Reads,
                                                   ig_reads: FakeInstagramInsights) -> None:
    ig_reads.views = {"m1": 5}
    ig_reads.faults.append(Fault("insights", 400, "4", headers={
        "X-App-Usage": '{"call_count": 100, "estimated_time_to_regain_access": 7}'}))
    with pytest.raises(ApplicationError) as info:
        reads.instagram().fetch("demo", reels("m1"), NOW)
    assert info.value.type == "RateLimited"
    assert info.value.next_retry_delay == timedelta(minutes=7)
