"""Human review (workflows/review.py): answers, the state a waiting reel shows, its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.contracts.costs import StageCost
from workflows.contracts.stages import ComposedReel, QualityReport, SceneClip, Script, VoiceTrack


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
    relevance: float = -1.0  # the mean of the scenes' relevance; -1 = no scene scored
    hook_style: str = ""  # the hook experiment's style; "" = none
