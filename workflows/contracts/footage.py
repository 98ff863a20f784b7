"""Footage: generated and stock visuals, routed per scene by workflows/routing.py, with the
breakers (workflows/breakers.py), budget reservations and estimates behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.contracts.costs import StageCost
from workflows.contracts.stages import SceneClip


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
