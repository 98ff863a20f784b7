"""Activity doubles registered under the real activity names, for workflow tests.

They return well-formed contract objects instantly (or block until cancelled, or fail with
the real error types) so the tests pin what the workflows do with them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.footage_control import FootageControlActivities
from workers.work_errors import WorkErrorInterceptor
from workflows.channel import ChannelWorkflow
from workflows.contracts import (
    BreakerSettings,
    Cadence,
    ChannelConfig,
    ChannelRef,
    ChannelSetup,
    ComposedReel,
    ComposeRequest,
    Footage,
    FootageRequest,
    FootageSources,
    FootageSourcesRequest,
    IconMatches,
    IconMatchRequest,
    Publication,
    PublishRequest,
    PublishResult,
    QualityReport,
    QualityRequest,
    RecordResult,
    ReelRecord,
    RelevanceScores,
    Scene,
    SceneClip,
    SceneIcons,
    SceneRelevanceRequest,
    SceneSpan,
    Script,
    ScriptRequest,
    SourceInfo,
    StageCost,
    Topic,
    TopicRequest,
    Visuals,
    VisualsRequest,
    VoiceRequest,
    VoiceTrack,
)
from workflows.health import BackendHealthWorkflow
from workflows.reel import ReelWorkflow
from workflows.routing import scene_usd

QUEUE = "reels-test"


def _cost(stage: str, usd: float = 0.0) -> StageCost:
    return StageCost(stage=stage, backend="double", seconds=0.1, cpu_seconds=0.1, usd=usd)


@dataclass
class Doubles:
    config: ChannelConfig
    reel_usd: float = 0.01  # what record_reel reports each reel cost
    block_compose: bool = False  # compose waits until cancelled
    quality_failures: int = 0  # how many check_quality calls fail before one passes
    # Failed reports (QualityReport fields as a dict: checks, defects, loudness...) the next
    # check_quality calls raise, one a call, as the real activity does.
    quality_reports: list[dict] = field(default_factory=list)
    visuals_requests: list[VisualsRequest] = field(default_factory=list)
    compose_requests: list[ComposeRequest] = field(default_factory=list)
    quality_requests: list[QualityRequest] = field(default_factory=list)
    fail_voice: str = ""  # a BadInput message synthesize_voice fails with
    scenes: int = 1  # scenes in the script, sharing the 20 s voice evenly
    # What match_icons answers, one entry a scene in turn; none: an octopus for every scene.
    icon_matches: list[SceneIcons] = field(default_factory=list)
    # What the next compose_reel runs do before answering, one entry a run: "stall" (stops
    # heartbeating, as a dead worker does), "crash" (an unexpected exception), "tool" (a
    # retryable ToolFailed, as ffmpeg failing), "bad" (BadInput).
    compose_faults: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    compose_safe_flags: list[bool] = field(default_factory=list)
    compose_cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    records: list[ReelRecord] = field(default_factory=list)
    topics_served: list[str] = field(default_factory=list)
    script_notes: list[str] = field(default_factory=list)  # ScriptRequest.notes, per call
    script_hooks: list[str] = field(default_factory=list)  # ScriptRequest.hook_style, per call
    # Footage: the sources list_footage_sources knows, and per source what its next
    # generate_footage calls do, one entry a call: "down" (ProviderUnavailable, retried
    # until the stage's deadline), "refused" (ContentRefused), "bad" (BadInput); none = a clip
    # billed at the price table.
    catalog: list[SourceInfo] = field(default_factory=list)
    footage_faults: dict[str, list[str]] = field(default_factory=dict)
    footage_calls: list[FootageRequest] = field(default_factory=list)
    footage_fault_of: dict[str, str] = field(default_factory=dict)  # call -> its fault
    hold_footage: bool = False  # generate_footage heartbeats until cancelled
    # make_visuals shows the footage it is handed (as the real one does) and draws the other
    # scenes procedurally, instead of one generic clip a scene.
    visuals_from_footage: bool = False
    # score_scene_relevance: the cosine of a shown text, by the first key it contains; 0.6
    # for any other.
    relevance: dict[str, float] = field(default_factory=dict)
    relevance_requests: list[SceneRelevanceRequest] = field(default_factory=list)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def activities(self) -> list:
        @activity.defn(name="load_channel")
        async def load_channel(ref: ChannelRef) -> ChannelSetup:
            self._count("load_channel")
            return ChannelSetup(self.config, reels_today=0, queues={
                "reels": QUEUE, "media": QUEUE, "gpu": QUEUE, "publish": QUEUE,
                "generate": QUEUE})

        @activity.defn(name="pick_topic")
        async def pick_topic(req: TopicRequest) -> Topic:
            self._count("pick_topic")
            n = 1
            while f"topic {n}" in req.recent_topics:
                n += 1
            self.topics_served.append(f"topic {n}")
            return Topic(title=f"topic {n}", facts=["a fact.", "another fact."])

        @activity.defn(name="write_script")
        async def write_script(req: ScriptRequest) -> Script:
            self._count("write_script")
            self.script_notes.append(req.notes)
            self.script_hooks.append(req.hook_style)
            scenes = [Scene("hello there" if n == 0 else f"scene {n}", ["hello"], f"a shot of {n}")
                      for n in range(self.scenes)]
            return Script(req.topic.title, "desc", ["#t"], scenes, cost=_cost("script"))

        @activity.defn(name="synthesize_voice")
        async def synthesize_voice(req: VoiceRequest) -> VoiceTrack:
            self._count("synthesize_voice")
            if self.fail_voice:
                raise ApplicationError(self.fail_voice, type="BadInput", non_retryable=True)
            step = 20.0 / len(req.script.scenes)
            spans = [SceneSpan(i * step, (i + 1) * step) for i in range(len(req.script.scenes))]
            return VoiceTrack("file:///v.wav", "file:///w.json", 20.0, spans, _cost("voice"))

        @activity.defn(name="make_visuals")
        async def make_visuals(req: VisualsRequest) -> Visuals:
            self._count("make_visuals")
            self.visuals_requests.append(req)
            if self.visuals_from_footage:
                return Visuals([req.footage[i] if req.footage and req.footage[i].uri else
                                SceneClip(f"file:///s{i}.json", span.end - span.start,
                                          "procedural", "flow")
                                for i, span in enumerate(req.scenes)], _cost("visuals"))
            return Visuals([SceneClip(f"file:///s{i}.mp4", span.end - span.start)
                            for i, span in enumerate(req.scenes)], _cost("visuals"))

        @activity.defn(name="score_scene_relevance")
        async def score_scene_relevance(req: SceneRelevanceRequest) -> RelevanceScores:
            self._count("score_scene_relevance")
            self.relevance_requests.append(req)
            return RelevanceScores(
                [next((v for k, v in self.relevance.items() if k in shown), 0.6)
                 for shown in req.shown], _cost("score_scene_relevance"))

        @activity.defn(name="match_icons")
        async def match_icons(req: IconMatchRequest) -> IconMatches:
            self._count("match_icons")
            if self.icon_matches:
                return IconMatches([self.icon_matches[k % len(self.icon_matches)]
                                    for k in range(len(req.scenes))], "openmoji-test")
            return IconMatches([SceneIcons(["1F419"], ["octopus"], [0.7], relevance=0.6)
                                for _ in req.scenes], "openmoji-test")

        @activity.defn(name="compose_reel")
        async def compose_reel(req: ComposeRequest) -> ComposedReel:
            self._count("compose_reel")
            self.compose_safe_flags.append(req.safe)
            self.compose_requests.append(req)
            fault = self.compose_faults.pop(0) if self.compose_faults else ""
            if fault == "stall":
                await asyncio.sleep(3600)
            elif fault == "crash":
                raise RuntimeError("compose double crashed")
            elif fault == "tool":
                raise ApplicationError("ffmpeg failed (exit 1)", type="ToolFailed")
            elif fault == "bad":
                raise ApplicationError("compose request: bad clip", type="BadInput",
                                       non_retryable=True)
            if self.block_compose:
                try:
                    while True:
                        activity.heartbeat()
                        await asyncio.sleep(0.2)
                except asyncio.CancelledError:
                    self.compose_cancelled.set()
                    raise
            return ComposedReel("file:///r.mp4", "file:///c.jpg", 20.0, _cost("compose"),
                                analysis_uri="file:///picture-analysis.json")

        @activity.defn(name="check_quality")
        async def check_quality(req: QualityRequest) -> QualityReport:
            self._count("check_quality")
            self.quality_requests.append(req)
            if self.quality_reports:
                report = self.quality_reports.pop(0)
                failed = {k: v for k, v in report["checks"].items() if v != "ok"}
                raise ApplicationError(f"quality check failed: {', '.join(failed)}", report,
                                       type="QualityFailed", non_retryable=True)
            if self.quality_failures > 0:
                self.quality_failures -= 1
                raise ApplicationError("quality check failed: black: 2.0 s of black frames",
                                       type="QualityFailed", non_retryable=True)
            return QualityReport(True, 1080, 1920, 30.0, 20.0, "h264", "aac", -18.0,
                                 {"size": "ok"})

        @activity.defn(name="publish_reel")
        async def publish_reel(req: PublishRequest) -> PublishResult:
            self._count("publish_reel")
            return PublishResult([Publication("local", req.reel_id, "file:///out.mp4")],
                                 "file:///out.json", _cost("publish"))

        @activity.defn(name="record_reel")
        async def record_reel(record: ReelRecord) -> RecordResult:
            self._count("record_reel")
            self.records.append(record)
            return RecordResult(record.reel_id, self.reel_usd)

        @activity.defn(name="list_footage_sources")
        async def list_footage_sources(req: FootageSourcesRequest) -> FootageSources:
            self._count("list_footage_sources")
            known = {s.name: s for s in self.catalog}
            return FootageSources([known[n] for n in req.names if n in known])

        @activity.defn(name="generate_footage")
        async def generate_footage(req: FootageRequest) -> Footage:
            self._count("generate_footage")
            self.footage_calls.append(req)
            call = f"{activity.info().workflow_id}/{activity.info().activity_id}"
            if call not in self.footage_fault_of:  # every retry of one call does the same
                faults = self.footage_faults.get(req.source, [])
                self.footage_fault_of[call] = faults.pop(0) if faults else ""
            fault = self.footage_fault_of[call]
            while self.hold_footage:
                activity.heartbeat()
                await asyncio.sleep(0.2)
            if fault == "down":
                raise ApplicationError(f"{req.source}: 503 Service Unavailable",
                                       type="ProviderUnavailable")
            if fault == "refused":
                raise ApplicationError(f"{req.source}: prompt refused by moderation",
                                       type="ContentRefused", non_retryable=True)
            if fault == "bad":
                raise ApplicationError(f"{req.source}: bad request", type="BadInput",
                                       non_retryable=True)
            info = next(s for s in self.catalog if s.name == req.source)
            usd = scene_usd(info, req.duration_s)
            clip = SceneClip(f"file:///{req.source}-{req.scene}.mp4", req.duration_s,
                             info.kind, f"{req.source}: {req.keywords}",
                             f"Footage by someone on {req.source}" if usd == 0 else "",
                             shows=f"{req.source} clip of scene {req.scene}")
            return Footage(clip, req.source, usd, job_id=f"job-{req.scene}",
                           cost=_cost("footage", usd))

        return [load_channel, pick_topic, write_script, synthesize_voice, make_visuals,
                compose_reel, check_quality, publish_reel, record_reel, list_footage_sources,
                generate_footage, match_icons, score_scene_relevance]


def channel_config(**overrides) -> ChannelConfig:
    config = ChannelConfig(name="demo", niche="science", cadence=Cadence(slot_seconds=60),
                           daily_budget_usd=1.0, max_in_flight=1)
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@asynccontextmanager
async def worker(client: Client, doubles: Doubles, breakers: BreakerSettings | None = None,
                 sticky: bool = True) -> AsyncIterator[Worker]:
    """`sticky=False` for tests that hand `backends/health` from one worker to the next: the
    time-skipping server keeps sending a stopped worker's sticky queue its tasks."""
    # The control activities are the real ones: they only talk to the test server.
    control = FootageControlActivities(client, QUEUE, breakers)
    async with Worker(
        client,
        task_queue=QUEUE,
        workflows=[ChannelWorkflow, ReelWorkflow, BackendHealthWorkflow],
        activities=[*doubles.activities(), control.read_footage_context,
                    control.reserve_footage_budget],
        interceptors=[WorkErrorInterceptor()],
        **({} if sticky else {"max_cached_workflows": 0}),
    ) as running:
        yield running


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
