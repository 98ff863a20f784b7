"""The TikTok performance fetch against the loopback Display API (video.query), through the
publisher's requests session: figures in the ledger, batches of 20, the video.list scope, a
refreshed token, deleted and private posts, the rate limit's wait."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.ledger_tables import PublicationRow, ReelRow
from activities.performance import store
from activities.performance.activities import PerformanceActivities
from activities.publish import PublishActivities
from activities.publishers.tiktok import TikTokPublisher
from tests.fakes.fixtures import CHANNEL, TIKTOK_MAX_CHUNK, TIKTOK_MIN_CHUNK, World
from tests.fakes.performance_fixtures import Reads
from tests.fakes.server import Fault
from tests.fakes.tiktok_api import FakeTikTok
from workflows.contracts import FetchPerformanceRequest, PublishedReel

NOW = datetime.now(UTC)


def reels(*ids: str) -> list[PublishedReel]:
    return [PublishedReel(f"reel/demo/2026-11-23/{n}", "tiktok", video_id,
                          (NOW - timedelta(hours=5)).isoformat())
            for n, video_id in enumerate(ids, 1)]


def counts(views: int) -> dict[str, int]:
    return {"view_count": views, "like_count": views // 20, "comment_count": views // 100,
            "share_count": views // 50}


def fetch_into_ledger(reads: Reads, batch: list[PublishedReel]):
    acts = PerformanceActivities(reads.ledger, {"tiktok": reads.tiktok()})
    return acts.fetch_performance(FetchPerformanceRequest(CHANNEL, "tiktok", batch,
                                                          NOW.isoformat()))


def failure(reads: Reads, batch: list[PublishedReel]) -> ApplicationError:
    with pytest.raises(ApplicationError) as failed:
        reads.tiktok().fetch(CHANNEL, batch, NOW)
    return failed.value


def test_figures_become_tiktok_rows_in_the_ledger(reads: Reads, tt_reads: FakeTikTok) -> None:
    tt_reads.videos = {"7300000000000000001": counts(2000)}
    [reel] = reels("7300000000000000001")
    result = fetch_into_ledger(reads, [reel])
    assert result.fetched == [reel.reel_id] and result.deleted == []
    [row] = store.curve(reads.ledger, reel.reel_id)
    assert (row.platform, row.status, row.external_id) == ("tiktok", "ok",
                                                           "7300000000000000001")
    assert (row.views, row.likes, row.comments, row.shares) == (2000, 100, 20, 40)
    # TikTok's video.query has no watch time, retention, saves or reach: left empty.
    assert (row.avg_view_percentage, row.avg_view_seconds, row.watch_minutes, row.saves,
            row.reach) == (None, None, None, None, None)
    assert json.loads(row.raw_json)["video"]["view_count"] == 2000


def test_ids_go_twenty_to_a_call(reads: Reads, tt_reads: FakeTikTok) -> None:
    ids = [str(7300000000000000100 + n) for n in range(25)]
    tt_reads.videos = {i: counts(n * 10) for n, i in enumerate(ids)}
    metrics = reads.tiktok().fetch(CHANNEL, reels(*ids), NOW).metrics
    assert [len(q) for q in tt_reads.queries] == [20, 5]
    assert [m.views for m in metrics] == [n * 10 for n in range(25)]


def test_a_token_without_video_list_asks_to_rerun_auth(reads: Reads,
                                                       tt_reads: FakeTikTok) -> None:
    info = reads.secrets.load(CHANNEL, "tiktok")
    reads.secrets.save(CHANNEL, "tiktok", {**info, "scope": "video.publish,video.upload"})
    failed = failure(reads, reels("7300000000000000001"))
    assert failed.type == "AuthFailed" and failed.non_retryable
    assert "without video.list" in failed.message
    assert "re-run `monolathe auth tiktok demo`" in failed.message
    assert tt_reads.queries == []  # known from the token file: TikTok is not asked


def test_tiktok_refusing_the_scope_asks_to_rerun_auth(reads: Reads,
                                                      tt_reads: FakeTikTok) -> None:
    info = reads.secrets.load(CHANNEL, "tiktok")
    info.pop("scope")  # a token file that never listed its scopes
    reads.secrets.save(CHANNEL, "tiktok", info)
    tt_reads.scopes.discard("video.list")
    failed = failure(reads, reels("7300000000000000001"))
    assert failed.type == "AuthFailed"
    assert "re-run `monolathe auth tiktok demo`" in failed.message


def test_an_expired_token_is_refreshed_before_the_query(reads: Reads,
                                                        tt_reads: FakeTikTok) -> None:
    tt_reads.videos = {"7300000000000000001": counts(500)}
    info = reads.secrets.load(CHANNEL, "tiktok")
    stale = info["access_token"]
    reads.secrets.save(CHANNEL, "tiktok", {
        **info, "expires_at": (NOW - timedelta(hours=1)).isoformat(timespec="seconds")})
    [m] = reads.tiktok().fetch(CHANNEL, reels("7300000000000000001"), NOW).metrics
    assert m.views == 500 and tt_reads.refreshes == 1
    saved = reads.secrets.load(CHANNEL, "tiktok")
    assert saved["access_token"] == tt_reads.token != stale
    assert datetime.fromisoformat(saved["expires_at"]) > NOW


def test_a_token_tiktok_calls_invalid_is_refreshed_once(reads: Reads,
                                                        tt_reads: FakeTikTok) -> None:
    tt_reads.videos = {"7300000000000000001": counts(500)}
    tt_reads.token = "act.revoked-by-a-new-login"  # the file's token is no longer TikTok's
    [m] = reads.tiktok().fetch(CHANNEL, reels("7300000000000000001"), NOW).metrics
    assert m.views == 500 and tt_reads.refreshes == 1


def test_a_refused_refresh_asks_to_rerun_auth(reads: Reads, tt_reads: FakeTikTok) -> None:
    tt_reads.token, tt_reads.refresh_expired = "act.revoked-by-a-new-login", True
    failed = failure(reads, reels("7300000000000000001"))
    assert failed.type == "AuthFailed" and "monolathe auth tiktok demo" in failed.message


def test_a_video_gone_from_tiktok_is_deleted_once(reads: Reads, tt_reads: FakeTikTok) -> None:
    tt_reads.videos = {"7300000000000000002": counts(40)}
    gone, kept = reels("7300000000000000001", "7300000000000000002")
    with reads.ledger.session() as s:
        for reel in (gone, kept):
            s.add(ReelRow(id=reel.reel_id, channel=CHANNEL, day="2026-11-23", topic="t",
                          title="T", status="published"))
            s.add(PublicationRow(reel_id=reel.reel_id, platform="tiktok",
                                 status="published", external_id=reel.external_id,
                                 published_at=datetime.fromisoformat(reel.published_at)))
    listed = store.published_reels(reads.ledger, CHANNEL, NOW, 24)
    result = fetch_into_ledger(reads, listed)
    assert result.deleted == [gone.reel_id]
    [row] = store.curve(reads.ledger, gone.reel_id)
    assert row.status == "deleted" and row.views is None
    assert [r.reel_id for r in store.published_reels(reads.ledger, CHANNEL, NOW, 24)] == [
        kept.reel_id]


def test_the_rate_limit_waits_as_tiktok_asks(reads: Reads, tt_reads: FakeTikTok) -> None:
    tt_reads.faults.append(Fault("query", 429, reason="rate_limit_exceeded", retry_after=42))
    failed = failure(reads, reels("7300000000000000001"))
    assert failed.type == "RateLimited" and not failed.non_retryable
    assert failed.next_retry_delay == timedelta(seconds=42)
    tt_reads.faults.append(Fault("query", 429, reason="rate_limit_exceeded"))
    assert failure(reads, reels("7300000000000000001")).next_retry_delay == timedelta(
        seconds=60)  # no Retry-After: the publisher's minute


def test_a_server_error_is_retried(reads: Reads, tt_reads: FakeTikTok) -> None:
    tt_reads.faults.append(Fault("query", 500, reason="internal_error"))
    failed = failure(reads, reels("7300000000000000001"))
    assert failed.type == "PlatformUnavailable" and not failed.non_retryable


def publish_reel(world: World, tiktok_fake: FakeTikTok, n: int, privacy: str) -> str:
    """Post reel n through the real publisher; the reel id, with its ReelRow beside it."""
    reel_id = f"reel/demo/2026-11-23/{n}"
    with world.ledger.session() as s:
        s.add(ReelRow(id=reel_id, channel=CHANNEL, day="2026-11-23", topic="t", title="T",
                      status="published"))
    req = world.request("tiktok", reel_id=reel_id)
    req.tiktok.privacy_level = privacy
    publisher = TikTokPublisher(world.secrets, world.ledger, world.settings, poll_s=0.01,
                                min_chunk=TIKTOK_MIN_CHUNK, max_chunk=TIKTOK_MAX_CHUNK)
    PublishActivities(world.ledger, 0.0, {"tiktok": publisher}).publish_to_platform(req)
    return reel_id


def test_what_the_publisher_records_is_what_the_fetcher_reads(
        tiktok_world: World, tiktok_fake: FakeTikTok) -> None:
    from activities.performance.tiktok import TikTokFetcher

    tiktok_fake.audited = True
    public = publish_reel(tiktok_world, tiktok_fake, 1, "PUBLIC_TO_EVERYONE")
    private = publish_reel(tiktok_world, tiktok_fake, 2, "SELF_ONLY")
    [post_id] = tiktok_fake.videos
    tiktok_fake.videos[post_id] = counts(900)
    listed = {r.reel_id: r for r in store.published_reels(tiktok_world.ledger, CHANNEL,
                                                          datetime.now(UTC), 24)}
    assert listed[public].external_id == post_id  # the public post id, from status/fetch
    assert listed[private].external_id.startswith("v_pub_")  # no post id: the publish_id
    fetcher = TikTokFetcher(tiktok_world.secrets, tiktok_world.ledger, tiktok_world.settings)
    by_reel = {m.reel_id: m for m in fetcher.fetch(CHANNEL, list(listed.values()),
                                                   datetime.now(UTC)).metrics}
    assert by_reel[public].views == 900
    quiet = by_reel[private]
    assert not quiet.deleted and quiet.views is None and "SELF_ONLY" in quiet.raw["error"]
    assert tiktok_fake.queries == [[post_id]]  # a private post is never asked for


def test_a_post_id_that_appears_later_is_learnt_from_the_status(
        reads: Reads, tt_reads: FakeTikTok) -> None:
    """An inbox draft the creator posted publicly: the status names its post id now."""
    from tests.fakes.tiktok_api import Post

    tt_reads.posts["v_pub_file~v2-1.9"] = Post("v_pub_file~v2-1.9", "inbox", {},
                                               status="PUBLISH_COMPLETE",
                                               post_id="7300000000000000009")
    tt_reads.videos = {"7300000000000000009": counts(300)}
    fetcher = reads.tiktok()
    for _ in range(2):
        [m] = fetcher.fetch(CHANNEL, reels("v_pub_file~v2-1.9"), NOW).metrics
        assert (m.views, m.external_id) == (300, "7300000000000000009")
    assert fetcher.post_ids == {"v_pub_file~v2-1.9": "7300000000000000009"}
