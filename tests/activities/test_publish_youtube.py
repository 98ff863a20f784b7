"""The YouTube publisher against a loopback YouTube Data API, through the real client."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime

import pytest
from temporalio.exceptions import ApplicationError

from activities.publish import PublishActivities
from activities.publishers import reel_marker
from activities.publishers.youtube import INSERT_UNITS, THUMBNAIL_UNITS, YouTubePublisher, quota_day
from tests.fakes.fixtures import CHUNK, NEVER_TWICE_ON_BOTH, World
from tests.fakes.server import Fault
from tests.fakes.youtube_api import FakeYouTube

REEL = "reel/demo/2026-11-23/1"


def activities(world: World) -> PublishActivities:
    publisher = YouTubePublisher(world.secrets, world.ledger, world.settings, chunk_bytes=CHUNK)
    return PublishActivities(world.ledger, 0.0, {"youtube": publisher})


def publish(world: World, **changes: object):
    return activities(world).publish_to_platform(world.request("youtube", **changes))


def sha(world: World) -> str:
    return hashlib.sha256(world.video.read_bytes()).hexdigest()


def test_uploads_in_chunks_with_explicit_metadata(world: World, youtube_fake: FakeYouTube):
    pub = publish(world)
    assert pub.platform == "youtube" and not pub.reused
    assert pub.url == f"https://youtube.com/shorts/{pub.external_id}"
    video = youtube_fake.videos[pub.external_id]
    assert video["sha256"] == sha(world)  # every byte arrived, in order
    assert youtube_fake.count("PUT", "/upload/youtube/v3/videos") == 3  # three chunks
    snippet, status = video["snippet"], video["status"]
    assert snippet["title"] == "Octopuses have three hearts"
    assert snippet["tags"] == ["science", "octopus", reel_marker(REEL)]
    assert "#Shorts" in snippet["description"]
    assert snippet["defaultLanguage"] == "en" and snippet["categoryId"] == "28"
    assert status["selfDeclaredMadeForKids"] is False  # sent explicitly, not omitted
    assert status["containsSyntheticMedia"] is True
    assert youtube_fake.thumbnails == {pub.external_id: 1}
    assert world.ledger.quota_used("youtube", "client-1.apps.googleusercontent.com",
                                   quota_day(datetime.now(UTC))) == (
        INSERT_UNITS + THUMBNAIL_UNITS, False)
    [row] = world.ledger.publications(REEL)
    assert (row.status, row.external_id) == ("published", pub.external_id)


def test_refreshed_token_is_saved_back_with_mode_0600(world: World, youtube_fake: FakeYouTube):
    publish(world)
    path = world.secrets.path("demo", "youtube")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == "access-1"
    assert youtube_fake.refreshes == 1


def test_scheduled_upload_is_private_with_publish_at(world: World, youtube_fake: FakeYouTube):
    pub = publish(world, publish_at="2026-11-24T18:00:00Z")
    status = youtube_fake.videos[pub.external_id]["status"]
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == "2026-11-24T18:00:00Z"


@NEVER_TWICE_ON_BOTH
def test_a_second_call_returns_the_ledger_row_without_calling_youtube(
        world: World, youtube_fake: FakeYouTube):
    first = publish(world)
    calls = len(youtube_fake.requests)
    again = publish(world)
    assert again.reused and again.external_id == first.external_id
    assert len(youtube_fake.requests) == calls


@NEVER_TWICE_ON_BOTH
def test_connection_reset_mid_chunk_resumes_the_same_session(
        world: World, youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("chunk", "reset", times=2))  # httplib2 may retry once
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    youtube_fake.faults.clear()  # the network is back
    assert failed.value.type == "PlatformUnavailable" and not failed.value.non_retryable
    session = world.ledger.upload_session(REEL, "youtube")
    assert "upload_id=" in session  # kept before the first byte went out
    pub = publish(world)  # the retry
    assert youtube_fake.count("POST", "/upload/youtube/v3/videos") == 1  # one session only
    assert len(youtube_fake.videos) == 1
    assert youtube_fake.videos[pub.external_id]["sha256"] == sha(world)


def test_server_error_on_a_chunk_is_retryable_and_resumes(
        world: World, youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("chunk", 503, "backendError"))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "PlatformUnavailable"
    publish(world)
    # The retry asked the session where it stood (bytes */N) and sent only what was missing.
    assert youtube_fake.count("POST", "/upload/youtube/v3/videos") == 1
    assert len(youtube_fake.videos) == 1


def test_expired_token_is_refreshed_and_the_call_retried(
        world: World, youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("initiate", 401))
    pub = publish(world)
    assert youtube_fake.refreshes == 2  # the first token, then the one after the 401
    assert pub.external_id in youtube_fake.videos


def test_revoked_refresh_token_fails_with_the_auth_command(
        world: World, youtube_fake: FakeYouTube):
    youtube_fake.refresh_tokens.clear()
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "AuthFailed" and failed.value.non_retryable
    assert "monolathe auth youtube demo" in failed.value.message


def test_quota_exceeded_waits_for_the_pacific_midnight_reset(
        world: World, youtube_fake: FakeYouTube):
    youtube_fake.quota_used = youtube_fake.quota_limit
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    error = failed.value
    assert error.type == "QuotaExceeded" and not error.non_retryable
    assert error.next_retry_delay is not None
    assert 120 <= error.next_retry_delay.total_seconds() <= 24 * 3600 + 120
    # Until the reset, a retry does not spend a call on YouTube to learn the same thing.
    posts = youtube_fake.count("POST", "/upload/youtube/v3/videos")
    with pytest.raises(ApplicationError) as again:
        publish(world)
    assert again.value.type == "QuotaExceeded"
    assert youtube_fake.count("POST", "/upload/youtube/v3/videos") == posts


def test_our_own_quota_count_stops_before_youtube_refuses(world: World,
                                                        youtube_fake: FakeYouTube):
    day = quota_day(datetime.now(UTC))
    world.ledger.spend_quota("youtube", "client-1.apps.googleusercontent.com", day,
                             10_000 - INSERT_UNITS + 1)
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "QuotaExceeded"
    assert youtube_fake.count("POST", "/upload/youtube/v3/videos") == 0


def test_rate_limit_429_retries_after_the_servers_delay(world: World,
                                                        youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("initiate", 429, "rateLimitExceeded", retry_after=7))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "RateLimited"
    assert failed.value.next_retry_delay.total_seconds() == 7


def test_invalid_metadata_is_not_retried_and_names_the_reason(world: World,
                                                              youtube_fake: FakeYouTube):
    req = world.request("youtube")
    req.youtube.category_id = "99"
    with pytest.raises(ApplicationError) as failed:
        activities(world).publish_to_platform(req)
    assert failed.value.type == "PublishRejected" and failed.value.non_retryable
    assert "invalidCategoryId" in failed.value.message
    assert youtube_fake.videos == {}


@NEVER_TWICE_ON_BOTH
def test_crash_after_upload_resumes_to_the_finished_video(world: World,
                                                          youtube_fake: FakeYouTube):
    # YouTube stores the last chunk, and the answer never comes back (every try).
    youtube_fake.faults.append(Fault("final-chunk", "commit-then-reset", times=2))
    with pytest.raises(ApplicationError):
        publish(world)
    assert len(youtube_fake.videos) == 1  # the platform succeeded; our record did not
    pub = publish(world)
    assert len(youtube_fake.videos) == 1
    assert pub.external_id in youtube_fake.videos
    assert world.ledger.publications(REEL)[0].external_id == pub.external_id


@NEVER_TWICE_ON_BOTH
def test_crash_after_upload_with_the_session_gone_finds_the_video_by_marker(
        world: World, youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("final-chunk", "commit-then-reset", times=2))
    with pytest.raises(ApplicationError):
        publish(world)
    youtube_fake.sessions.clear()  # sessions expire; the video stays
    pub = publish(world)
    assert pub.reused
    assert len(youtube_fake.videos) == 1 and pub.external_id in youtube_fake.videos
    assert youtube_fake.count("GET", "/youtube/v3/playlistItems") == 1


def test_missing_token_names_the_file_and_the_command(world: World):
    world.secrets.path("demo", "youtube").unlink()
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "BadInput" and failed.value.non_retryable
    assert "youtube.json" in failed.value.message
    assert "monolathe auth youtube demo" in failed.value.message


def test_token_readable_by_others_is_refused(world: World):
    world.secrets.path("demo", "youtube").chmod(0o644)
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert "chmod 600" in failed.value.message


def test_refused_thumbnail_leaves_the_video_published(world: World, youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("thumbnail", 403, "forbidden"))  # unverified channel
    pub = publish(world)
    assert pub.external_id in youtube_fake.videos and youtube_fake.thumbnails == {}
    assert world.ledger.publications(REEL)[0].status == "published"


def test_failed_status_query_is_retried_and_then_resumes(world: World,
                                                         youtube_fake: FakeYouTube):
    youtube_fake.faults.append(Fault("chunk", 500, "backendError"))
    with pytest.raises(ApplicationError):
        publish(world)
    youtube_fake.faults.append(Fault("status", 503, "backendError"))
    with pytest.raises(ApplicationError) as failed:
        publish(world)  # could not learn where the session stands: retry, do not restart
    assert failed.value.type == "PlatformUnavailable"
    pub = publish(world)
    assert youtube_fake.count("POST", "/upload/youtube/v3/videos") == 1
    assert youtube_fake.videos[pub.external_id]["sha256"] == sha(world)
