"""The TikTok publisher against a loopback Content Posting API, through `requests`."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.publish import PublishActivities
from activities.publishers import reel_marker
from activities.publishers.tiktok import TikTokPublisher, chunk_plan, utf16_len
from activities.redact import redact
from tests.fakes.fixtures import CHANNEL, TIKTOK_MAX_CHUNK, TIKTOK_MIN_CHUNK, World
from tests.fakes.server import Fault
from tests.fakes.tiktok_api import FakeTikTok

REEL = "reel/demo/2026-11-23/1"


def publisher(world: World) -> TikTokPublisher:
    return TikTokPublisher(world.secrets, world.ledger, world.settings, poll_s=0.01,
                           min_chunk=TIKTOK_MIN_CHUNK, max_chunk=TIKTOK_MAX_CHUNK)


def publish(world: World, **options: object):
    req = world.request("tiktok")
    for key, value in options.items():
        setattr(req.tiktok, key, value)
    return PublishActivities(world.ledger, 0.0, {"tiktok": publisher(world)}
                             ).publish_to_platform(req)


def failure(world: World, **options: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as failed:
        publish(world, **options)
    return failed.value


def sha(world: World) -> str:
    return hashlib.sha256(world.video.read_bytes()).hexdigest()


def session(world: World) -> dict:
    raw = world.ledger.upload_session(REEL, "tiktok")
    return json.loads(raw) if raw else {}


def test_direct_post_uploads_in_chunks_and_polls_until_complete(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    pub = publish(tiktok_world)
    [post] = tiktok_fake.posts.values()
    assert post.status == "PUBLISH_COMPLETE" and post.sha256 == sha(tiktok_world)
    assert post.count >= 3 and post.chunks == post.count  # several chunks, all in order
    assert post.chunk_size == 2 * TIKTOK_MIN_CHUNK
    info = post.body["post_info"]
    assert info["privacy_level"] == "SELF_ONLY" and info["is_aigc"] is True
    assert info["title"].startswith("Octopuses have three hearts\n\nTwo small hearts")
    assert "#science #octopus" in info["title"] and info["title"].endswith(reel_marker(REEL))
    assert post.body["source_info"]["source"] == "FILE_UPLOAD"
    # A private post has no public id: the publish id stands for it.
    assert (pub.external_id, pub.url) == (post.publish_id, "")
    assert tiktok_fake.count("POST", "/v2/post/publish/creator_info/query/") == 1
    assert tiktok_fake.count("POST", "/v2/post/publish/status/fetch/") >= 2
    [row] = tiktok_world.ledger.publications(REEL)
    assert (row.status, row.external_id) == ("published", post.publish_id)


def test_audited_public_post_returns_its_public_url(tiktok_world: World,
                                                     tiktok_fake: FakeTikTok):
    tiktok_fake.audited = True
    pub = publish(tiktok_world, audited=True, privacy_level="PUBLIC_TO_EVERYONE")
    [post] = tiktok_fake.posts.values()
    assert pub.external_id == post.post_id
    assert pub.url == f"https://www.tiktok.com/@octofacts/video/{post.post_id}"


def test_unaudited_app_posting_publicly_fails_clean_with_the_audit_rule(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    error = failure(tiktok_world, audited=True, privacy_level="PUBLIC_TO_EVERYONE")
    assert error.type == "PublishRejected" and error.non_retryable
    assert "unaudited_client_can_only_post_to_private_accounts" in error.message
    assert "SELF_ONLY" in error.message and "audit" in error.message
    assert session(tiktok_world)["last_error"] == error.message  # recorded for the operator
    assert not tiktok_fake.posts


def test_privacy_level_the_creator_does_not_offer_is_bad_input_naming_the_field(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.privacy_options = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    error = failure(tiktok_world, audited=True, privacy_level="PUBLIC_TO_EVERYONE")
    assert error.type == "BadInput" and "tiktok.privacy_level" in error.message
    assert "FOLLOWER_OF_CREATOR" in error.message
    assert tiktok_fake.count("POST", "/v2/post/publish/video/init/") == 0


def test_reel_longer_than_the_creator_may_post_is_bad_input_naming_duration(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.max_duration = 2
    error = failure(tiktok_world)
    assert error.type == "BadInput" and "duration" in error.message
    assert "max_video_post_duration_sec" in error.message
    assert tiktok_fake.count("POST", "/v2/post/publish/video/init/") == 0


def test_interactions_the_creator_turned_off_stay_off_and_brand_flags_are_sent(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.creator_flags["comment_disabled"] = True
    tiktok_fake.audited = True
    publish(tiktok_world, audited=True, privacy_level="PUBLIC_TO_EVERYONE",
            disable_stitch=True, brand_content_toggle=True, brand_organic_toggle=True)
    info = next(iter(tiktok_fake.posts.values())).body["post_info"]
    assert (info["disable_comment"], info["disable_duet"], info["disable_stitch"]) == \
        (True, False, True)
    assert info["brand_content_toggle"] is True and info["brand_organic_toggle"] is True


def test_title_is_cut_to_2200_utf16_units_keeping_the_marker(tiktok_world: World,
                                                             tiktok_fake: FakeTikTok):
    req = tiktok_world.request("tiktok", description="🐙" * 1500)  # 2 units each
    title = TikTokPublisher.title(req)
    assert utf16_len(title) <= 2200 and len(title) < 2200 - 700
    assert title.endswith(reel_marker(REEL))
    publish_req = PublishActivities(tiktok_world.ledger, 0.0, {"tiktok": publisher(
        tiktok_world)})
    publish_req.publish_to_platform(req)
    assert next(iter(tiktok_fake.posts.values())).title == title


def test_inbox_mode_sends_a_draft_without_creator_info(tiktok_world: World,
                                                       tiktok_fake: FakeTikTok):
    pub = publish(tiktok_world, mode="inbox")
    [post] = tiktok_fake.posts.values()
    assert post.mode == "inbox" and post.status == "SEND_TO_USER_INBOX"
    assert "post_info" not in post.body and post.sha256 == sha(tiktok_world)
    assert tiktok_fake.count("POST", "/v2/post/publish/creator_info/query/") == 0
    assert pub.external_id == post.publish_id


def test_verified_url_base_lets_tiktok_pull_the_file(tiktok_world: World,
                                                     tiktok_fake: FakeTikTok):
    publish(tiktok_world, video_url_base="https://cdn.example.com/demo")
    [post] = tiktok_fake.posts.values()
    assert post.body["source_info"] == {
        "source": "PULL_FROM_URL",
        "video_url": "https://cdn.example.com/demo/demo-2026-11-23-1.mp4"}
    assert (tiktok_world.video.parent / "out" / "demo-2026-11-23-1.mp4").read_bytes() == \
        tiktok_world.video.read_bytes()
    assert tiktok_fake.count("PUT", "/upload/") == 0 and post.status == "PUBLISH_COMPLETE"


def test_init_rate_limit_waits_as_tiktok_says_then_posts_once(tiktok_world: World,
                                                              tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("init", 429, reason="rate_limit_exceeded", retry_after=42))
    error = failure(tiktok_world)
    assert error.type == "RateLimited" and error.next_retry_delay == timedelta(seconds=42)
    publish(tiktok_world)
    assert len(tiktok_fake.posts) == 1 and len(tiktok_fake.published()) == 1


def test_spam_risk_fails_clean_and_is_recorded(tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("init", 403, reason="spam_risk_too_many_posts"))
    error = failure(tiktok_world)
    assert error.type == "PublishRejected" and error.non_retryable
    assert "daily post cap" in error.message
    assert session(tiktok_world)["last_error"] == error.message


def test_server_error_is_retried_and_the_retry_posts_once(tiktok_world: World,
                                                          tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("creator", 503, reason="internal_error"))
    error = failure(tiktok_world)
    assert error.type == "PlatformUnavailable" and not error.non_retryable
    publish(tiktok_world)
    assert len(tiktok_fake.published()) == 1


def test_connection_reset_mid_upload_resumes_at_the_chunk_tiktok_lacks(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("upload", "reset"))  # half the first chunk, then RST
    first = failure(tiktok_world)
    assert first.type == "PlatformUnavailable"
    [post] = tiktok_fake.posts.values()
    assert post.chunks == 0 and session(tiktok_world)["publish_id"] == post.publish_id
    publish(tiktok_world)
    assert len(tiktok_fake.posts) == 1 and post.sha256 == sha(tiktok_world)
    assert post.status == "PUBLISH_COMPLETE"


def test_upload_resumes_after_some_chunks_arrived(tiktok_world: World, tiktok_fake: FakeTikTok):
    pub = publisher(tiktok_world)
    real_put = pub.http.put
    sent = []

    def put_then_die(url, **kwargs):  # the worker dies after the second chunk
        if len(sent) == 2:
            raise ConnectionResetError("worker killed")
        sent.append(kwargs["headers"]["Content-Range"])
        return real_put(url, **kwargs)

    pub.http.put = put_then_die  # type: ignore[method-assign]
    with pytest.raises(ConnectionResetError):
        pub.publish(tiktok_world.request("tiktok"), retrying=False)
    [post] = tiktok_fake.posts.values()
    assert post.chunks == 2 and session(tiktok_world)["state"] == "uploading"
    publish(tiktok_world)
    assert len(tiktok_fake.posts) == 1 and post.sha256 == sha(tiktok_world)
    assert tiktok_fake.count("PUT", "/upload/") == post.count  # no chunk sent twice


def test_expired_upload_url_starts_a_new_upload_and_posts_once(tiktok_world: World,
                                                              tiktok_fake: FakeTikTok):
    pub = publisher(tiktok_world)
    real_put = pub.http.put
    sent = []

    def put_then_die(url, **kwargs):  # the worker dies after the first chunk
        if sent:
            raise ConnectionResetError("worker killed")
        sent.append(url)
        return real_put(url, **kwargs)

    pub.http.put = put_then_die  # type: ignore[method-assign]
    with pytest.raises(ConnectionResetError):
        pub.publish(tiktok_world.request("tiktok"), retrying=False)
    [stale] = tiktok_fake.posts.values()
    tiktok_fake.expired.add(stale.publish_id)  # an hour later, the upload URL is gone
    publish(tiktok_world)
    assert len(tiktok_fake.posts) == 2 and stale.status == "PROCESSING_UPLOAD"
    [post] = tiktok_fake.published()
    assert post.sha256 == sha(tiktok_world) and post.publish_id != stale.publish_id


def test_lost_init_answer_of_a_file_upload_starts_again_and_posts_once(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("init", "commit-then-reset"))
    assert failure(tiktok_world).type == "PlatformUnavailable"
    assert session(tiktok_world)["state"] == "init"
    publish(tiktok_world)
    assert len(tiktok_fake.posts) == 2  # the orphan never gets a byte, so it never posts
    assert len(tiktok_fake.published()) == 1


def test_lost_init_answer_of_a_pull_stops_for_the_operator(tiktok_world: World,
                                                           tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("init", "commit-then-reset"))
    base = "https://cdn.example.com/demo"
    assert failure(tiktok_world, video_url_base=base).type == "PlatformUnavailable"
    error = failure(tiktok_world, video_url_base=base)
    assert error.type == "PublishRejected" and "may be posted" in error.message
    assert len(tiktok_fake.posts) == 1


def test_lost_status_after_the_upload_polls_the_same_post(tiktok_world: World,
                                                          tiktok_fake: FakeTikTok):
    tiktok_fake.faults.append(Fault("status", "reset"))
    assert failure(tiktok_world).type == "PlatformUnavailable"
    assert session(tiktok_world)["state"] == "uploaded"
    publish(tiktok_world)
    assert len(tiktok_fake.posts) == 1 and len(tiktok_fake.published()) == 1
    assert tiktok_fake.count("PUT", "/upload/") == next(iter(tiktok_fake.posts.values())).count


def test_failed_processing_is_rejected_with_the_fail_reason(tiktok_world: World,
                                                            tiktok_fake: FakeTikTok):
    tiktok_fake.fail_processing = "file_format_check_failed"
    error = failure(tiktok_world)
    assert error.type == "PublishRejected" and "file_format_check_failed" in error.message
    assert session(tiktok_world) == {"last_error": error.message}  # recorded, no post kept


def test_expiring_access_token_is_refreshed_and_saved_0600(tiktok_world: World,
                                                           tiktok_fake: FakeTikTok):
    data = tiktok_world.secrets.load(CHANNEL, "tiktok")
    data["expires_at"] = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    tiktok_world.secrets.save(CHANNEL, "tiktok", data)
    publish(tiktok_world)
    assert tiktok_fake.refreshes == 1
    saved = tiktok_world.secrets.load(CHANNEL, "tiktok")
    assert saved["access_token"] == tiktok_fake.token
    assert datetime.fromisoformat(saved["expires_at"]) > datetime.now(UTC) + timedelta(hours=23)
    path = tiktok_world.secrets.path(CHANNEL, "tiktok")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tiktok_fake.tokens_in_urls == 0


def test_revoked_access_token_is_refreshed_once_on_access_token_invalid(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.token = "act.rotated-elsewhere"
    publish(tiktok_world)
    assert tiktok_fake.refreshes == 1 and len(tiktok_fake.published()) == 1


def test_expired_refresh_token_is_one_clear_auth_error_without_secrets(
        tiktok_world: World, tiktok_fake: FakeTikTok):
    tiktok_fake.token = "act.rotated-elsewhere"
    tiktok_fake.refresh_expired = True
    error = failure(tiktok_world)
    assert error.type == "AuthFailed" and error.non_retryable
    assert "monolathe auth tiktok demo" in error.message
    for secret in (tiktok_fake.refresh_token, tiktok_fake.client_secret, "act.tiktok"):
        assert secret not in error.message


def test_refresh_token_past_its_end_fails_before_calling_tiktok(tiktok_world: World,
                                                               tiktok_fake: FakeTikTok):
    data = tiktok_world.secrets.load(CHANNEL, "tiktok")
    data["refresh_expires_at"] = "2026-01-01T00:00:00+00:00"
    tiktok_world.secrets.save(CHANNEL, "tiktok", data)
    error = failure(tiktok_world)
    assert error.type == "AuthFailed" and "expired on 2026-01-01" in error.message
    assert not tiktok_fake.requests


@pytest.mark.parametrize(("size", "chunk", "expect"), [
    (4 * 1024 * 1024, 10 * 1024 * 1024, (4 * 1024 * 1024, 1)),  # under 5 MB: whole
    (50_000_123, 10_000_000, (10_000_000, 5)),  # TikTok's example: the tail joins chunk 5
    (300 * 1024 * 1024, 100 * 1024 * 1024, (64 * 1024 * 1024, 4)),  # capped at 64 MB
])
def test_chunk_plan_follows_tiktoks_rules(size, chunk, expect):
    plan = chunk_plan(size, chunk)
    assert (plan.chunk_size, plan.count) == expect
    first, last = plan.chunk(plan.count - 1)
    assert last == size - 1 and last - first + 1 <= 128 * 1024 * 1024


def test_an_upload_url_in_an_error_text_is_redacted():
    text = ("HTTPSConnectionPool: Max retries exceeded with url: /video/?upload_id=67890"
            "&upload_token=Xk2-secret-upload-token (Caused by ...)")
    assert "Xk2-secret-upload-token" not in redact(text)
    assert "upload_id=67890" in redact(text)
