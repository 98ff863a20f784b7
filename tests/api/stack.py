"""`monolathe api` on a Temporal server for tests and `make load`: the real reels-queue and
publish activities (template script, ledger, local folder) with quick doubles for the media
stages (voice, icons, visuals, compose copies a real small MP4 made once with ffmpeg, quality), and
uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.config import Settings, load_settings
from activities.ffmpeg_run import ffmpeg_exe
from workers.api.app import create_app
from workers.api.tokens import add_token, load_tokens
from workers.run import activities_for
from workers.work_errors import WorkErrorInterceptor
from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    ComposedReel,
    ComposeRequest,
    IconMatches,
    IconMatchRequest,
    QualityReport,
    QualityRequest,
    SceneClip,
    SceneIcons,
    SceneSpan,
    StageCost,
    Visuals,
    VisualsRequest,
    VoiceRequest,
    VoiceTrack,
)
from workflows.reel import ReelWorkflow

REPO = Path(__file__).resolve().parents[2]
CHANNEL = """\
name: {name}
niche: science facts
review: {review}
review_timeout: 2h
trends:
  feed: feeds/science.yaml
"""


def _cost(stage: str) -> StageCost:
    return StageCost(stage=stage, backend="double", seconds=0.05, cpu_seconds=0.05, usd=0.001)


def make_clip(path: Path) -> None:
    """A real 2 s 360x640 H.264/AAC MP4 and its cover, made once per session."""
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=360x640:rate=30:duration=2", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart",
                    str(path)], check=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(path), "-frames:v", "1",
                    str(path.with_suffix(".jpg"))], check=True)


def media_doubles(settings: Settings, clip: Path) -> list:
    """Quick stand-ins for the media stages, under their real names."""

    @activity.defn(name="synthesize_voice")
    async def synthesize_voice(req: VoiceRequest) -> VoiceTrack:
        spans = [SceneSpan(i * 2.0, i * 2.0 + 2.0) for i in range(len(req.script.scenes))]
        return VoiceTrack("file:///v.wav", "file:///w.json", 2.0 * len(spans), spans,
                          _cost("voice"))

    @activity.defn(name="make_visuals")
    async def make_visuals(req: VisualsRequest) -> Visuals:
        return Visuals([SceneClip(f"file:///s{i}.mp4", 2.0, source=f"double {i}")
                        for i in range(len(req.scenes))], _cost("visuals"))

    @activity.defn(name="match_icons")
    async def match_icons(req: IconMatchRequest) -> IconMatches:
        return IconMatches([SceneIcons(["1F419"], ["octopus"], [0.7], relevance=0.6)
                            for _ in req.scenes], "openmoji-double")

    @activity.defn(name="compose_reel")
    async def compose_reel(req: ComposeRequest) -> ComposedReel:
        folder = settings.artifacts_dir / req.reel_id
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, folder / "reel.mp4")
        shutil.copy(clip.with_suffix(".jpg"), folder / "cover.jpg")
        return ComposedReel((folder / "reel.mp4").as_uri(), (folder / "cover.jpg").as_uri(),
                            2.0, _cost("compose"))

    @activity.defn(name="check_quality")
    async def check_quality(req: QualityRequest) -> QualityReport:
        return QualityReport(True, 360, 640, 30.0, 2.0, "h264", "aac", -18.0,
                             {"size": "ok", "loudness": "ok"}, cost=_cost("quality"))

    return [synthesize_voice, make_visuals, match_icons, compose_reel, check_quality]


@dataclass
class Api:
    url: str
    settings: Settings
    env: WorkflowEnvironment
    operator: str
    viewer: str
    channel: str  # review: required
    open_channel: str  # review: none

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=60)


@asynccontextmanager
async def api_stack(env: WorkflowEnvironment, root: Path, serve: bool = True
                    ) -> AsyncIterator[Api]:
    """The worker, and unless `serve` is False the API in this process (`url` "" then: the
    caller runs `monolathe api` on root/temporal.yaml and root/tokens.yaml)."""
    queue = f"api-{uuid.uuid4().hex[:6]}"
    target = env.client.service_client.config.target_host
    (root / "temporal.yaml").write_text(
        f"server: {{address: '{target}', embedded: false}}\n"
        f"queues: {{reels: {queue}, media: {queue}, gpu: {queue}, publish: {queue}}}\n"
        "metrics: {port: 0, sdk_port: 0}\nlogs: {json_file: ''}\n")
    feeds = root / "channels" / "feeds"
    feeds.mkdir(parents=True)
    shutil.copy(REPO / "channels" / "feeds" / "science.yaml", feeds / "science.yaml")
    for name, review in (("agency", "required"), ("open", "none")):
        (root / "channels" / f"{name}.yaml").write_text(CHANNEL.format(name=name, review=review))
    settings = load_settings(root / "temporal.yaml")
    clip = root / "clip.mp4"
    make_clip(clip)
    tokens_file = root / "tokens.yaml"
    operator = add_token(tokens_file, "ana", "operator")
    viewer = add_token(tokens_file, "vic", "viewer")
    worker = Worker(
        env.client, task_queue=queue, workflows=[ChannelWorkflow, ReelWorkflow],
        activities=[*activities_for("reels", settings), *activities_for("publish", settings),
                    *media_doubles(settings, clip)],
        interceptors=[WorkErrorInterceptor()], max_concurrent_activities=8,
        activity_executor=ThreadPoolExecutor(8))
    app = create_app(settings, env.client, load_tokens(tokens_file))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           ws="auto"))
    async with worker:
        if not serve:
            yield Api("", settings, env, operator, viewer, "agency", "open")
            return
        serving, url = await start_serving(server)
        yield Api(url, settings, env, operator, viewer, "agency", "open")
        server.should_exit = True
        await serving


async def start_serving(server: uvicorn.Server, within: float = 30.0
                        ) -> tuple[asyncio.Task[None], str]:
    """Serve in this loop; the task and the base URL once it listens. A server that fails
    to start ends its task (uvicorn exits on a startup error) instead of ever listening."""
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(within):
            while not server.started:
                if serving.done():
                    raise RuntimeError(f"uvicorn ended before it listened: {serving.result()}")
                await asyncio.sleep(0.05)
    except BaseException:
        serving.cancel()
        raise
    port = server.servers[0].sockets[0].getsockname()[1]
    return serving, f"http://127.0.0.1:{port}"
