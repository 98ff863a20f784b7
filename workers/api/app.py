"""The FastAPI application: jobs (one-off reels), review answers, presets, estimates, channel
control, a WebSocket stream of a job's progress, its files, and the review page at `/`.

It holds no state: every answer comes from Temporal or the ledger (workers/jobs.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware
from temporalio.client import Client
from temporalio.service import RPCError

from activities.config import Settings
from workers.api import page
from workers.api.guard import COOKIE, Guard, allowed_hosts, caller_of
from workers.api.models import EstimateRequest, JobCreated, JobRequest, LoginBody, ReviewBody
from workers.api.service import CONTROLS, FINAL, ApiRefusal, Factory
from workers.api.tokens import Principal, Tokens
from workers.jobs import JobError, Jobs, check_reel_id

STREAM_POLL_S = 0.5


def create_app(settings: Settings, client: Client, tokens: Tokens | None,
               host: str = "127.0.0.1") -> FastAPI:
    """`tokens` None: authentication is off (allowed only on a loopback address). `host`: the
    address served, whose names are the only Host headers answered."""
    app = FastAPI(title="monolathe", version="1",
                  description="One-off reels, human review and channel control over Temporal.")
    factory = Factory(settings, client)
    jobs = factory.jobs
    # Added last = runs first: the Host check, then the guard (see workers/api/guard.py).
    app.add_middleware(Guard, tokens=tokens, max_body_bytes=settings.api.max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, www_redirect=False,
                       allowed_hosts=allowed_hosts(host, settings.api.allowed_hosts))

    def principal(request: Request | WebSocket) -> Principal | None:
        return caller_of(request).who

    def need(role: str) -> Callable[[Request], Principal]:
        def check(request: Request) -> Principal:
            who = principal(request)
            if who is None:
                raise ApiRefusal(401, "a bearer token is required (Authorization: Bearer ...)")
            if not who.may(role):
                raise ApiRefusal(403, f"token {who.name!r} is a {who.role}; this needs {role}")
            return who
        return check

    viewer, operator = Depends(need("viewer")), Depends(need("operator"))

    @app.exception_handler(ApiRefusal)
    async def _refused(_request: Request, exc: ApiRefusal) -> JSONResponse:
        body = {"error": exc.message, **({"field": exc.field} if exc.field else {})}
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(JobError)
    async def _job_error(_request: Request, exc: JobError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(RPCError)
    async def _temporal_down(_request: Request, exc: RPCError) -> JSONResponse:
        return JSONResponse({"error": f"Temporal at {settings.address}: {exc.message}"},
                            status_code=503)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body",
                     "message": e["msg"]} for e in exc.errors()]
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse({"error": text, "fields": problems}, status_code=422)

    # --- jobs ---

    @app.post("/jobs", status_code=201, response_model=JobCreated)
    async def create_job(body: JobRequest, who: Principal = operator) -> JobCreated:
        return await factory.create_reel(body)

    @app.get("/jobs")
    async def list_jobs(who: Principal = viewer) -> dict[str, Any]:
        """Reels waiting for a person, oldest first."""
        return await factory.awaiting_review()

    @app.get("/jobs/{reel_id:path}/manifest")
    async def manifest(reel_id: str, who: Principal = viewer) -> dict[str, Any]:
        return await factory.manifest(reel_id)

    async def _file(reel_id: str, kind: str) -> FileResponse:
        path = await _artifact(jobs, settings, reel_id, kind)
        media = "video/mp4" if kind == "video" else "image/jpeg"
        return FileResponse(path, media_type=media)

    @app.get("/jobs/{reel_id:path}/video", response_class=FileResponse)
    async def video(reel_id: str, who: Principal = viewer) -> FileResponse:
        """The composed MP4; answers Range requests (206) so a player can seek."""
        return await _file(reel_id, "video")

    @app.get("/jobs/{reel_id:path}/cover", response_class=FileResponse)
    async def cover(reel_id: str, who: Principal = viewer) -> FileResponse:
        return await _file(reel_id, "cover")

    def _answer(decision: str) -> Callable[..., Awaitable[dict[str, Any]]]:
        async def answer(reel_id: str, body: ReviewBody | None = None,
                         who: Principal = operator) -> dict[str, Any]:
            return await factory.answer(reel_id, decision, (body or ReviewBody()).text,
                                        who.name)
        answer.__name__ = decision
        return answer

    for decision in ("approve", "reject", "revise"):
        app.post(f"/jobs/{{reel_id:path}}/{decision}", name=decision,
                 summary=f"{decision} a reel awaiting review")(_answer(decision))

    @app.get("/jobs/{reel_id:path}")
    async def job(reel_id: str, who: Principal = viewer) -> dict[str, Any]:
        return await factory.reel(reel_id)

    @app.websocket("/ws/jobs/{reel_id:path}")
    async def stream(socket: WebSocket, reel_id: str) -> None:
        """A message each time the job's status, stage or review changes, until it ends."""
        who = principal(socket)
        if who is None:
            await socket.close(code=4401, reason="a bearer token is required")
            return
        await socket.accept()
        last = None
        try:
            while True:
                try:
                    view = asdict(await jobs.view(reel_id))
                except JobError as exc:
                    await socket.send_json({"error": str(exc)})
                    break
                key = json.dumps([view["status"], view["stage"], view["review"]], default=str)
                if key != last:
                    await socket.send_json(view)
                    last = key
                if view["status"] in FINAL:
                    break
                await asyncio.sleep(STREAM_POLL_S)
            await socket.close()
        except WebSocketDisconnect:
            pass

    # --- presets, estimates, channels ---

    @app.get("/presets")
    async def presets(who: Principal = viewer) -> dict[str, Any]:
        return await factory.presets()

    @app.post("/cost-estimate")
    async def cost_estimate(body: EstimateRequest, who: Principal = viewer) -> dict[str, Any]:
        """One reel's cost by source and stage: the price tables of temporal.yaml, and the
        ledger's measured figures once reels have run (`basis` says which)."""
        return await factory.estimate(body)

    @app.get("/channels")
    async def channels(who: Principal = viewer) -> dict[str, Any]:
        return await factory.channels()

    @app.get("/channels/{name}/trends")
    async def trends(name: str, who: Principal = viewer) -> dict[str, Any]:
        """The channel's ranked topic queue and its trend sources' last runs."""
        return await asyncio.to_thread(factory.trends, name)

    @app.get("/channels/{name}/reels")
    async def recent_reels(name: str, who: Principal = viewer) -> dict[str, Any]:
        """The channel's last reels in the ledger, newest first."""
        return await asyncio.to_thread(factory.recent_reels, name)

    @app.get("/channels/{name}/performance")
    async def performance(name: str, days: int = 28, who: Principal = viewer) -> dict[str, Any]:
        """Views, retention and cost per 1,000 views of the channel's reels."""
        return await asyncio.to_thread(factory.performance, name, days)

    def _control(action: str) -> Callable[..., Awaitable[dict[str, Any]]]:
        async def control(name: str, who: Principal = operator) -> dict[str, Any]:
            return await factory.control(name, action)
        control.__name__ = action
        return control

    for action in CONTROLS:
        app.post(f"/channels/{{name}}/{action}", name=action,
                 summary=f"{action} a channel")(_control(action))

    # --- the review page ---

    @app.post("/login", include_in_schema=False)
    async def login(request: Request, body: LoginBody) -> JSONResponse:
        if tokens is not None and tokens.find(body.token) is None:
            raise ApiRefusal(401, "unknown token", "token")
        response = JSONResponse({"ok": True})
        # https: uvicorn's TLS, or a local TLS proxy's X-Forwarded-Proto.
        response.set_cookie(COOKIE, body.token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def review_page(request: Request) -> HTMLResponse:
        who = principal(request)
        if who is None:
            return HTMLResponse(page.login_page(), status_code=401)
        waiting = await jobs.awaiting_review()
        manifests = await asyncio.gather(*(jobs.manifest(j.id) for j in waiting),
                                         return_exceptions=True)
        statuses = (await factory.channels())["channels"]
        today = {name: jobs.reels_today(name) for name in factory.channel_names()}
        audience = await asyncio.to_thread(_audience, factory)
        return HTMLResponse(page.review_page(who, list(zip(waiting, manifests, strict=True)),
                                             list(statuses), today, audience))

    return app


def _audience(factory: Factory) -> dict[str, dict[str, Any]]:
    """Each channel's performance report for the page; a channel the API refuses by name
    (its file's name is not a channel name) just has no panel."""
    reports = {}
    for name in factory.channel_names():
        try:
            reports[name] = factory.performance(name, page.AUDIENCE_DAYS)
        except ApiRefusal:
            continue
    return reports


async def _artifact(jobs: Jobs, settings: Settings, reel_id: str, kind: str) -> Path:
    """The reel's file, only from the artifact store or the output folder."""
    check_reel_id(reel_id)
    uri = ""
    try:
        made = (await jobs.manifest(reel_id)).get("composed") or {}
        uri = made.get(f"{kind}_uri", "")
    except JobError:
        uri = jobs.asset_uri(reel_id, kind)
    path = Path(uri.removeprefix("file://")).resolve() if uri.startswith("file://") else None
    roots = [settings.artifacts_dir.resolve(), settings.out_dir.resolve()]
    if path is None or not any(path.is_relative_to(r) for r in roots) or not path.is_file():
        raise JobError(f"job {reel_id}: no {kind} file yet", 404)
    return path
