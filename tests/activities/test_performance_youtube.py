"""The YouTube performance fetch against the loopback Analytics and Data APIs, through
google-api-python-client: figures, deleted videos, scopes, tokens, quota and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.performance.youtube import ANALYTICS, METRICS
from activities.publishers.youtube import ANALYTICS_SCOPE, SCOPES, quota_day, seconds_to_reset
from tests.fakes.fixtures import YT_CLIENT
from tests.fakes.performance_fixtures import Reads
from tests.fakes.server import Fault
from tests.fakes.youtube_analytics_api import FakeYouTubeAnalytics
from workflows.contracts import PublishedReel

NOW = datetime.now(UTC)


def reels(*ids: str) -> list[PublishedReel]:
    return [PublishedReel(f"reel/demo/2026-11-23/{n}", "youtube", video_id,
                          (NOW - timedelta(hours=30)).isoformat())
            for n, video_id in enumerate(ids, 1)]


def failure(call) -> ApplicationError:  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as info:
        call()
    return info.value


def test_views_come_from_the_data_api_and_retention_from_analytics(
        reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.views = {"vid1": 1200, "vid2": 40}
    outcome = reads.youtube().fetch("demo", reels("vid1", "vid2", "gone"), NOW)
    first, second, gone = outcome.metrics
    assert (first.views, first.likes, first.comments, first.shares) == (1200, 60, 12, 24)
    assert (first.avg_view_percentage, first.avg_view_seconds, first.watch_minutes) == (
        55.5, 18.0, 360.0)
    assert first.subscribers_gained == 6 and not first.deleted
    assert second.views == 40
    assert gone.deleted and gone.views is None  # videos.list left it out
    assert first.raw["statistics"]["viewCount"] == "1200"
    day = quota_day(datetime.now(UTC))
    assert reads.ledger.quota_used("youtube", YT_CLIENT, day) == (1, False)
    assert reads.ledger.quota_used(METRICS, YT_CLIENT, day) == (1, False)
    assert reads.ledger.quota_used(ANALYTICS, YT_CLIENT, day) == (1, False)


def test_a_token_granted_without_the_analytics_scope_asks_to_rerun_auth(
        reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    info = reads.secrets.load("demo", "youtube")
    reads.secrets.save("demo", "youtube", {**info, "scopes": SCOPES})
    error = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert error.type == "AuthFailed" and error.non_retryable
    assert ANALYTICS_SCOPE in str(error) and "re-run `monolathe auth youtube demo`" in str(error)
    assert yt_reads.requests == []  # told before any call


def test_the_api_refusing_the_token_s_scopes_asks_to_rerun_auth(
        reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.views = {"vid1": 5}
    yt_reads.granted["refresh-1"] = {"https://www.googleapis.com/auth/youtube.upload"}
    error = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert error.type == "AuthFailed"
    assert "re-run `monolathe auth youtube demo`" in str(error)


def test_a_revoked_token_asks_to_rerun_auth(reads: Reads,
                                            yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.refresh_tokens.clear()
    error = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert error.type == "AuthFailed" and "re-run `monolathe auth youtube demo`" in str(error)


def test_an_access_token_expiring_mid_fetch_is_refreshed(
        reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.views = {"vid1": 77}
    yt_reads.faults.append(Fault("analytics", 401))
    outcome = reads.youtube().fetch("demo", reels("vid1"), NOW)
    assert outcome.metrics[0].views == 77 and yt_reads.refreshes == 2


def test_analytics_quota_exceeded_waits_for_the_reset_and_is_remembered(
        reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.views = {"vid1": 77}
    yt_reads.analytics_quota = 0
    error = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert error.type == "QuotaExceeded" and error.next_retry_delay is not None
    wait = error.next_retry_delay.total_seconds()
    assert abs(wait - seconds_to_reset(datetime.now(UTC))) < 60
    assert reads.ledger.quota_used(ANALYTICS, YT_CLIENT, quota_day(datetime.now(UTC)))[1]
    calls = yt_reads.count("GET", "/v2/reports")
    again = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert again.type == "QuotaExceeded"
    assert yt_reads.count("GET", "/v2/reports") == calls  # no call into a spent quota


def test_the_fetches_never_spend_past_their_share_of_the_upload_quota(
        reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.views = {"vid1": 1}
    fetcher = reads.youtube(youtube_metrics_quota_units=1)
    fetcher.fetch("demo", reels("vid1"), NOW)
    error = failure(lambda: fetcher.fetch("demo", reels("vid1"), NOW))
    assert error.type == "QuotaExceeded" and "performance fetches" in str(error)
    assert yt_reads.statistics_calls == 1


def test_rate_limits_wait_as_long_as_youtube_asks(reads: Reads,
                                                  yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.faults.append(Fault("statistics", 429, "rateLimitExceeded", retry_after=30))
    error = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert error.type == "RateLimited"
    assert error.next_retry_delay == timedelta(seconds=30)


def test_a_server_error_is_retryable(reads: Reads, yt_reads: FakeYouTubeAnalytics) -> None:
    yt_reads.faults.append(Fault("statistics", 503, "backendError"))
    error = failure(lambda: reads.youtube().fetch("demo", reels("vid1"), NOW))
    assert error.type == "PlatformUnavailable" and not error.non_retryable
