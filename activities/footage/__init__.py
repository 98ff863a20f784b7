"""Footage for scenes from real providers: generated clips and stills, and stock footage.

Two activities on the `generate` queue:

- `generate_footage(FootageRequest) -> Footage`: one scene's clip from one source, paid for
  once. The provider's job id goes to the ledger (`footage_jobs`, keyed by reel, scene,
  source and variant) before any wait; a retry after a worker crash finds it and polls the
  same job. The output is downloaded into the artifact store as soon as the job is done
  (providers' output URLs expire).
- `list_footage_sources(FootageSourcesRequest) -> FootageSources`: the quality and price
  table of temporal.yaml (`visuals.sources`) with whether each source can run on this host.

Each provider is one small module behind `FootageSource`; they are imported only when used.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore, to_uri
from activities.config import Settings
from activities.errors import bad_input, not_configured, provider_unavailable
from activities.footage.common import (
    Context,
    Expired,
    Job,
    clip_seconds,
    shown_words,
    table_price,
    wait,
)
from activities.ledger import FootageJobRow, Ledger
from activities.metering import Meter
from activities.progress import heartbeat, raise_if_cancelled
from workflows.contracts import (
    Footage,
    FootageRequest,
    FootageSources,
    FootageSourcesRequest,
    SceneClip,
    SourceInfo,
)

STAGE = "footage"
# Made by make_visuals on the media queue, not here; listed so routing sees their scores.
LOCAL_SOURCES = ("own", "illustrated", "procedural")


class FootageSource(Protocol):
    name: str
    # Polling a finished job again hands out fresh output URLs (Runway, stock); otherwise an
    # expired output means a new job.
    refreshes_urls: bool

    def missing(self) -> str:
        """Why this source cannot run on this host ("" when it can)."""

    def submit(self, req: FootageRequest) -> str:
        """Start a job (this is the call that costs money); the provider's job id."""

    def poll(self, job_id: str) -> Job:
        """How the job is doing; a failed job carries its typed error."""

    def download(self, job: Job, dest: Path) -> None:
        """Write the job's output to `dest`; raise `Expired` when its URL no longer serves."""

    def cancel(self, job_id: str) -> None:
        """Best effort: stop a job we abandon, so it stops costing."""


# source name -> "module:Class" of its provider; names with a suffix (replicate-flux,
# replicate-kling) use the provider before the dash.
PROVIDERS = {
    "runway": "activities.footage.runway:RunwaySource",
    "veo": "activities.footage.veo:VeoSource",
    "replicate": "activities.footage.replicate:ReplicateSource",
    "pexels": "activities.footage.pexels:PexelsSource",
    "pixabay": "activities.footage.pixabay:PixabaySource",
    "flux-mlx": "activities.footage.flux_mlx:FluxMlxSource",
}


def provider_of(name: str) -> str:
    return name if name in PROVIDERS else name.split("-", 1)[0]


def build_source(name: str, settings: Settings) -> FootageSource:
    line = settings.visuals.sources.get(name)
    if line is None:
        raise not_configured(f"{name}: not configured: not in visuals.sources of"
                             f" {settings.source}")
    path = PROVIDERS.get(provider_of(name))
    if path is None:
        raise bad_input(f"{settings.source}: visuals.sources.{name}: no provider module for"
                        f" it (known: {', '.join(PROVIDERS)})")
    module, cls = path.split(":")
    context = Context(line, settings.visuals, settings.publishing.secrets_dir)
    return getattr(importlib.import_module(module), cls)(context)  # type: ignore[no-any-return]


def describe(settings: Settings, name: str) -> SourceInfo:
    """One source's line of the table, and whether it can run on this host."""
    line = settings.visuals.sources.get(name)
    if line is None:
        return SourceInfo(name=name, kind="video", quality=0.0, configured=False,
                          reason=f"not in visuals.sources of {settings.source}")
    reason = ""
    if name not in LOCAL_SOURCES:
        try:
            reason = build_source(name, settings).missing()
        except ApplicationError as error:  # a bad line must not hide the others
            reason = error.message
        except ImportError as error:
            reason = f"its client library is not installed ({error.name})"
    return SourceInfo(
        name=name, kind=line.kind, quality=line.quality, usd_per_second=line.usd_per_second,
        usd_per_clip=line.usd_per_clip, durations=list(line.durations),
        seconds_per_clip=line.seconds_per_clip, configured=not reason, reason=reason,
        model=line.model)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


