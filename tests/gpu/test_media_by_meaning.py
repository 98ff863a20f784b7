"""A channel's own media matched to scenes by meaning: the real MiniLM activity in the reel."""

from __future__ import annotations

from pathlib import Path

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.gpu.embeddings import EmbeddingActivities
from activities.media_library import MediaLibraryActivities
from tests.gpu.test_gpu_workflows import QUEUES, gpu_worker
from tests.workflows.doubles import QUEUE, Doubles, _cost, channel_config, unique
from workflows.contracts import (
    OwnMediaRequest,
    ReelInput,
    Scene,
    SceneClip,
    Script,
    ScriptRequest,
    Topic,
    Visuals,
    VisualsRequest,
)
from workflows.reel import ReelWorkflow

# No scene shares a word with any file name: only meaning can pair them.
SCENES = [
    Scene("Eight arms, three hearts and blue blood under the sea.", ["cephalopod"]),
    Scene("Molten rock pours down the mountain and glows at night.", ["magma"]),
]


def _library(folder: Path) -> Path:
    folder.mkdir()
    for name in ("octopus-swimming.jpg", "volcano-eruption.mp4", "birthday-cake.png"):
        (folder / name).write_bytes(b"")  # make_visuals is a double here; names are enough
    (folder / "birthday-cake.json").write_text('{"tags": ["candles", "party"]}')
    return folder


def test_list_own_media_describes_files_by_name_and_tags(tmp_path: Path) -> None:
    media = MediaLibraryActivities().list_own_media(OwnMediaRequest(str(_library(tmp_path / "m"))))
    described = {Path(i.path).name: (i.kind, i.description) for i in media.items}
    assert described["volcano-eruption.mp4"] == ("video", "eruption volcano")
    assert described["birthday-cake.png"][0] == "still"
    assert set(described["birthday-cake.png"][1].split()) >= {"birthday", "cake", "candles"}


async def test_reel_picks_own_media_by_meaning(time_env: WorkflowEnvironment, tmp_path: Path):
    library = _library(tmp_path / "media")
    name = unique("meaning")
    channel = channel_config(name=name, media_dir=str(library), media_match="meaning")
    reel = ReelInput(f"reel/{name}/2026-01-01/1", channel, Topic("Nature", facts=["x."]), QUEUES)
    seen: list[VisualsRequest] = []

    @activity.defn(name="write_script")
    async def write_script(req: ScriptRequest) -> Script:
        return Script("Nature", "desc", ["#t"], SCENES, cost=_cost("script"))

    @activity.defn(name="make_visuals")
    async def make_visuals(req: VisualsRequest) -> Visuals:
        seen.append(req)
        return Visuals([SceneClip("file:///s.mp4", 20.0)], _cost("visuals"))

    real = [write_script, make_visuals, MediaLibraryActivities().list_own_media,
            EmbeddingActivities(0.0).match_media]  # fmt: skip
    async with gpu_worker(time_env.client, Doubles(channel_config()), real):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, reel, id=reel.reel_id, task_queue=QUEUE
        )
    picks = [Path(p).name for p in seen[0].media_picks]
    assert picks == ["octopus-swimming.jpg", "volcano-eruption.mp4"]
    assert {"list_own_media", "match_media"} <= result.stage_seconds.keys()


async def test_keyword_channels_never_ask_for_a_match(time_env: WorkflowEnvironment, tmp_path):
    name = unique("keywords")
    channel = channel_config(name=name, media_dir=str(_library(tmp_path / "media")))
    reel = ReelInput(f"reel/{name}/2026-01-01/1", channel, Topic("Nature", facts=["x."]), QUEUES)
    doubles = Doubles(channel_config())
    async with gpu_worker(time_env.client, doubles, []):
        result = await time_env.client.execute_workflow(
            ReelWorkflow.run, reel, id=reel.reel_id, task_queue=QUEUE
        )
    assert "match_media" not in result.stage_seconds
