"""Request bodies are bounded, and never read for a caller who may not send one.

Who is asking is decided from the headers before the body is read: a large body without a
token is answered 401 while the client is still sending it, and the app reads none of it.
A body over `api.max_body_bytes` gets 413 (at once when Content-Length says so, or once the
cap is passed while streaming); every text field has a limit, and going over it is a 422
naming the field and the limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.config import ConfigError, load_settings
from tests.security.api_server import Served, serving

pytestmark = pytest.mark.integration
MIB = 1 << 20
FACTS = ["Cats purr at twenty five to one hundred fifty hertz.",
         "The vibration comes from the larynx muscles."]


@pytest_asyncio.fixture(scope="module")
async def api(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Served]:
    async with serving(dev_env, tmp_path_factory.mktemp("bodies")) as served:
        yield served


async def _send_body(api: Served, size: int, token: str = "", chunk: int = 256 * 1024
                     ) -> tuple[int, int]:
    """POST /jobs with a `size`-byte body over a raw socket, stopping once an answer comes:
    (the answer's status, the bytes sent before it came)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    writer.write(f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n{auth}"
                 f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
    answer = asyncio.ensure_future(reader.readuntil(b"\r\n"))
    sent, block = 0, b" " * chunk
    try:
        while sent < size and not answer.done():
            writer.write(block[: size - sent])
            sent += min(chunk, size - sent)
            drained = asyncio.ensure_future(writer.drain())
            await asyncio.wait({drained, answer}, return_when=asyncio.FIRST_COMPLETED)
            if not drained.done():
                drained.cancel()
                break
            drained.result()
    except ConnectionError:
        pass  # the server closed while we were sending: its answer is already on the way
    status_line = await asyncio.wait_for(answer, 120)
    writer.close()
    return int(status_line.split()[1]), sent


async def test_a_150_mb_body_without_a_token_is_refused_unread(api: Served):
    received = api.meter.received
    status, sent = await _send_body(api, 150 * MIB)
    assert status == 401
    assert sent < 150 * MIB  # answered while the client was still sending
    assert api.meter.received == received  # and the app read not one byte of it


async def test_a_body_over_the_cap_is_413_before_it_is_read(api: Served):
    received = api.meter.received
    status, sent = await _send_body(api, 150 * MIB, api.operator)
    assert status == 413 and sent < 150 * MIB
    assert api.meter.received == received  # Content-Length said it: nothing read


async def test_a_streamed_body_is_read_up_to_the_cap_only(api: Served):
    received = api.meter.received

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):  # 40 MiB, no Content-Length: chunked
            yield b" " * MIB

    async with api.client(api.operator) as http:
        r = await http.post("/jobs", content=chunks(),
                            headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "api.max_body_bytes" in r.json()["error"]
    assert api.meter.received - received <= 2 * MIB  # the cap and the chunk that passed it


async def test_8_mb_of_facts_is_413_not_a_temporal_outage(api: Served):
    body = {"channel": api.channel, "topic": "Why cats purr", "facts": ["x" * (8 * MIB)]}
    async with api.client(api.operator) as http:
        r = await http.post("/jobs", json=body)
    assert r.status_code == 413 and "1048576 bytes" in r.json()["error"]


@pytest.mark.parametrize(("field", "value", "named", "limit"), [
    ("topic", "t" * 201, "topic", "200"),
    ("facts", ["f" * 501, FACTS[1]], "facts.0", "500"),
    ("facts", [FACTS[0]] * 9, "facts", "8"),
    ("channel", "c" * 49, "channel", "48"),
    ("preset", "p" * 49, "preset", "48"),
])
async def test_each_job_field_over_its_limit_is_a_422_naming_it(api: Served, field: str,
                                                               value: object, named: str,
                                                               limit: str):
    body = {"channel": api.channel, "topic": "Why cats purr", "facts": FACTS, field: value}
    async with api.client(api.operator) as http:
        r = await http.post("/jobs", json=body)
    assert r.status_code == 422, r.text
    problem = next(p for p in r.json()["fields"] if p["field"] == named)
    assert limit in problem["message"]


async def test_review_text_and_login_token_over_their_limits_are_422(api: Served):
    async with api.client(api.operator) as http:
        reason = await http.post(f"/jobs/reel/{api.channel}/2026-01-01/1/reject",
                                 json={"text": "r" * 2001})
        login = await http.post("/login", json={"token": "t" * 513})
    assert reason.status_code == 422 and "text" in reason.json()["error"]
    assert "2000" in reason.json()["error"]
    assert login.status_code == 422 and "token" in login.json()["error"]


async def test_api_max_body_bytes_sets_the_cap(dev_env: WorkflowEnvironment, tmp_path: Path):
    async with serving(dev_env, tmp_path, api_yaml="api: {max_body_bytes: 2048}\n") as served:
        body = json.dumps({"channel": served.channel, "topic": "Why cats purr",
                           "facts": ["x" * 400] * 6})
        assert len(body) > 2048
        async with served.client(served.operator) as http:
            r = await http.post("/jobs", content=body,
                                headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "2048 bytes" in r.json()["error"]


def test_api_max_body_bytes_is_validated(tmp_path: Path):
    (tmp_path / "temporal.yaml").write_text("api: {max_body_bytes: 10}\n")
    with pytest.raises(ConfigError, match=r"api\.max_body_bytes: .*1024"):
        load_settings(tmp_path / "temporal.yaml")
