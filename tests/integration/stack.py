"""The real workers of every queue, in this process, on a real dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from temporalio.client import Client

from activities.config import Settings
from workers.run import QUEUES, build_worker
from workflows.channel import ChannelWorkflow
from workflows.contracts import ChannelInput, ChannelResult, ChannelStatus


@asynccontextmanager
async def workers_running(client: Client, settings: Settings) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for queue in QUEUES:
            await stack.enter_async_context(build_worker(client, settings, queue))
        yield


async def channel_run(client: Client, settings: Settings, channel: str, workflow_id: str,
                      max_reels: int = 1) -> tuple[ChannelResult, ChannelStatus]:
    """Run a channel until `max_reels` reels ended, on workers already running; its result
    and its last status."""
    handle = await client.start_workflow(
        ChannelWorkflow.run, ChannelInput(channel=channel, slot_seconds=1, max_reels=max_reels),
        id=workflow_id, task_queue=settings.queues.reels)
    result: ChannelResult = await handle.result()
    status: ChannelStatus = await handle.query(ChannelWorkflow.status)
    return result, status


async def run_channel(client: Client, settings: Settings, channel: str, workflow_id: str,
                      max_reels: int = 1) -> tuple[ChannelResult, ChannelStatus]:
    """Start the workers, run the channel, stop the workers."""
    async with workers_running(client, settings):
        return await channel_run(client, settings, channel, workflow_id, max_reels)
