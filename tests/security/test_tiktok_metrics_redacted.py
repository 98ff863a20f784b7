"""The TikTok performance fetch never puts a token in an error or a log line: a video.query
host whose error page quotes the request back, an unreachable host, a refused refresh, and
the queries themselves (the token rides in the Authorization header, never in a URL)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.performance.tiktok import TikTokFetcher
from tests.fakes.fixtures import CHANNEL
from tests.fakes.performance_fixtures import Reads
from tests.fakes.server import FakeServer, Request, Response
from tests.fakes.tiktok_api import FakeTikTok
from tests.security.test_secrets_redacted import closed_port
from workflows.contracts import PublishedReel

MARKER = "act.MarkerT0ken9f8e7d6c5b4a39281706tt"
REFRESH = "rft.MarkerRefresh5e4d3c2b1a0918273645"
SECRET = "tt-marker-client-secret-a1b2c3d4e5"
NOW = datetime.now(UTC)
REELS = [PublishedReel("reel/demo/2026-11-23/1", "tiktok", "7300000000000000001",
                       (NOW - timedelta(hours=3)).isoformat())]


class EchoingTikTok(FakeServer):
    """A TikTok host whose error message quotes the request, credentials and all."""

    def handle(self, req: Request) -> Response:
        body = req.read().decode()
        echoed = f"{req.path}?{json.dumps(req.query)} Authorization:" \
                 f" {req.headers.get('Authorization')} body={body}"
        return Response(500, {"error": {"code": "internal_error", "log_id": "1",
                                        "message": f"upstream failed for {echoed}"}})


@pytest.fixture
def echoing(fake_cert) -> Iterator[EchoingTikTok]:
    with EchoingTikTok(fake_cert) as server:
        yield server


def marked(reads: Reads, fake: FakeTikTok, api_url: str = "", **token: str) -> TikTokFetcher:
    fake.token, fake.refresh_token, fake.client_secret = MARKER, REFRESH, SECRET
    reads.secrets.save(CHANNEL, "tiktok", {
        "client_key": fake.client_key, "client_secret": SECRET, "access_token": MARKER,
        "refresh_token": REFRESH, "scope": "video.publish,video.upload,video.list", **token})
    settings = dataclasses.replace(reads.settings, tiktok_api_url=api_url) if api_url \
        else reads.settings
    return TikTokFetcher(reads.secrets, reads.ledger, settings)


def assert_clean(text: str) -> None:
    for secret in (MARKER, REFRESH, SECRET):
        assert secret not in text, text


def test_an_error_page_that_echoes_the_token_is_redacted(
        reads: Reads, tt_reads: FakeTikTok, echoing: EchoingTikTok,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fetcher = marked(reads, tt_reads, echoing.url)
    with pytest.raises(ApplicationError) as failed:
        fetcher.fetch(CHANNEL, REELS, NOW)
    assert failed.value.type == "PlatformUnavailable"
    assert "upstream failed" in str(failed.value)
    assert_clean(str(failed.value))
    assert_clean(caplog.text)


def test_an_unreachable_host_names_no_token(reads: Reads, tt_reads: FakeTikTok,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fetcher = marked(reads, tt_reads, f"https://127.0.0.1:{closed_port()}")
    with pytest.raises(ApplicationError) as failed:
        fetcher.fetch(CHANNEL, REELS, NOW)
    assert failed.value.type == "PlatformUnavailable"
    assert_clean(str(failed.value))
    assert_clean(caplog.text)


def test_a_refused_refresh_names_no_token(reads: Reads, tt_reads: FakeTikTok,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fetcher = marked(reads, tt_reads, expires_at=(NOW - timedelta(hours=1)).isoformat())
    tt_reads.refresh_expired = True
    with pytest.raises(ApplicationError) as failed:
        fetcher.fetch(CHANNEL, REELS, NOW)
    assert failed.value.type == "AuthFailed"
    assert_clean(str(failed.value))
    assert_clean(caplog.text)


def test_the_queries_put_no_token_in_a_url(reads: Reads, tt_reads: FakeTikTok,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fetcher = marked(reads, tt_reads)
    tt_reads.videos = {"7300000000000000001": {"view_count": 5}}
    tt_reads.token = "act.revoked-by-a-new-login"  # one refresh on the way
    [m] = fetcher.fetch(CHANNEL, REELS, NOW).metrics
    assert m.views == 5 and tt_reads.refreshes == 1
    assert tt_reads.tokens_in_urls == 0
    assert_clean(json.dumps(m.raw))
    assert_clean(caplog.text)
