"""Platform tokens and provider keys never reach an error message or a log line.

A failure's message is recorded in Temporal history as plain text (the payload codec only
encrypts payloads), shown by `channel status` and written to the JSON log. Each test makes a
real client fail in a way that used to carry the credential (an unreachable host, an error page
that echoes the request, a refused renewal) and searches everything it said for the marker.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities.footage.common import connection_error, http_error
from activities.publish import PublishActivities
from activities.publishers.instagram import InstagramPublisher
from tests.fakes.fixtures import CHANNEL, World
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import FakeServer, Request, Response

MARKER = "EAAMarkerT0ken9f8e7d6c5b4a39281706"
APP_SECRET = "marker-app-secret-5e4d3c2b1a"


def publish(world: World, graph_url: str = "") -> object:
    settings = (dataclasses.replace(world.settings, instagram_graph_url=graph_url,
                                    instagram_upload_url=graph_url)
                if graph_url else world.settings)
    publisher = InstagramPublisher(world.secrets, world.ledger, settings, poll_s=0.01)
    return PublishActivities(world.ledger, 0.0, {"instagram": publisher}).publish_to_platform(
        world.request("instagram"))


def save_token(world: World, fake: FakeInstagram, expires_in_days: float = 50) -> None:
    expires = (datetime.now(UTC) + timedelta(days=expires_in_days)).isoformat(timespec="seconds")
    world.secrets.save(CHANNEL, "instagram", {
        "access_token": MARKER, "ig_user_id": fake.user_id, "app_id": fake.app_id,
        "app_secret": APP_SECRET, "expires_at": expires})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EchoingGraph(FakeServer):
    """A Graph host whose error page quotes the request back, credentials included."""

    def handle(self, req: Request) -> Response:
        req.drain()
        echoed = f"{req.path}?{json.dumps(req.query)} Authorization: {req.headers.get('Authorization')}"
        return Response(500, {"error": {"message": f"upstream failed for {echoed}", "code": 2}})


@pytest.fixture
def echoing_graph(fake_cert) -> Iterator[EchoingGraph]:
    server = EchoingGraph(fake_cert)
    with server:
        yield server


def assert_clean(text: str) -> None:
    assert MARKER not in text and APP_SECRET not in text, text


def test_unreachable_graph_host_names_no_token(world: World, instagram_fake: FakeInstagram,
                                               caplog: pytest.LogCaptureFixture) -> None:
    save_token(world, instagram_fake)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ApplicationError) as failed:
        publish(world, f"https://127.0.0.1:{closed_port()}")
    assert failed.value.type == "PlatformUnavailable"
    assert_clean(str(failed.value))
    assert_clean(caplog.text)


def test_an_error_page_that_echoes_the_request_is_redacted(
        world: World, instagram_fake: FakeInstagram, echoing_graph: EchoingGraph,
        caplog: pytest.LogCaptureFixture) -> None:
    save_token(world, instagram_fake)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ApplicationError) as failed:
        publish(world, echoing_graph.url)
    assert "upstream failed" in str(failed.value)
    assert_clean(str(failed.value))
    assert_clean(caplog.text)


def test_a_refused_renewal_logs_no_secret(world: World, instagram_fake: FakeInstagram,
                                          echoing_graph: EchoingGraph,
                                          caplog: pytest.LogCaptureFixture) -> None:
    save_token(world, instagram_fake, expires_in_days=2)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ApplicationError):
        publish(world, echoing_graph.url)
    assert "not refreshed" in caplog.text
    assert_clean(caplog.text)


def test_publishing_and_renewing_put_no_credential_in_a_url(
        world: World, instagram_fake: FakeInstagram) -> None:
    instagram_fake.token = MARKER
    instagram_fake.app_secret = APP_SECRET
    save_token(world, instagram_fake, expires_in_days=2)
    publish(world)
    assert instagram_fake.renewals == 1 and len(instagram_fake.media) == 1
    assert instagram_fake.tokens_in_urls == 0


def test_provider_errors_mask_keys_in_urls_and_echoed_bodies() -> None:
    request = httpx.Request("GET", f"https://pixabay.com/api/videos/?q=honey&key={MARKER}")
    failure = httpx.ConnectError(f"cannot reach {request.url}", request=request)
    assert_clean(str(connection_error("pixabay", failure)))
    echoed = http_error("runway", 500, {}, f'{{"headers": {{"Authorization": "Bearer {MARKER}"}}}}')
    assert_clean(str(echoed))
    assert "runway: HTTP 500" in str(echoed)
