"""The reel's making stages, in order: script, voice, visuals, compose, quality."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.contracts.channel import ChannelConfig, LookConfig, VoiceConfig
from workflows.contracts.costs import StageCost
from workflows.contracts.trends import Topic


@dataclass
class ReelInput:
    reel_id: str
    channel: ChannelConfig
    topic: Topic
    queues: dict[str, str] = field(default_factory=dict)  # logical -> task queue name
    hook_style: str = ""  # the hook experiment's style for this reel; "" = none
    # The channel's slot this reel fills (ISO, UTC); "" for a one-off reel, which has none.
    slot_at: str = ""
    # How long scoring the scenes' relevance waits for a gpu worker before it stays -1.
    relevance_wait_s: int = 60


@dataclass
class Scene:
    text: str  # what the voice says over this scene
    keywords: list[str] = field(default_factory=list)  # what the visuals show (stock search)
    visual_prompt: str = ""  # one sentence describing the shot, for video/image generators


@dataclass
class Script:
    title: str
    description: str
    hashtags: list[str]
    scenes: list[Scene]
    backend: str = "template"
    cost: StageCost | None = None
    fallback_reason: str = ""  # why an LLM writer's output was replaced by the template's


@dataclass
class ScriptRequest:
    reel_id: str
    channel: ChannelConfig
    topic: Topic
    notes: str = ""  # a reviewer's revision notes for this take
    hook_style: str = ""  # how the hook opens (activities/script_hooks.py); "" = the writer's


@dataclass
class MediaMatchRequest:
    """Scene texts and descriptions of a channel's own media (file names, captions, tags)."""

    scenes: list[str]
    candidates: list[str]
    min_score: float = 0.0  # below this a scene gets no candidate (-1)


@dataclass
class MediaMatch:
    scene: int  # index into MediaMatchRequest.scenes
    candidate: int  # index into MediaMatchRequest.candidates; -1 when none scored min_score
    score: float  # cosine similarity of the MiniLM embeddings, -1..1
    runner_up: int = -1  # the second best candidate, for variety when one repeats


@dataclass
class MediaMatches:
    matches: list[MediaMatch]
    cost: StageCost | None = None


@dataclass
class VoiceRequest:
    reel_id: str
    voice: VoiceConfig
    script: Script


@dataclass
class WordTiming:
    text: str
    start: float  # seconds from the start of the voice track
    end: float
    scene: int


@dataclass
class SceneSpan:
    start: float
    end: float


@dataclass
class VoiceTrack:
    audio_uri: str  # WAV
    alignment_uri: str  # JSON list of WordTiming, kept out of history
    duration_s: float
    scenes: list[SceneSpan]
    cost: StageCost


@dataclass
class VisualsRequest:
    reel_id: str
    look: LookConfig
    script: Script
    scenes: list[SceneSpan]
    media_dir: str = ""  # the channel's own media, tried before generated scenes
    # Files chosen by meaning (match_media), one per scene, "" for none; when given they
    # replace the keyword match.
    media_picks: list[str] = field(default_factory=list)
    # Clips already made for scenes (generated or stock footage, see generate_footage), one
    # per scene; a clip with uri "" leaves that scene to own media or the procedural render.
    footage: list[SceneClip] = field(default_factory=list)
    # Per scene, which look to render: 0 = the first; a quality remedy asks for another
    # (another procedural style and seed) when that scene looked black or frozen.
    variants: list[int] = field(default_factory=list)
    # Icons chosen by meaning (match_icons), one entry per scene; scenes with icons are
    # drawn as illustrated scenes, the rest procedurally. Empty: no illustrated scenes.
    illustrations: list[SceneIcons] = field(default_factory=list)


@dataclass
class IconMatchRequest:
    """Scene texts (and their keywords) to pick OpenMoji icons for, by meaning."""

    scenes: list[str]
    keywords: list[list[str]] = field(default_factory=list)  # one list per scene, or none
    max_icons: int = 3


@dataclass
class SceneIcons:
    codes: list[str] = field(default_factory=list)  # OpenMoji file names ("1F419")
    names: list[str] = field(default_factory=list)  # their CLDR names, for the sidecar
    scores: list[float] = field(default_factory=list)  # the match score of each
    count: int = 1  # a small count: the first icon drawn that many times, the rest once above
    number: str = ""  # a larger number said in the scene, set large as kinetic type
    relevance: float = 0.0  # cosine of the scene's text with the names of the icons


@dataclass
class IconMatches:
    scenes: list[SceneIcons]
    library: str = ""  # the icon library's version, for the sidecar
    cost: StageCost | None = None


@dataclass
class OwnMediaRequest:
    media_dir: str


@dataclass
class OwnMediaItem:
    path: str
    kind: str  # video | still
    description: str  # the words of its file name and sidecar tags


@dataclass
class OwnMedia:
    items: list[OwnMediaItem]


@dataclass
class SceneClip:
    uri: str
    duration_s: float  # how long the clip plays before compose loops or holds it
    kind: str = "generated"  # generated | video | still
    source: str = ""  # own media: the file's name; footage: "<source>: <what>", for the sidecar
    attribution: str = ""  # stock footage: the credit line the licence asks for
    icons: list[str] = field(default_factory=list)  # illustrated: the icons' names
    relevance: float = -1.0  # cosine of the scene's text with what it shows; -1 = not scored
    note: str = ""  # why the scene fell back to another source than the one asked for
    # What the clip shows, in words, for its relevance: a stock clip's title (or the search
    # query), a generated clip's prompt, own media's file words; "" = nothing to score.
    shows: str = ""


@dataclass
class SceneRelevanceRequest:
    """score_scene_relevance (gpu): MiniLM cosine of each scene's text with what it shows."""

    scenes: list[str]
    shown: list[str]  # one per scene, in order


@dataclass
class Visuals:
    clips: list[SceneClip]
    cost: StageCost


@dataclass
class ComposeRequest:
    reel_id: str
    look: LookConfig
    voice: VoiceTrack
    visuals: Visuals
    safe: bool = False  # retry with conservative settings after a failed quality check
    # Mixing again after a failed loudness check: gain on top of the measured one, and how
    # far under the usual ceiling the limiter holds the peaks.
    loudness_offset_db: float = 0.0
    peak_margin_db: float = 0.0


@dataclass
class ComposedReel:
    video_uri: str
    cover_uri: str
    duration_s: float
    cost: StageCost
    captions_uri: str = ""  # the ASS file burnt in, which the quality stage checks
    encoder: str = ""  # the video encoder that actually ran
    # Black and frozen stretches measured on the frames as they were encoded (JSON), so the
    # quality stage need not decode the picture again.
    analysis_uri: str = ""


@dataclass
class QualityRequest:
    reel_id: str
    video_uri: str
    look: LookConfig
    voice_duration_s: float
    captions_uri: str = ""
    analysis_uri: str = ""  # ComposedReel.analysis_uri; "" = decode the picture to measure it


@dataclass
class QualityReport:
    passed: bool
    width: int
    height: int
    fps: float
    duration_s: float
    video_codec: str
    audio_codec: str
    mean_volume_db: float
    checks: dict[str, str]  # check name -> "ok" or the reason it failed
    cost: StageCost | None = None
    loudness_lufs: float | None = None  # integrated, EBU R128
    true_peak_dbtp: float | None = None
    av_gap_ms: float | None = None  # |video duration - audio duration|
    # Stretches behind the black and frozen checks: check -> [[start_s, length_s], ...]
    defects: dict[str, list[list[float]]] = field(default_factory=dict)
