"""The reel's end: publishing per platform, the ledger record, and what ReelWorkflow returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.contracts.channel import InstagramOptions, TikTokOptions, YouTubeOptions
from workflows.contracts.costs import StageCost
from workflows.contracts.footage import VisualDecision
from workflows.contracts.review import ReelManifest, ReviewState
from workflows.contracts.stages import QualityReport, SceneClip


@dataclass
class Publication:
    platform: str
    external_id: str
    url: str
    reused: bool = False  # found from an earlier attempt instead of uploaded again


@dataclass
class PublishRequest:
    reel_id: str
    channel: str
    platforms: list[str]
    out_dir: str
    video_uri: str
    cover_uri: str
    title: str
    description: str
    hashtags: list[str]
    topic: str
    costs: list[StageCost]
    stage_seconds: dict[str, float]
    quality: QualityReport
    published: list[Publication] = field(default_factory=list)  # by publish_to_platform
    remedies: list[str] = field(default_factory=list)  # failed quality checks and what was done
    topic_facts: list[str] = field(default_factory=list)  # what the script was built from
    topic_links: list[str] = field(default_factory=list)  # and where those facts came from
    credits: list[str] = field(default_factory=list)  # stock footage attribution lines
    visual_decisions: list[VisualDecision] = field(default_factory=list)
    # What each scene shows (source, icons, relevance), from make_visuals' clips.
    scenes_shown: list[SceneClip] = field(default_factory=list)


@dataclass
class PlatformPublishRequest:
    """One reel to one platform (youtube, instagram, tiktok): one activity call per platform."""

    reel_id: str
    channel: str
    platform: str
    video_uri: str
    cover_uri: str
    title: str
    description: str
    hashtags: list[str]
    language: str = "en"
    out_dir: str = ""
    publish_at: str = ""  # ISO time; YouTube schedules a private upload to go public then
    youtube: YouTubeOptions = field(default_factory=YouTubeOptions)
    instagram: InstagramOptions = field(default_factory=InstagramOptions)
    tiktok: TikTokOptions = field(default_factory=TikTokOptions)


@dataclass
class PublishResult:
    publications: list[Publication]
    sidecar_uri: str
    cost: StageCost


@dataclass
class ReelRecord:
    reel_id: str
    channel: str
    topic: str
    title: str
    status: str
    video_uri: str
    asset_uris: dict[str, str]  # kind -> URI
    costs: list[StageCost]
    publications: list[Publication]
    error: str = ""
    quality: QualityReport | None = None
    remedies: list[str] = field(default_factory=list)  # failed quality checks and what was done
    visual_decisions: list[VisualDecision] = field(default_factory=list)
    hook_style: str = ""  # the hook experiment's style; "" = none
    relevance: float = -1.0  # the mean of the scored scenes; -1 = none was scored
    scene_relevance: list[float] = field(default_factory=list)  # per scene, -1 = not scored


@dataclass
class RecordResult:
    reel_id: str
    total_usd: float


@dataclass
class ReelProgress:
    reel_id: str
    topic: str
    stage: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    platforms: dict[str, str] = field(default_factory=dict)  # platform -> publishing|done|failed
    review: ReviewState | None = None  # None: this reel is not reviewed


@dataclass
class ReelResult:
    reel_id: str
    topic: str
    title: str
    video_uri: str
    sidecar_uri: str
    publications: list[Publication]
    costs: list[StageCost]
    stage_seconds: dict[str, float]
    total_usd: float
    status: str = "published"  # published | rejected (by review: never published)
    reason: str = ""  # why it was rejected
    manifest: ReelManifest | None = None  # what it is made of, readable without a replay
