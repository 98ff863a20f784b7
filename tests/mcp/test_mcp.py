"""`monolathe mcp` driven by the MCP SDK's own client session: over stdio (the real command
as a child process, as a desktop agent runs it) and over streamable HTTP (the served app
with the API's token rules), on the real dev server and reels worker of tests/api/stack.py."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
import uvicorn
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from temporalio.testing import WorkflowEnvironment

from tests.api.stack import Api, api_stack, start_serving
from workers.api.service import Factory
from workers.api.tokens import load_tokens
from workers.mcp.access import Access
from workers.mcp.serve import PATH, http_app
from workers.mcp.tools import build

REPO = Path(__file__).resolve().parents[2]
TOOLS = {"create_reel", "reel_status", "reel_manifest", "list_reviews", "approve", "reject",
         "revise", "estimate", "list_channels", "channel_status", "pause", "resume", "trends"}


@pytest_asyncio.fixture(scope="module")
async def stack(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Api]:
    """The reels worker in this process; each test serves MCP its own way."""
    async with api_stack(dev_env, tmp_path_factory.mktemp("mcp"), serve=False) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def http_url(stack: Api) -> AsyncIterator[str]:
    tokens = load_tokens(stack.settings.source.parent / "tokens.yaml")
    server = build(Factory(stack.settings, stack.env.client), Access(tokens))
    app = http_app(server, stack.settings, "127.0.0.1", tokens)
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                        lifespan="on"))
    serving, url = await start_serving(web)
    yield url + PATH
    web.should_exit = True
    await serving


@asynccontextmanager
async def over_stdio(stack: Api, token: str = "") -> AsyncIterator[ClientSession]:
    root = stack.settings.source.parent
    params = StdioServerParameters(
        command=sys.executable, cwd=REPO,
        args=["-m", "workers.cli", "--config", str(root / "temporal.yaml"), "mcp",
              "--tokens", str(root / "tokens.yaml")],
        env={"MONOLATHE_TOKEN": token} if token else None)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def over_http(url: str, token: str) -> AsyncIterator[ClientSession]:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client, streamable_http_client(url, http_client=client) as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, progress: list | None = None,
               **arguments: Any) -> dict[str, Any]:
    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        if progress is not None:
            progress.append((value, message))

    result = await session.call_tool(tool, arguments, read_timeout_seconds=300,
                                     progress_callback=on_progress)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    if result.is_error:
        return {"error": text}
    return result.structured_content or json.loads(text)


async def test_a_reel_made_over_stdio_waits_for_review_and_is_published(stack: Api):
    progress: list[tuple[float, str | None]] = []
    async with over_stdio(stack) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOLS
        schema = tools["create_reel"].input_schema
        assert schema["required"] == ["channel", "topic"]
        assert schema["properties"]["channel"]["maxLength"] == 48

        made = await call(session, "create_reel", progress, channel=stack.channel,
                          topic="Honey never spoils", wait=True)
        assert made["status"] == "awaiting-review", made
        reel_id = made["id"]
        assert progress and progress[-1][1] == f"{reel_id}: awaiting-review {made['stage']}"
        values = [v for v, _ in progress]
        assert values == sorted(values) and len(set(values)) == len(values)

        waiting = await call(session, "list_reviews")
        assert reel_id in [r["id"] for r in waiting["awaiting_review"]]
        manifest = await call(session, "reel_manifest", id=reel_id)
        assert manifest["topic"] == "Honey never spoils" and "estimate_basis" in manifest
        assert (await call(session, "reel_status", id=reel_id))["status"] == "awaiting-review"

        approved = await call(session, "approve", id=reel_id)
        assert approved["review"]["status"] == "approved", approved
        done = await call(session, "reel_status", id=reel_id, wait=True)
        assert done["status"] == "published" and done["urls"], done
        again = await call(session, "approve", id=reel_id)
        assert "not waiting" in again["error"] or "ended" in again["error"], again

        # the resources: presets, and the channel's reels from the ledger
        presets = await session.read_resource("monolathe://presets")
        names = {p["name"] for p in json.loads(presets.contents[0].text)["presets"]}  # type: ignore[union-attr]
        assert names == {"agency", "open"}
        reels = await session.read_resource(f"monolathe://channels/{stack.channel}/reels")
        listed = json.loads(reels.contents[0].text)["reels"]  # type: ignore[union-attr]
        assert reel_id in [r["id"] for r in listed]


async def test_every_read_tool_and_the_channel_controls_over_stdio(stack: Api):
    async with over_stdio(stack) as session:
        estimate = await call(session, "estimate", channel=stack.open_channel)
        assert estimate["by_stage"]["footage"] == 0.0 and estimate["basis"]
        rows = {r["source"]: r for r in estimate["per_source"]}
        assert rows["procedural"]["state"] == "closed (no calls yet)"
        by_preset = await call(session, "estimate", preset=stack.open_channel)
        assert by_preset["channel"] == stack.open_channel
        channels = await call(session, "list_channels")
        assert {c["channel"] for c in channels["channels"]} == {"agency", "open"}
        status = await call(session, "channel_status", name="open")
        assert status["running"] is False
        trends = await call(session, "trends", channel="open")
        assert trends["channel"] == "open" and trends["topics"] == []
        # the channel is not running: its workflow cannot take the signal
        paused = await call(session, "pause", name="open")
        assert "channel/open" in paused["error"], paused
        handle = await stack.env.client.start_workflow(
            "ChannelWorkflow", {"channel": "open", "slot_seconds": 3600, "max_reels": 1},
            id="channel/open", task_queue=stack.settings.queues.reels)
        try:
            assert (await call(session, "pause", name="open"))["sent"] == "pause"
            assert (await call(session, "resume", name="open"))["sent"] == "resume"
        finally:
            await handle.terminate("test over")


async def test_bad_inputs_are_refused_by_name(stack: Api):
    async with over_stdio(stack) as session:
        bad = await call(session, "create_reel", channel="../etc", topic="Honey never spoils")
        assert "channel" in bad["error"] and "not a channel name" in bad["error"], bad
        bad = await call(session, "create_reel", channel="nope", topic="Honey never spoils")
        assert "channel" in bad["error"] and "nope" in bad["error"], bad
        bad = await call(session, "create_reel", channel=stack.channel, topic="Unknown thing")
        assert "topic" in bad["error"] and "pass its facts" in bad["error"], bad
        bad = await call(session, "reject", id="reel/agency/2001-01-01/1", reason="")
        assert "reason" in bad["error"], bad
        bad = await call(session, "reel_status", id="channel/agency/x")
        assert "not a reel id" in bad["error"], bad
        bad = await call(session, "estimate")
        assert "give a channel or a preset" in bad["error"], bad
        bad = await call(session, "trends", channel="gone")
        assert "no channels/gone.yaml" in bad["error"], bad


async def test_a_viewer_token_over_stdio_may_read_but_not_make(stack: Api):
    async with over_stdio(stack, stack.viewer) as session:
        refused = await call(session, "create_reel", channel=stack.channel,
                             topic="Honey never spoils")
        assert "'vic' is a viewer; this tool needs operator" in refused["error"], refused
        assert "awaiting_review" in await call(session, "list_reviews")


async def test_http_takes_the_apis_tokens_and_roles(stack: Api, http_url: str):
    async with httpx.AsyncClient() as raw:
        r = await raw.post(http_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
        r = await raw.post(http_url, headers={"Authorization": "Bearer wrong-token"}, json={})
        assert r.status_code == 401
        r = await raw.post(http_url.replace("127.0.0.1", "localhost"),
                           headers={"Host": "evil.example", "Authorization":
                                    f"Bearer {stack.operator}"}, json={})
        assert r.status_code == 400  # the API's Host check (DNS rebinding)
    async with over_http(http_url, stack.viewer) as session:
        assert {t.name for t in (await session.list_tools()).tools} == TOOLS
        for tool, args in (("create_reel", {"channel": "open", "topic": "Honey never spoils"}),
                           ("approve", {"id": "reel/agency/2001-01-01/1"}),
                           ("reject", {"id": "reel/agency/2001-01-01/1", "reason": "no"}),
                           ("revise", {"id": "reel/agency/2001-01-01/1", "notes": "x"}),
                           ("pause", {"name": "open"}), ("resume", {"name": "open"})):
            refused = await call(session, tool, **args)
            assert "is a viewer; this tool needs operator" in refused["error"], (tool, refused)
        channels = await call(session, "list_channels")
        assert len(channels["channels"]) == 2


async def test_a_reel_over_http_reports_progress_until_published(stack: Api, http_url: str):
    progress: list[tuple[float, str | None]] = []
    async with over_http(http_url, stack.operator) as session:
        made = await call(session, "create_reel", progress, channel=stack.open_channel,
                          topic="Bananas are slightly radioactive", wait=True)
        assert made["status"] == "published", made
        assert len(progress) >= 2 and progress[-1][1].startswith(f"{made['id']}: published")
        rejected = await call(session, "reject", id=made["id"], reason="too late")
        assert "error" in rejected
