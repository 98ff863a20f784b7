"""Record histories of the gpu paths for the replay tests (`python -m tests.gpu.record_histories`).

The mlx writer, the meaning-based topic picker and own media by meaning run under
`workflow.patched`; these
histories pin the patched branch beside the v1 ones. Activities are doubles under the real
names: a history records results, not how they were made.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.doubles import QUEUE, Doubles, channel_config
from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    ChannelInput,
    MediaMatch,
    MediaMatches,
    MediaMatchRequest,
    OwnMedia,
    OwnMediaItem,
    OwnMediaRequest,
    ReelInput,
    Scene,
    Script,
    ScriptConfig,
    ScriptRequest,
    StageCost,
    Topic,
    TopicConfig,
    TopicRequest,
)
from workflows.reel import ReelWorkflow

PREFIX = "gpu6"


@activity.defn(name="write_script_mlx")
async def write_script_mlx(req: ScriptRequest) -> Script:
    return Script(req.topic.title, "desc", ["#t"], [Scene("hello there friend", ["hello"])],
                  backend="mlx", cost=StageCost("script", "mlx", 0.1, 0.1, 0.0))


@activity.defn(name="pick_novel_topic")
async def pick_novel_topic(req: TopicRequest) -> Topic:
    n = len(req.recent_topics) + 1
    return Topic(title=f"novel topic {n}", facts=["a fact.", "another fact."])


@activity.defn(name="list_own_media")
async def list_own_media(req: OwnMediaRequest) -> OwnMedia:
    return OwnMedia([OwnMediaItem(f"{req.media_dir}/octopus.jpg", "still", "octopus")])


@activity.defn(name="match_media")
async def match_media(req: MediaMatchRequest) -> MediaMatches:
    return MediaMatches([MediaMatch(k, 0, 0.6) for k in range(len(req.scenes))])


async def _save(client: Client, name: str, workflow_id: str) -> None:
    await save_history(client, f"{PREFIX}-{name}", workflow_id)


async def record(env: WorkflowEnvironment) -> None:
    config = channel_config(name="gpu", script=ScriptConfig("mlx", "/models/llm"),
                            topics=TopicConfig(avoid_similar=True))
    doubles = Doubles(config)
    acts = [a for a in doubles.activities()
            if a.__temporal_activity_definition.name not in ("write_script",)]
    async with Worker(env.client, task_queue=QUEUE, workflows=[ChannelWorkflow, ReelWorkflow],
                           activities=[*acts, write_script_mlx, pick_novel_topic,
                                       list_own_media, match_media]):
        queues = {q: QUEUE for q in ("reels", "media", "gpu", "publish")}
        reel = ReelInput("reel/gpu/2026-01-01/1", config, Topic("t", facts=["a.", "b."]), queues)
        await env.client.execute_workflow(ReelWorkflow.run, reel, id=reel.reel_id,
                                          task_queue=QUEUE,
                                          execution_timeout=timedelta(minutes=5))
        await _save(env.client, "reel-mlx-writer", reel.reel_id)
        await env.client.execute_workflow(ChannelWorkflow.run,
                                          ChannelInput(channel="gpu", max_reels=2),
                                          id="channel/gpu", task_queue=QUEUE)
        await _save(env.client, "channel-novel-topics", "channel/gpu")
        media = ReelInput("reel/gpu-media/2026-01-01/1",
                          channel_config(name="gpu-media", media_dir="/media",
                                         script=ScriptConfig("mlx", "/models/llm"),
                                         media_match="meaning"),
                          Topic("t", facts=["a.", "b."]), queues)
        await env.client.execute_workflow(ReelWorkflow.run, media, id=media.reel_id,
                                          task_queue=QUEUE)
        await save_history(env.client, "v2-reel-media-by-meaning", media.reel_id)


if __name__ == "__main__":
    run_recorder(record)
