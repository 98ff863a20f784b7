"""Every scene that shows something gets a relevance, and a channel's `min_relevance` remakes
a scene under it once, from the next source of its chain (time-skipping server, doubles)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from tests.workflows.test_footage import BREAKERS, _run_channel
from workflows.contracts import ReelInput, SourceInfo, Topic, VisualsPolicy
from workflows.reel import ReelWorkflow

STOCK = [SourceInfo("pexels", "video", 0.65), SourceInfo("pixabay", "video", 0.6)]


def _doubles(prefix: str, min_relevance: float = 0.0, **fields) -> Doubles:
    policy = VisualsPolicy(sources=["pexels", "pixabay", "procedural"],
                           min_relevance=min_relevance)
    config = channel_config(name=unique(prefix), visuals=policy)
    return Doubles(config, catalog=list(STOCK), scenes=2, visuals_from_footage=True, **fields)


async def _publish_one(env: WorkflowEnvironment, doubles: Doubles) -> None:
    async with worker(env.client, doubles, BREAKERS, sticky=False):
        _, result = await _run_channel(env, doubles, 1)
    assert result.published == 1
    assert doubles.records[-1].status == "published"


async def test_a_scene_under_min_relevance_is_remade_once_by_the_next_source(
    time_env: WorkflowEnvironment,
):
    # Scene 1's stock clip shows nothing it says; the next source's is no better, and the
    # scene is not made a third time.
    doubles = _doubles("remade", 0.3, relevance={"pexels clip of scene 1": 0.05,
                                                 "pixabay": 0.1})
    await _publish_one(time_env, doubles)
    assert sorted(c.source for c in doubles.footage_calls) == ["pexels", "pexels", "pixabay"]
    assert [c.scene for c in doubles.footage_calls if c.source == "pixabay"] == [1]
    assert doubles.calls["make_visuals"] == 2
    assert doubles.visuals_requests[-1].footage[1].uri == "file:///pixabay-1.mp4"
    # Scored once after the first visuals, then only the remade scene.
    assert [len(r.scenes) for r in doubles.relevance_requests] == [2, 1]
    record = doubles.records[-1]
    assert record.scene_relevance == [0.6, 0.1]
    assert record.relevance == 0.35
    shown = doubles.compose_requests[-1].visuals.clips
    assert shown[1].note == "relevance 0.05 under 0.3: remade by pixabay"
    assert shown[0].note == ""
    assert [d.chosen for d in record.visual_decisions] == ["pexels", "pixabay"]
    assert [a.source for a in record.visual_decisions[1].attempts] == ["pexels", "pixabay"]


async def test_a_reel_whose_scenes_all_pass_is_unchanged(time_env: WorkflowEnvironment):
    doubles = _doubles("passes", 0.3)
    await _publish_one(time_env, doubles)
    assert sorted(c.source for c in doubles.footage_calls) == ["pexels", "pexels"]
    assert doubles.calls["make_visuals"] == 1
    assert len(doubles.relevance_requests) == 1
    assert doubles.relevance_requests[0].shown == ["pexels clip of scene 0",
                                                   "pexels clip of scene 1"]
    record = doubles.records[-1]
    assert record.scene_relevance == [0.6, 0.6] and record.relevance == 0.6
    assert all(c.note == "" for c in doubles.compose_requests[-1].visuals.clips)


async def test_a_gpu_worker_that_cannot_score_leaves_the_scenes_unscored(
    time_env: WorkflowEnvironment,
):
    """The gpu queue's worker predates score_scene_relevance (it only speaks): two tries,
    then the reel goes on with its scenes unscored, and nothing is remade."""
    doubles = _doubles("oldgpu", 0.3)
    queues = {q: QUEUE for q in ("reels", "media", "publish", "generate")}
    queues["gpu"] = unique("gpu-old")
    reel = ReelInput(f"reel/{doubles.config.name}/2026-01-01/1", doubles.config,
                     Topic("topic", facts=["a.", "b."]), queues, relevance_wait_s=2)
    voice = [a for a in doubles.activities()
             if a.__temporal_activity_definition.name == "synthesize_voice"]
    async with worker(time_env.client, doubles, BREAKERS, sticky=False), Worker(
            time_env.client, task_queue=queues["gpu"], activities=voice):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, reel, id=reel.reel_id, task_queue=QUEUE)
    assert result.publications
    assert doubles.calls.get("score_scene_relevance", 0) == 0
    assert doubles.calls["make_visuals"] == 1
    record = doubles.records[-1]
    assert record.scene_relevance == [-1.0, -1.0] and record.relevance == -1.0
    assert result.manifest is not None and result.manifest.relevance == -1.0


async def test_a_channel_without_a_threshold_keeps_a_low_scene(time_env: WorkflowEnvironment):
    doubles = _doubles("off", relevance={"pexels clip of scene 1": 0.05})
    await _publish_one(time_env, doubles)
    assert doubles.calls["make_visuals"] == 1
    assert doubles.records[-1].scene_relevance == [0.6, 0.05]
