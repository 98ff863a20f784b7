"""The MCP tools and resources: each a call into workers/api/service.py, what the HTTP API's
routes call, so an agent and a `curl` see the same answers and the same refusals.

Inputs are typed with the API's own field types (workers/api/models.py), so the SDK
publishes their JSON schema and refuses a bad argument by name before a tool runs. A
refusal (unknown channel, a reel not waiting for review, a viewer asking to approve) comes
back as a tool error whose text names the field and the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError
from temporalio.service import RPCError

from activities.config import ConfigError
from workers.api.models import (
    FACT_CHARS,
    TEXT_CHARS,
    ChannelName,
    EstimateRequest,
    JobRequest,
)
from workers.api.service import FINAL, ApiRefusal, Factory
from workers.jobs import JobError
from workers.mcp.access import Access, Refused

T = TypeVar("T")
FOLLOW_POLL_S = 0.5
FOLLOW_LIMIT_S = 3600.0

ReelId = Annotated[str, Field(min_length=8, max_length=200,
                              description="a reel id: reel/<channel>/<day>/<n>")]
Topic = Annotated[str, Field(min_length=3, max_length=200,
                             description="a title of the channel's feed, or any title with facts")]
Facts = Annotated[list[Annotated[str, Field(max_length=FACT_CHARS)]],
                  Field(max_length=8, description="facts to narrate, one scene each")]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_CHARS)]


async def _answer(call: Awaitable[T]) -> T:
    """The service's refusals as tool errors, in the words the API uses."""
    try:
        return await call
    except ApiRefusal as exc:
        raise ToolError(f"{exc.field}: {exc.message}" if exc.field and
                        not exc.message.startswith(exc.field) else exc.message) from None
    except (JobError, ConfigError, Refused) as exc:
        raise ToolError(str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ToolError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    except RPCError as exc:
        raise ToolError(f"Temporal: {exc.message}") from None


async def follow(factory: Factory, ctx: Context, reel_id: str,
                 limit_s: float = FOLLOW_LIMIT_S) -> dict[str, Any]:
    """Watch a reel until it waits for review or ends, a progress notification each time its
    status or stage changes (progress counts the steps seen; a reel has no fixed total)."""
    loop = asyncio.get_running_loop()
    deadline, steps, last = loop.time() + limit_s, 0, None
    while True:
        view = await factory.reel(reel_id)
        key = (view["status"], view["stage"])
        if key != last:
            steps, last = steps + 1, key
            await ctx.report_progress(steps, None,
                                      f"{reel_id}: {view['status']} {view['stage']}".strip())
        if view["status"] in FINAL or view["status"] == "awaiting-review" \
                or loop.time() > deadline:
            return view
        await asyncio.sleep(FOLLOW_POLL_S)


def build(factory: Factory, access: Access) -> MCPServer:
    server: MCPServer = MCPServer(
        "monolathe", version="1",
        instructions="A factory of short vertical videos (reels). Make a one-off reel with"
        " create_reel (wait=true follows it with progress), read it with reel_status and"
        " reel_manifest, answer reels waiting for a person with approve, reject or revise;"
        " estimate says what a reel costs before it is made.")

    def viewer(ctx: Context) -> None:
        access.need(ctx.headers, "viewer")

    def operator(ctx: Context) -> str:
        return access.need(ctx.headers, "operator").name

    async def checked(ctx: Context, role: str, call: Any) -> Any:
        try:
            (operator if role == "operator" else viewer)(ctx)
        except Refused as exc:
            raise ToolError(str(exc)) from None
        return await _answer(call())

    @server.tool()
    async def create_reel(channel: ChannelName, topic: Topic, ctx: Context,
                          facts: Facts | None = None, preset: ChannelName | None = None,
                          review: Literal["channel", "required", "none"] = "channel",
                          wait: bool = False) -> dict[str, Any]:
        """Start a one-off reel for a channel (operator). Without facts the topic must be a
        title of the channel's feed. review: wait for a person as the channel says, always
        or never. wait: follow it (progress notifications) until it waits for review or
        ends, and answer its status; else answer its id at once."""
        async def run() -> dict[str, Any]:
            made = await factory.create_reel(JobRequest(
                channel=channel, topic=topic, facts=facts or [], preset=preset, review=review))
            if not wait:
                return {"id": made.id, "status": "running"}
            return await follow(factory, ctx, made.id)
        return await checked(ctx, "operator", run)  # type: ignore[no-any-return]

    @server.tool()
    async def reel_status(id: ReelId, ctx: Context, wait: bool = False) -> dict[str, Any]:
        """A reel's status, stage, costs and review; wait: follow it with progress
        notifications until it waits for review or ends."""
        async def run() -> dict[str, Any]:
            return await (follow(factory, ctx, id) if wait else factory.reel(id))
        return await checked(ctx, "viewer", run)  # type: ignore[no-any-return]

    @server.tool()
    async def reel_manifest(id: ReelId, ctx: Context) -> dict[str, Any]:
        """Everything a reel is made of: script, voice, visuals, files, costs, estimate."""
        return await checked(ctx, "viewer", lambda: factory.manifest(id))  # type: ignore[no-any-return]

    @server.tool()
    async def list_reviews(ctx: Context) -> dict[str, Any]:
        """Reels waiting for a person, oldest first."""
        return await checked(ctx, "viewer", factory.awaiting_review)  # type: ignore[no-any-return]

    async def decide(ctx: Context, id: str, decision: str, text: str) -> dict[str, Any]:
        def run() -> Awaitable[dict[str, Any]]:
            return factory.answer(id, decision, text, access.need(ctx.headers, "operator").name)
        return await checked(ctx, "operator", run)  # type: ignore[no-any-return]

    @server.tool()
    async def approve(id: ReelId, ctx: Context) -> dict[str, Any]:
        """Publish a reel waiting for review (operator)."""
        return await decide(ctx, id, "approve", "")

    @server.tool()
    async def reject(id: ReelId, reason: Text, ctx: Context) -> dict[str, Any]:
        """Drop a reel waiting for review, saying why (operator)."""
        return await decide(ctx, id, "reject", reason)

    @server.tool()
    async def revise(id: ReelId, notes: Text, ctx: Context) -> dict[str, Any]:
        """Make a reel waiting for review again with notes (operator): lines `title: ...`,
        `hook: ...`, `fact: ...` or `drop: N` for the template writer."""
        return await decide(ctx, id, "revise", notes)

    @server.tool()
    async def estimate(ctx: Context, channel: ChannelName | None = None,
                       preset: ChannelName | None = None) -> dict[str, Any]:
        """What one reel costs before it is made, by footage source and stage: the price
        tables of temporal.yaml, and measured figures once reels have run (basis says
        which). Give a channel, a preset, or both (the channel's reel in the preset's look)."""
        if channel is None and preset is None:
            raise ToolError("channel: give a channel or a preset")
        body = EstimateRequest(channel=channel or preset, preset=preset if channel else None)
        return await checked(ctx, "viewer", lambda: factory.estimate(body))  # type: ignore[no-any-return]

    @server.tool()
    async def list_channels(ctx: Context) -> dict[str, Any]:
        """Every channel file with its workflow's status (running, paused, spend today)."""
        return await checked(ctx, "viewer", factory.channels)  # type: ignore[no-any-return]

    @server.tool()
    async def channel_status(name: ChannelName, ctx: Context) -> dict[str, Any]:
        """One channel's status: running, paused, slots, reels in flight, spend today."""
        async def run() -> dict[str, Any]:
            factory.known_channel(name)
            return await factory.channel_status(name)
        return await checked(ctx, "viewer", run)  # type: ignore[no-any-return]

    @server.tool()
    async def pause(name: ChannelName, ctx: Context) -> dict[str, Any]:
        """Pause a running channel: no new reels until resumed (operator)."""
        return await checked(ctx, "operator", lambda: factory.control(name, "pause"))  # type: ignore[no-any-return]

    @server.tool()
    async def resume(name: ChannelName, ctx: Context) -> dict[str, Any]:
        """Resume a paused channel (operator)."""
        return await checked(ctx, "operator", lambda: factory.control(name, "resume"))  # type: ignore[no-any-return]

    @server.tool()
    async def trends(channel: ChannelName, ctx: Context) -> dict[str, Any]:
        """The channel's ranked topic queue from the trend scout, and its sources' last runs."""
        return await checked(ctx, "viewer",  # type: ignore[no-any-return]
                             lambda: asyncio.to_thread(factory.trends, channel))

    @server.resource("monolathe://presets", name="presets", mime_type="application/json",
                     description="Looks and voices a reel may borrow (one per channel file)")
    async def presets() -> dict[str, Any]:
        return await factory.presets()

    @server.resource("monolathe://channels/{name}/reels", name="recent reels",
                     mime_type="application/json",
                     description="A channel's last reels in the ledger, newest first")
    async def recent_reels(name: str) -> dict[str, Any]:
        try:
            return factory.recent_reels(name)
        except ApiRefusal as exc:
            from mcp.server.mcpserver.exceptions import ResourceError

            raise ResourceError(exc.message) from None

    return server
