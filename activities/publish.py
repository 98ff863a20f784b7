"""publish_reel and publish_to_platform: put the reel on each platform, at most once each.

The local-folder publisher (the default, offline) copies the MP4 and cover to
`out/<channel>/` and writes a JSON sidecar beside them. YouTube and Instagram
(`activities/publishers/`) get one `publish_to_platform` call each, so one platform waiting
for its quota never re-uploads to another. The ledger's publication row is the idempotency
guard: an intent before the upload, the platform id right after; a retry that finds a
finished row returns it instead of publishing again, and a retry that finds only the
intent tells the publisher to resume or look for the earlier post.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from temporalio import activity

from activities.artifacts import to_path, to_uri
from activities.errors import bad_input
from activities.ledger import Ledger
from activities.metering import Meter
from activities.progress import heartbeat
from activities.publishers import PlatformPublisher
from workflows.contracts import (
    PlatformPublishRequest,
    Publication,
    PublishRequest,
    PublishResult,
)


class Publisher(Protocol):
    platform: str

    def publish(self, req: PublishRequest, sidecar: dict[str, object]) -> Publication: ...


def reel_slug(reel_id: str) -> str:
    """reel/demo/2026-11-23/4 -> demo-2026-11-23-4"""
    return re.sub(r"[^A-Za-z0-9._-]", "-", reel_id.removeprefix("reel/"))


def _atomic_copy(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)  # a crash never leaves a half-written reel under its final name


class LocalFolderPublisher:
    platform = "local"

    def publish(self, req: PublishRequest, sidecar: dict[str, object]) -> Publication:
        folder = Path(req.out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        slug = reel_slug(req.reel_id)
        video = folder / f"{slug}.mp4"
        _atomic_copy(to_path(req.video_uri), video)
        if req.cover_uri:
            _atomic_copy(to_path(req.cover_uri), folder / f"{slug}.jpg")
        return Publication(platform="local", external_id=slug, url=to_uri(video))


def sidecar_of(req: PublishRequest) -> dict[str, object]:
    return {
        "reel_id": req.reel_id,
        "channel": req.channel,
        "title": req.title,
        "description": req.description,
        "hashtags": req.hashtags,
        "topic": req.topic,
        "topic_facts": req.topic_facts,
        "topic_links": req.topic_links,
        "costs": [asdict(c) for c in req.costs],
        "total_usd": round(sum(c.usd for c in req.costs), 6),
        "stage_seconds": req.stage_seconds,
        "quality": asdict(req.quality),
        "quality_remedies": req.remedies,
        "credits": req.credits,  # stock footage attribution, also in the description
        "visual_decisions": [asdict(d) for d in req.visual_decisions],
        # What each scene shows: its source, icons and relevance (cosine of its text with
        # what it shows; -1 = not scored), and the reel's mean over the scored scenes.
        "scenes": [{"scene": k, "kind": c.kind, "source": c.source, "icons": c.icons,
                    "relevance": c.relevance, "note": c.note}
                   for k, c in enumerate(req.scenes_shown)],
        "relevance": _mean_relevance(req),
    }


def _mean_relevance(req: PublishRequest) -> float:
    scored = [c.relevance for c in req.scenes_shown if c.relevance >= 0]
    return round(sum(scored) / len(scored), 4) if scored else -1.0


class PublishActivities:
    def __init__(self, ledger: Ledger, cpu_second_usd: float,
                 platforms: dict[str, PlatformPublisher] | None = None) -> None:
        self.ledger = ledger
        self.cpu_second_usd = cpu_second_usd
        self.publishers: dict[str, Publisher] = {"local": LocalFolderPublisher()}
        self.platforms = platforms or {}

    @activity.defn(name="publish_to_platform")
    def publish_to_platform(self, req: PlatformPublishRequest) -> Publication:
        publisher = self.platforms.get(req.platform)
        if publisher is None:
            raise bad_input(f"channel {req.channel}: platforms: {req.platform!r} has no"
                            " publisher on this worker")
        heartbeat({"platform": req.platform})
        # An intent row left by an earlier attempt (or worker) means a post may exist.
        retrying = any(row.platform == req.platform for row in
                       self.ledger.publications(req.reel_id))
        done = self.ledger.publication_intent(req.reel_id, req.platform)
        if done is not None:
            return done
        done = publisher.publish(req, retrying=retrying)
        self.ledger.publication_done(req.reel_id, req.platform, done.external_id, done.url)
        return done

    @activity.defn(name="publish_reel")
    def publish_reel(self, req: PublishRequest) -> PublishResult:
        meter = Meter("publish", "+".join(req.platforms) or "sidecar", self.cpu_second_usd)
        unknown = [p for p in req.platforms if p not in self.publishers]
        if unknown:
            raise bad_input(f"channel {req.channel}: platforms: {unknown} not available")
        sidecar = sidecar_of(req)
        publications = []
        for platform in req.platforms:
            heartbeat({"platform": platform})
            done = self.ledger.publication_intent(req.reel_id, platform)
            if done is None:
                done = self.publishers[platform].publish(req, sidecar)
                self.ledger.publication_done(req.reel_id, platform, done.external_id, done.url)
            publications.append(done)
        publications += req.published  # local first: `monolathe demo` prints urls[0] as a path
        sidecar["publications"] = [asdict(p) for p in publications]
        folder = Path(req.out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{reel_slug(req.reel_id)}.json"
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps(sidecar, indent=2))
        os.replace(tmp, path)
        return PublishResult(publications, to_uri(path), meter.cost())
