"""What the API's routes and the MCP server's tools do, once: one-off reels, review answers,
presets, estimates, channel status and control, the topic queue.

Each method takes the request models of workers/api/models.py and answers plain dicts, or
raises ApiRefusal (a refusal with its HTTP status and the field it is about) or JobError.
Nothing here knows about HTTP or MCP; both only translate.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from sqlmodel import select
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.config import ConfigError, Settings, load_channel
from activities.ledger import ReelRow
from activities.topics import find_topic
from workers.api import page
from workers.api.models import EstimateRequest, JobCreated, JobRequest, is_channel_name
from workers.jobs import ANSWERS, QUERY_TIMEOUT, Jobs, start_reel
from workflows.contracts import ChannelConfig, ChannelStatus, ReviewAnswer, ReviewConfig

CONTROLS = ("pause", "resume", "kill")
FINAL = ("published", "rejected", "failed", "cancelled", "terminated", "timed-out")


class ApiRefusal(Exception):
    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class Factory:
    def __init__(self, settings: Settings, client: Client) -> None:
        self.settings, self.client = settings, client
        self.jobs = Jobs(client, settings)

    def channel_names(self) -> list[str]:
        return sorted(p.stem for p in self.settings.channels_dir.glob("*.yaml"))

    def channel_config(self, name: str, field: str = "channel") -> ChannelConfig:
        try:
            return load_channel(self.settings, name)
        except ConfigError as exc:
            raise ApiRefusal(400 if "not found" not in str(exc) else 404, str(exc), field) \
                from None

    def known_channel(self, name: str, field: str = "name") -> str:
        if not is_channel_name(name) or name not in self.channel_names():
            raise ApiRefusal(404, f"channel {name!r}: no channels/{name}.yaml", field)
        return name

    # --- reels ---

    async def create_reel(self, body: JobRequest) -> JobCreated:
        config = self.channel_config(body.channel)
        if body.preset and body.preset != body.channel:
            preset = self.channel_config(body.preset, "preset")
            config.look, config.voice = preset.look, preset.voice
        if body.review != "channel":
            config.review = ReviewConfig(**{**asdict(config.review), "mode": body.review})
        try:
            topic = find_topic(config, body.topic, [f for f in body.facts if f.strip()])
        except ApplicationError as exc:
            raise ApiRefusal(400, exc.message, "facts" if body.facts else "topic") from None
        handle = await start_reel(self.client, self.settings, config, topic, self.jobs.ledger)
        return JobCreated(id=handle.id, status_url=f"/jobs/{handle.id}",
                          stream_url=f"/ws/jobs/{handle.id}")

    async def reel(self, reel_id: str) -> dict[str, Any]:
        return asdict(await self.jobs.view(reel_id))

    async def manifest(self, reel_id: str) -> dict[str, Any]:
        return await self.jobs.manifest(reel_id)

    async def awaiting_review(self) -> dict[str, Any]:
        """Reels waiting for a person, oldest first."""
        return {"awaiting_review": [asdict(j) for j in await self.jobs.awaiting_review()]}

    async def answer(self, reel_id: str, decision: str, text: str, by: str) -> dict[str, Any]:
        if decision not in ANSWERS:
            raise ApiRefusal(400, f"decision: {decision!r} is not one of {', '.join(ANSWERS)}")
        state = await self.jobs.answer(reel_id, decision, ReviewAnswer(text, by=by))
        return {"id": reel_id, "review": asdict(state)}

    def recent_reels(self, name: str, limit: int = 20) -> dict[str, Any]:
        """The channel's last reels in the ledger, newest first."""
        self.known_channel(name)
        with self.jobs.ledger.session() as s:
            rows = list(s.exec(select(ReelRow).where(ReelRow.channel == name)
                               .order_by(ReelRow.updated_at.desc())  # type: ignore[attr-defined]
                               .limit(limit)))
        return {"channel": name, "reels": [
            {"id": r.id, "topic": r.topic, "title": r.title, "status": r.status,
             "total_usd": r.total_usd, "error": r.error, "updated_at": r.updated_at.isoformat()}
            for r in rows]}

    # --- presets, estimates ---

    async def presets(self) -> dict[str, Any]:
        found, problems = [], {}
        for name in self.channel_names():
            try:
                found.append(page.preset_of(load_channel(self.settings, name)))
            except ConfigError as exc:
                problems[name] = str(exc)
        return {"presets": found, "invalid": problems}

    async def estimate(self, body: EstimateRequest) -> dict[str, Any]:
        config = self.channel_config(body.channel)
        if body.preset:
            self.channel_config(body.preset, "preset")
        topic = None
        if body.topic:
            try:
                topic = find_topic(config, body.topic, [f for f in body.facts if f.strip()])
            except ApplicationError as exc:
                raise ApiRefusal(400, exc.message, "facts" if body.facts else "topic") \
                    from None
        return await self.jobs.cached_estimate(body.channel, body.preset or "", topic)

    # --- channels ---

    async def channel_status(self, name: str) -> dict[str, Any]:
        try:
            status = await self.client.get_workflow_handle(f"channel/{name}").query(
                "status", result_type=ChannelStatus, rpc_timeout=QUERY_TIMEOUT)
        except RPCError:
            return {"channel": name, "running": False}
        return {"running": not status.killed and status.waiting_for not in ("done", "killed"),
                **asdict(status)}

    async def channels(self) -> dict[str, Any]:
        names = self.channel_names()
        return {"channels": list(await asyncio.gather(*map(self.channel_status, names)))}

    async def control(self, name: str, action: str) -> dict[str, Any]:
        self.known_channel(name)
        if action not in CONTROLS:
            raise ApiRefusal(400, f"action: {action!r} is not one of {', '.join(CONTROLS)}")
        try:
            await self.client.get_workflow_handle(f"channel/{name}").signal(action)
        except RPCError as exc:
            raise ApiRefusal(409, f"channel/{name}: {exc.message}", "name") from None
        return {"channel": name, "sent": action}

    def trends(self, name: str, limit: int = 20) -> dict[str, Any]:
        """The channel's ranked topic queue (the trend scout's) and its sources' last runs."""
        from activities.trends import queue

        self.known_channel(name)
        rows, runs = queue.listing(self.jobs.ledger, name, limit)
        return {"channel": name, "waiting": queue.depth(self.jobs.ledger, name),
                "topics": [{"title": r.title, "score": r.score, "source": r.source,
                            "url": r.url, "freshness": r.freshness, "traffic": r.traffic,
                            "relevance": r.relevance, "novelty": r.novelty,
                            "performance": r.performance} for r in rows],
                "runs": [{"source": r.source, "at": r.at.isoformat(),
                          "candidates": r.candidates, "error": r.error} for r in runs]}

    def performance(self, name: str, days: int = 28) -> dict[str, Any]:
        """Views, retention and cost per 1,000 views of the channel's reels (docs/performance.md)."""
        from workers.performance_report import performance_report

        self.known_channel(name)
        if not 1 <= days <= 365:
            raise ApiRefusal(422, f"days: {days} is not between 1 and 365", "days")
        return performance_report(self.jobs.ledger, name, days,
                                  hook_styles=self.channel_config(name).hook_experiment)