class FootageActivities:
    def __init__(self, settings: Settings, ledger: Ledger, store: ArtifactStore) -> None:
        self.settings = settings
        self.ledger = ledger
        self.store = store
        self._sources: dict[str, FootageSource] = {}

    def source(self, name: str) -> FootageSource:
        if name not in self._sources:
            self._sources[name] = build_source(name, self.settings)
        return self._sources[name]

    # --- list_footage_sources ---

    @activity.defn(name="list_footage_sources")
    def list_footage_sources(self, req: FootageSourcesRequest) -> FootageSources:
        names = req.names or list(self.settings.visuals.sources)
        return FootageSources([describe(self.settings, n) for n in names])

    # --- generate_footage ---

    @activity.defn(name="generate_footage")
    def generate_footage(self, req: FootageRequest) -> Footage:
        meter = Meter(STAGE, req.source, self.settings.cpu_second_usd)
        if req.source in LOCAL_SOURCES:
            raise bad_input(f"{req.source}: made by make_visuals, not generate_footage")
        if req.duration_s <= 0 or req.scene < 0:
            raise bad_input(f"{req.reel_id} scene {req.scene}: duration_s {req.duration_s}:"
                            " must be positive")
        if not (req.prompt.strip() or req.keywords):
            raise bad_input(f"{req.reel_id} scene {req.scene}: no prompt and no keywords")
        source = self.source(req.source)
        missing = source.missing()
        if missing:
            raise not_configured(f"{req.source}: not configured: {missing}")
        key = (req.reel_id, req.scene, req.source, req.variant)
        row = self.ledger.footage_job(*key)
        if row is not None and row.status == "done" and row.uri and _exists(row.uri):
            return self._footage(req, row, meter)
        if row is None or row.status == "abandoned" or not row.job_id:
            row = self._submit(source, req, row)
        job = self._wait(source, req, row)
        dest = self._dest(req, job)
        try:
            source.download(job, dest)
        except Expired as expired:
            if not source.refreshes_urls:
                self._abandon(row, f"{expired}; the output is gone, a retry submits a new job")
            job = source.poll(row.job_id)  # a finished job hands out fresh URLs
            try:
                source.download(job, dest)
            except Expired as again:
                self._abandon(row, f"{again} even after a fresh poll")
        line = self.settings.visuals.sources[req.source]
        seconds = clip_seconds(line, job.kind, req.duration_s)
        usd = job.usd if job.usd is not None else table_price(line, job.kind, seconds)
        row = self.ledger.save_footage_job(*key, status="done", uri=to_uri(dest),
                                           usd=round(usd, 6), what=job.what,
                                           attribution=job.attribution, shows=job.shows[:500])
        heartbeat({"job": row.job_id, "state": "downloaded"})
        return self._footage(req, row, meter)

    def _submit(self, source: FootageSource, req: FootageRequest,
                row: FootageJobRow | None) -> FootageJobRow:
        heartbeat({"state": "submitting"})
        job_id = source.submit(req)
        # Stored before any wait: a crash from here on polls this job instead of paying again.
        return self.ledger.save_footage_job(
            req.reel_id, req.scene, req.source, req.variant, job_id=job_id,
            status="submitted", submitted_at=datetime.now(UTC), uri="", usd=0.0,
            submissions=(row.submissions if row else 0) + 1)

    def _wait(self, source: FootageSource, req: FootageRequest, row: FootageJobRow) -> Job:
        bound = self.settings.visuals.max_wait_minutes * 60
        while True:
            raise_if_cancelled()
            job = source.poll(row.job_id)
            heartbeat({"job": row.job_id, "state": job.state, "progress": job.progress})
            if job.state == "done":
                return job
            if job.state == "failed":
                assert job.error is not None
                if job.error.non_retryable:
                    self.ledger.save_footage_job(req.reel_id, req.scene, req.source,
                                                 req.variant, status="refused",
                                                 note=job.error.message)
                    raise job.error
                self._abandon(row, job.error.message)
            age = (datetime.now(UTC) - _aware(row.submitted_at)).total_seconds()
            if age > bound:
                source.cancel(row.job_id)
                self._abandon(row, f"{req.source}: job {row.job_id} not finished after"
                                   f" {age / 60:.1f} min (bound {bound / 60:g} min)")
            wait(self.settings.visuals.poll_seconds)

    def _abandon(self, row: FootageJobRow, reason: str) -> NoReturn:
        """Give the job up: the next attempt submits a new one."""
        self.ledger.save_footage_job(row.reel_id, row.scene, row.source, row.variant,
                                     status="abandoned", note=reason[:500])
        raise provider_unavailable(reason)

    def _dest(self, req: FootageRequest, job: Job) -> Path:
        suffix = ".jpg" if job.kind == "still" else ".mp4"
        safe = req.source.replace("/", "_")
        folder = self.store.reel_dir(req.reel_id) / "footage"
        folder.mkdir(exist_ok=True)
        return folder / f"scene-{req.scene}-{safe}-{req.variant}{suffix}"

    def _footage(self, req: FootageRequest, row: FootageJobRow, meter: Meter) -> Footage:
        kind = "still" if row.uri.endswith(".jpg") else "video"
        seconds = clip_seconds(self.settings.visuals.sources[req.source], kind, req.duration_s)
        meter.extra_usd = row.usd
        return Footage(
            clip=SceneClip(uri=row.uri, duration_s=seconds, kind=kind,
                           source=f"{req.source}: {row.what or row.job_id}",
                           attribution=row.attribution, shows=shown_words(req, row.shows)),
            source=req.source, usd=row.usd, job_id=row.job_id, cost=meter.cost())


def _exists(uri: str) -> bool:
    return uri.startswith("file://") and Path(uri.removeprefix("file://")).is_file()
