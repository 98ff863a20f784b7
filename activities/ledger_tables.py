"""The ledger's tables: one SQLModel class per table.

The schema these classes describe is the head of the migrations in `activities/migrations/`:
a change here is a new migration there (`docs/design.md`, "Ledger schema").
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


class ChannelRow(SQLModel, table=True):
    __tablename__ = "channels"
    name: str = Field(primary_key=True)
    niche: str = ""
    created_at: datetime = Field(default_factory=_now)


class ReelRow(SQLModel, table=True):
    __tablename__ = "reels"
    id: str = Field(primary_key=True)  # reel/<channel>/<date>/<n>
    channel: str = Field(index=True)
    day: str = Field(index=True)  # YYYY-MM-DD from the id
    topic: str = ""
    title: str = ""
    status: str = "running"
    error: str = ""
    video_uri: str = ""
    total_usd: float = 0.0
    updated_at: datetime = Field(default_factory=_now)
    hook_style: str = ""  # the channel's hook experiment: which style this reel opened with
    relevance: float = -1.0  # the mean of the scored scenes' relevance; -1 = none scored
    scene_relevance: str = "[]"  # JSON: each scene's relevance in order, -1 = not scored


class AssetRow(SQLModel, table=True):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("reel_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    kind: str
    uri: str


class CostRow(SQLModel, table=True):
    __tablename__ = "costs"
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    channel: str = Field(index=True)
    day: str = Field(index=True)
    stage: str
    backend: str
    seconds: float
    cpu_seconds: float
    usd: float


class PublicationRow(SQLModel, table=True):
    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("reel_id", "platform"),)
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    platform: str
    status: str = "intent"  # intent -> published
    external_id: str = ""
    url: str = ""
    created_at: datetime = Field(default_factory=_now)
    published_at: datetime | None = None


class UploadSessionRow(SQLModel, table=True):
    """A platform's upload in progress, so a retry on any worker resumes it."""

    __tablename__ = "upload_sessions"
    __table_args__ = (UniqueConstraint("reel_id", "platform"),)
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    platform: str
    session: str = ""  # YouTube resumable session URI, Instagram container id
    updated_at: datetime = Field(default_factory=_now)


class QuotaRow(SQLModel, table=True):
    """Units a platform's API quota has spent in one quota day (YouTube: Pacific time)."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("platform", "account", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    account: str  # the OAuth client (YouTube quota is per Cloud project)
    day: str
    units: int = 0
    exhausted: bool = False  # the API said so, whatever our count says


class QualityCheckRow(SQLModel, table=True):
    __tablename__ = "quality_checks"
    __table_args__ = (UniqueConstraint("reel_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    name: str  # streams, size, loudness, av_sync, captions, black, ...
    result: str  # "ok" or why it failed
    value: float | None = None  # the measurement, where the check has one number


class QualityRemedyRow(SQLModel, table=True):
    """A failed quality check of a reel and the remedy applied (or "no remedy left")."""

    __tablename__ = "quality_remedies"
    __table_args__ = (UniqueConstraint("reel_id", "attempt"),)
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    attempt: int  # 1 = the first failed check
    what: str  # "<failed checks> -> <remedy>"


class FootageJobRow(SQLModel, table=True):
    """A provider's generation job, stored before the wait so a retry polls it, not pays again."""

    __tablename__ = "footage_jobs"
    __table_args__ = (UniqueConstraint("reel_id", "scene", "source", "variant"),)
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    scene: int
    source: str
    variant: int = 0
    job_id: str = ""  # the provider's task / operation / prediction / item id
    status: str = "submitted"  # submitted -> done; abandoned: a retry submits a new job
    submitted_at: datetime = Field(default_factory=_now)
    uri: str = ""  # the downloaded clip in the artifact store
    usd: float = 0.0  # settled
    submissions: int = 0  # jobs paid for this key (a resubmission after a failed job adds one)
    note: str = ""  # why the last job was abandoned or refused
    what: str = ""  # for the sidecar: the stock item or the model
    attribution: str = ""  # the credit line a stock licence asks for
    shows: str = ""  # stock: the item's title and tags, for the scene's relevance


class TopicRow(SQLModel, table=True):
    """A channel's ranked topic queue: what the trend scout found, with its score parts."""

    __tablename__ = "topic_queue"
    __table_args__ = (UniqueConstraint("channel", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    key: str  # the title folded, so one story found twice is one row
    title: str
    summary: str = ""
    facts_json: str = "[]"
    keywords_json: str = "[]"
    links_json: str = "[]"
    url: str = ""
    source: str = ""  # e.g. reddit:r/science
    score: float = 0.0
    freshness: float = 0.0
    traffic: float = 0.0
    relevance: float = 0.0
    novelty: float = 0.0
    # Predicted from the channel's past reels closest in meaning (0..1); None = not
    # predicted (no past reels with 7-day views, or no gpu worker): the score counts 0.5.
    performance: float | None = None
    status: str = Field("queued", index=True)  # queued -> taken
    taken_by: str = ""  # the slot that took it, so a retried take returns the same topic
    found_at: datetime = Field(default_factory=_now)
    taken_at: datetime | None = None


class ScoutRunRow(SQLModel, table=True):
    """One source's part of one scout run: how many candidates, or why none."""

    __tablename__ = "scout_runs"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    source: str
    candidates: int = 0
    error: str = ""
    at: datetime = Field(default_factory=_now)


class VisualDecisionRow(SQLModel, table=True):
    """How one scene got its visuals: one row per source tried or skipped, so an operator
    can see why a reel cost what it cost."""

    __tablename__ = "visual_decisions"
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    scene: int
    source: str
    outcome: str  # chosen | ok | refused | failed | skipped
    reason: str = ""
    estimate_usd: float = 0.0
    usd: float = 0.0


class ReelPerformanceRow(SQLModel, table=True):
    """One fetch of one reel's figures from one platform: rows accumulate, so the curve of a
    reel's views over its life stays in the ledger. A metric the platform did not give is
    None (not 0: a retired metric is not a reel nobody watched)."""

    __tablename__ = "reel_performance"
    id: int | None = Field(default=None, primary_key=True)
    reel_id: str = Field(index=True)
    channel: str = Field(index=True)
    platform: str
    external_id: str = ""  # the platform's video / media id
    fetched_at: datetime = Field(default_factory=_now, index=True)
    age_hours: float = 0.0  # since the reel was published, at the fetch
    views: int | None = None
    watch_minutes: float | None = None  # estimatedMinutesWatched / ig_reels_video_view_total_time
    avg_view_seconds: float | None = None  # averageViewDuration / ig_reels_avg_watch_time
    avg_view_percentage: float | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    reach: int | None = None
    subscribers_gained: int | None = None
    status: str = "ok"  # ok | deleted (the platform no longer has the video)
    raw_json: str = "{}"  # the platform's answers as received
