"""The Instagram publisher against a loopback Instagram Graph API, through `requests`."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.publish import PublishActivities
from activities.publishers import reel_marker
from activities.publishers.instagram import InstagramPublisher
from tests.fakes.fixtures import NEVER_TWICE_ON_BOTH, World
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import Fault

REEL = "reel/demo/2026-11-23/1"


def activities(world: World) -> PublishActivities:
    publisher = InstagramPublisher(world.secrets, world.ledger, world.settings, poll_s=0.01)
    return PublishActivities(world.ledger, 0.0, {"instagram": publisher})


def publish(world: World, **changes: object):
    return activities(world).publish_to_platform(world.request("instagram", **changes))


def sha(world: World) -> str:
    return hashlib.sha256(world.video.read_bytes()).hexdigest()


def test_uploads_polls_and_publishes_a_reel_with_caption_and_marker(
        world: World, instagram_fake: FakeInstagram):
    pub = publish(world)
    media = instagram_fake.media[pub.external_id]
    assert pub.url == media["permalink"] and not pub.reused
    assert media["sha256"] == sha(world)
    form = media["form"]
    assert form["media_type"] == "REELS" and form["upload_type"] == "resumable"
    assert form["share_to_feed"] == "true"
    caption = media["caption"]
    assert caption.startswith("Octopuses have three hearts\n\nTwo small hearts")
    assert "#science #octopus" in caption
    assert caption.endswith(reel_marker(REEL))
    assert instagram_fake.count("GET", f"/v21.0/{next(iter(instagram_fake.containers))}") >= 2
    [row] = world.ledger.publications(REEL)
    assert (row.status, row.external_id) == ("published", pub.external_id)


def test_public_url_base_lets_instagram_fetch_the_file(world: World,
                                                       instagram_fake: FakeInstagram):
    req = world.request("instagram")
    req.instagram.video_url_base = "https://cdn.example.com/demo"
    pub = activities(world).publish_to_platform(req)
    form = instagram_fake.media[pub.external_id]["form"]
    assert form["video_url"] == "https://cdn.example.com/demo/demo-2026-11-23-1.mp4"
    assert form["cover_url"] == "https://cdn.example.com/demo/demo-2026-11-23-1.jpg"
    assert (world.video.parent / "out" / "demo-2026-11-23-1.mp4").read_bytes() == \
        world.video.read_bytes()
    assert instagram_fake.count("POST", "/ig-api-upload") == 0


@NEVER_TWICE_ON_BOTH
def test_connection_reset_mid_upload_resumes_from_the_bytes_received(
        world: World, instagram_fake: FakeInstagram):
    instagram_fake.faults.append(Fault("upload", "reset"))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "PlatformUnavailable" and not failed.value.non_retryable
    [container] = instagram_fake.containers.values()
    assert 0 < len(container.data) < world.video.stat().st_size
    pub = publish(world)
    assert len(instagram_fake.containers) == 1  # the same container, resumed
    assert instagram_fake.media[pub.external_id]["sha256"] == sha(world)


def test_server_error_is_retryable(world: World, instagram_fake: FakeInstagram):
    instagram_fake.faults.append(Fault("create", 500, "2"))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "PlatformUnavailable"
    assert publish(world).external_id in instagram_fake.media


def test_rate_limit_waits_as_long_as_the_usage_header_says(world: World,
                                                           instagram_fake: FakeInstagram):
    usage = {"17841400000000001": [{"type": "INSTAGRAM", "call_count": 100, "total_cputime": 20,
                                    "total_time": 30, "estimated_time_to_regain_access": 12}]}
    instagram_fake.faults.append(Fault("create", 400, "4", headers={
        "X-Business-Use-Case-Usage": json.dumps(usage)}))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "RateLimited"
    assert failed.value.next_retry_delay.total_seconds() == 12 * 60


def test_app_usage_near_the_ceiling_stops_before_posting(world: World,
                                                         instagram_fake: FakeInstagram):
    instagram_fake.usage_header = json.dumps({"call_count": 97, "total_time": 10,
                                              "total_cputime": 10})
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "RateLimited"
    assert instagram_fake.containers == {}


def test_publishing_limit_waits_instead_of_failing(world: World, instagram_fake: FakeInstagram):
    instagram_fake.limit = 1
    publish(world)
    with pytest.raises(ApplicationError) as failed:
        publish(world, reel_id="reel/demo/2026-11-23/2")
    assert failed.value.type == "QuotaExceeded" and not failed.value.non_retryable
    assert failed.value.next_retry_delay.total_seconds() == 3600
    assert len(instagram_fake.containers) == 1  # no container made for the second reel


def test_publish_refused_for_the_limit_also_waits(world: World, instagram_fake: FakeInstagram):
    instagram_fake.faults.append(Fault("publish", 400, "9:2207042"))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "QuotaExceeded"
    assert publish(world).external_id in instagram_fake.media  # after the wait, it goes on


def test_expired_token_fails_with_the_auth_command(world: World, instagram_fake: FakeInstagram):
    instagram_fake.token = "a-newer-token"
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "AuthFailed" and failed.value.non_retryable
    assert "monolathe auth instagram demo" in failed.value.message


def test_invalid_caption_is_not_retried(world: World, instagram_fake: FakeInstagram):
    instagram_fake.faults.append(Fault("create", 400, "100"))
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "PublishRejected" and failed.value.non_retryable
    assert "Invalid parameter" in failed.value.message


def test_processing_error_is_not_retried(world: World, instagram_fake: FakeInstagram):
    instagram_fake.fail_processing = "ERROR: The video format is not supported."
    with pytest.raises(ApplicationError) as failed:
        publish(world)
    assert failed.value.type == "PublishRejected" and failed.value.non_retryable
    assert "format is not supported" in failed.value.message
    assert instagram_fake.media == {}


@NEVER_TWICE_ON_BOTH
def test_crash_after_publish_finds_the_post_by_marker(world: World,
                                                      instagram_fake: FakeInstagram):
    # media_publish succeeds on Instagram and the answer is lost.
    instagram_fake.faults.append(Fault("publish", "commit-then-reset"))
    with pytest.raises(ApplicationError):
        publish(world)
    assert len(instagram_fake.media) == 1
    pub = publish(world)
    assert pub.reused and len(instagram_fake.media) == 1
    assert pub.external_id in instagram_fake.media
    assert instagram_fake.count("POST", "/ig-api-upload") == 1  # never uploaded twice


@NEVER_TWICE_ON_BOTH
def test_a_finished_container_is_published_without_uploading_again(
        world: World, instagram_fake: FakeInstagram):
    instagram_fake.faults.append(Fault("publish", 500, "2"))
    with pytest.raises(ApplicationError):
        publish(world)
    pub = publish(world)
    assert not pub.reused and len(instagram_fake.media) == 1
    assert instagram_fake.count("POST", "/ig-api-upload") == 1
    assert instagram_fake.count("POST", "/v21.0/17841400000000001/media_publish") == 2


def test_token_near_its_end_is_renewed_before_publishing(world: World,
                                                        instagram_fake: FakeInstagram):
    path = world.secrets.path("demo", "instagram")
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    world.secrets.save("demo", "instagram", {
        **json.loads(path.read_text()), "app_id": instagram_fake.app_id,
        "app_secret": instagram_fake.app_secret, "expires_at": soon})
    pub = publish(world)
    assert pub.external_id in instagram_fake.media
    saved = json.loads(path.read_text())
    assert instagram_fake.renewals == 1 and saved["access_token"] == instagram_fake.token
    assert saved["expires_at"] > soon
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
