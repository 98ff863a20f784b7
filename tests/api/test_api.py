"""The HTTP API against a real dev server: every endpoint, auth refusals, bad bodies, the
WebSocket stream, range requests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import websockets

from activities.ledger import Ledger
from tests.api.stack import Api, start_serving
from workflows.contracts import ReelRecord, StageCost

pytestmark = pytest.mark.integration
FACTS = ["Cats purr at twenty five to one hundred fifty hertz, a range that helps bones heal.",
         "The vibration comes from the larynx muscles twitching many times each second.",
         "Big cats like lions cannot purr, but they can roar loudly."]


async def _job(api: Api, channel: str | None = None, **extra) -> str:
    async with api.client(api.operator) as http:
        r = await http.post("/jobs", json={"channel": channel or api.channel,
                                           "topic": "Why cats purr", "facts": FACTS, **extra})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _until(api: Api, job_id: str, *statuses: str, within: float = 60.0) -> dict:
    deadline = time.monotonic() + within
    async with api.client(api.viewer) as http:
        while time.monotonic() < deadline:
            body = (await http.get(f"/jobs/{job_id}")).json()
            if body.get("status") in statuses:
                return body
            await asyncio.sleep(0.1)
    raise AssertionError(f"{job_id} did not reach {statuses} within {within:.0f} s: {body}")


async def done_with(api: Api, job_id: str) -> None:
    """Reject a reel a test left waiting: the review queue then holds only later tests' reels."""
    async with api.client(api.operator) as http:
        r = await http.post(f"/jobs/{job_id}/reject", json={"text": "done with the check"})
    assert r.status_code == 200, r.text


async def test_job_waits_for_review_then_approve_publishes_it(api: Api):
    job_id = await _job(api)
    waiting = await _until(api, job_id, "awaiting-review")
    assert waiting["stage"] == "review" and waiting["review"]["status"] == "waiting"
    assert waiting["costs"] and waiting["channel"] == "agency"
    async with api.client(api.viewer) as http:
        listed = (await http.get("/jobs")).json()["awaiting_review"]
        assert job_id in [j["id"] for j in listed]
        manifest = (await http.get(f"/jobs/{job_id}/manifest")).json()
        assert manifest["script"]["title"] == "Why cats purr"
        assert len(manifest["clips"]) == len(manifest["script"]["scenes"])
        assert manifest["quality"]["checks"]["size"] == "ok"
        assert manifest["voice"]["duration_s"] > 0 and "estimate_usd" in manifest
        assert manifest["actual_usd"] == pytest.approx(sum(c["usd"] for c in manifest["costs"]))
        refused = await http.post(f"/jobs/{job_id}/approve", json={})
        assert refused.status_code == 403 and "viewer" in refused.json()["error"]
    async with api.client(api.operator) as http:
        r = await http.post(f"/jobs/{job_id}/approve", json={})
        assert r.status_code == 200 and r.json()["review"]["by"] == "ana"
        again = await http.post(f"/jobs/{job_id}/reject", json={"text": "late"})
        assert again.status_code == 409 and "approve already answered" in again.json()["error"]
    done = await _until(api, job_id, "published")
    assert done["urls"] and Path(done["urls"][0].removeprefix("file://")).is_file()
    async with api.client(api.viewer) as http:  # a finished reel's manifest: from its result
        manifest = (await http.get(f"/jobs/{job_id}/manifest")).json()
    assert manifest["stage"] == "done" and manifest["review"]["decision"] == "approve"


async def test_reject_and_revise(api: Api):
    rejected, revised = await _job(api), await _job(api)
    await _until(api, rejected, "awaiting-review")
    await _until(api, revised, "awaiting-review")
    async with api.client(api.operator) as http:
        empty = await http.post(f"/jobs/{rejected}/reject", json={"text": ""})
        assert empty.status_code == 409 and "reason" in empty.json()["error"]
        r = await http.post(f"/jobs/{rejected}/reject", json={"text": "wrong tone"})
        assert r.status_code == 200
        r = await http.post(f"/jobs/{revised}/revise", json={"text": "title: Purring cats"})
        assert r.status_code == 200 and r.json()["review"]["status"] == "revising"
    done = await _until(api, rejected, "rejected")
    assert done["error"] == "wrong tone" and done["urls"] == [] and done["total_usd"] > 0
    again = await _until(api, revised, "awaiting-review")
    assert again["review"]["revisions"] == 1
    async with api.client(api.viewer) as http:
        manifest = (await http.get(f"/jobs/{revised}/manifest")).json()
    assert manifest["script"]["title"] == "Purring cats"
    async with api.client(api.operator) as http:
        assert (await http.post(f"/jobs/{revised}/approve")).status_code == 200


async def test_auth_refusals(api: Api):
    async with api.client() as http:
        r = await http.get("/channels")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "bearer token" in r.json()["error"]
        page = await http.get("/")
        assert page.status_code == 401 and "API token" in page.text
        assert (await http.get("/docs")).status_code == 200
        assert "/jobs" in (await http.get("/openapi.json")).json()["paths"]
    async with api.client("not-a-token") as http:
        assert (await http.get("/presets")).status_code == 401
        # a token in the URL is for WebSockets only (URLs end up in logs)
        assert (await http.get(f"/presets?token={api.viewer}")).status_code == 401
    async with api.client(api.viewer) as http:
        for path, body in (("/jobs", {"channel": "agency", "topic": "x y z"}),
                           ("/channels/agency/pause", None)):
            r = await http.post(path, json=body)
            assert r.status_code == 403, (path, r.text)


async def test_bad_bodies_get_errors_naming_the_field(api: Api):
    async with api.client(api.operator) as http:
        r = await http.post("/jobs", json={"topic": "ab", "colour": "red"})
        assert r.status_code == 422
        fields = {f["field"] for f in r.json()["fields"]}
        assert {"channel", "topic", "colour"} <= fields
        assert "channel: Field required" in r.json()["error"]
        r = await http.post("/jobs", json={"channel": "nope", "topic": "Why cats purr"})
        assert r.status_code == 404 and r.json()["field"] == "channel"
        assert "nope.yaml" in r.json()["error"]
        r = await http.post("/jobs", json={"channel": "agency", "topic": "Unknown thing"})
        assert r.status_code == 400 and r.json()["field"] == "topic"
        r = await http.post("/jobs", content=b"{not json", headers={
            "Content-Type": "application/json"})
        assert r.status_code == 422 and "JSON" in r.json()["error"]
        r = await http.post("/jobs", json={"channel": "agency", "topic": "Why cats purr",
                                           "facts": FACTS, "review": "maybe"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "review"
        r = await http.get("/jobs/channel/agency")
        assert r.status_code == 404 and "not a reel id" in r.json()["error"]
        r = await http.get("/jobs/reel/agency/2001-01-01/9")
        assert r.status_code == 404


async def test_presets_estimate_and_channel_control(api: Api):
    Ledger(api.settings.ledger_url).record_reel(ReelRecord(
        "reel/open/2001-01-01/1", "open", "t", "t", "published", "", {},
        [StageCost("compose", "libx264", 10, 10, 0.002), StageCost("voice", "piper", 2, 2,
                                                                    0.001)], []))
    async with api.client(api.viewer) as http:
        presets = (await http.get("/presets")).json()["presets"]
        assert {p["name"] for p in presets} == {"agency", "open"}
        assert presets[0]["aspect"] == "9:16" and presets[0]["voice"]["backend"] == "piper"
        estimate = (await http.post("/cost-estimate", json={"channel": "open"})).json()
        assert estimate["usd"] == pytest.approx(0.003) and estimate["reels"] >= 1
        assert estimate["by_stage"]["compose"] == pytest.approx(0.002)
        with_preset = (await http.post("/cost-estimate", json={"channel": "agency",
                                                                "preset": "open"})).json()
        assert with_preset["usd"] == pytest.approx(0.003) and "open" in with_preset["basis"]
        bad = await http.post("/cost-estimate", json={"channel": "open", "preset": "gone"})
        assert bad.status_code == 404 and bad.json()["field"] == "preset"
        channels = (await http.get("/channels")).json()["channels"]
        assert {c["channel"]: c["running"] for c in channels} == {"agency": False,
                                                                  "open": False}
    handle = await api.env.client.start_workflow(
        "ChannelWorkflow", {"channel": "open", "slot_seconds": 3600, "max_reels": 1},
        id="channel/open", task_queue=api.settings.queues.reels)
    async with api.client(api.operator) as http:
        r = await http.post("/channels/open/pause")
        assert r.status_code == 200 and r.json()["sent"] == "pause"
        for _ in range(100):
            status = next(c for c in (await http.get("/channels")).json()["channels"]
                          if c["channel"] == "open")
            if status.get("paused"):
                break
            await asyncio.sleep(0.1)
        assert status["paused"] and status["running"]
        assert (await http.post("/channels/open/resume")).status_code == 200
        assert (await http.post("/channels/open/kill")).status_code == 200
        assert (await http.post("/channels/nope/kill")).status_code == 404
    await asyncio.wait_for(handle.result(), 60)


async def test_video_and_cover_answer_range_requests(api: Api):
    job_id = await _job(api)
    await _until(api, job_id, "awaiting-review")
    async with api.client(api.viewer) as http:
        full = await http.get(f"/jobs/{job_id}/video")
        assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
        assert full.content[4:8] == b"ftyp"
        part = await http.get(f"/jobs/{job_id}/video", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == full.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
        cover = await http.get(f"/jobs/{job_id}/cover")
        assert cover.status_code == 200 and cover.content[:2] == b"\xff\xd8"
    await done_with(api, job_id)


async def test_websocket_streams_stage_changes_until_the_job_ends(api: Api):
    job_id = await _job(api, api.open_channel)
    url = api.url.replace("http", "ws") + f"/ws/jobs/{job_id}"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    assert refused.value.response.status_code == 403  # refused at the handshake
    seen = []
    async with websockets.connect(url, additional_headers={
            "Authorization": f"Bearer {api.viewer}"}) as socket:
        async with asyncio.timeout(120):  # the reel publishes in seconds
            async for message in socket:
                seen.append(json.loads(message))
    async with websockets.connect(f"{url}?token={api.viewer}") as socket:  # as a browser can
        assert json.loads(await socket.recv())["status"] == "published"
    assert seen[-1]["status"] == "published"
    assert len({m["stage"] for m in seen}) >= 2  # it followed the reel through its stages


async def test_temporal_unreachable_is_a_503_naming_it(api: Api, tmp_path: Path):
    import sys

    import uvicorn
    from temporalio.testing import WorkflowEnvironment

    from workers.api.app import create_app

    # a client whose server went away
    gone = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        dev_server_log_level="error")
    client = gone.client
    await gone.shutdown()
    app = create_app(api.settings, client, None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    serving, url = await start_serving(server)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            r = await http.get("/jobs/reel/agency/2026-01-01/1")
            assert r.status_code == 503 and "Temporal at" in r.json()["error"]
            r = await http.post("/jobs", json={"channel": "agency", "topic": "Why cats purr",
                                               "facts": FACTS})
            assert r.status_code == 503
    finally:
        server.should_exit = True
        await serving


async def test_a_reel_no_worker_answers_for_leaves_the_queue_listed(api: Api, monkeypatch):
    # A reel on a queue nobody polls (its worker is down) cannot answer a query: the review
    # queue is listed without it once the query times out, instead of waiting for it.
    monkeypatch.setattr("workers.jobs.QUERY_TIMEOUT", timedelta(seconds=1))
    job_id = await _job(api)
    await _until(api, job_id, "awaiting-review")
    stuck = await api.env.client.start_workflow(
        "ReelWorkflow", "never run", id=f"reel/agency/2026-01-01/{uuid.uuid4().hex[:6]}",
        task_queue=f"nobody-{uuid.uuid4().hex[:6]}")
    try:
        async with api.client(api.viewer) as http:
            started = time.monotonic()
            listed = (await http.get("/jobs")).json()["awaiting_review"]
            assert time.monotonic() - started < 10
        ids = [j["id"] for j in listed]
        assert job_id in ids and stuck.id not in ids
        async with api.client(api.viewer) as http:
            view = (await http.get(f"/jobs/{stuck.id}")).json()
        assert view.get("status") == "running" and "no worker answered" in view["error"], view
    finally:
        await stuck.terminate("test over")
    await done_with(api, job_id)


async def test_channel_performance_reads_the_ledger_s_figures(api: Api):
    from datetime import UTC, datetime, timedelta

    from activities.ledger import Ledger
    from activities.ledger_tables import PublicationRow, ReelRow
    from activities.performance import ReelMetrics
    from activities.performance.store import record
    from workflows.contracts import PublishedReel

    ledger = Ledger(api.settings.ledger_url)
    at = datetime.now(UTC) - timedelta(hours=30)
    reel_id = "reel/agency/2026-01-01/9"
    with ledger.session() as s:
        s.add(ReelRow(id=reel_id, channel="agency", day="2026-01-01", title="Nine",
                      status="published", total_usd=0.2))
        s.add(PublicationRow(reel_id=reel_id, platform="youtube", status="published",
                             external_id="v9", published_at=at))
    reel = PublishedReel(reel_id, "youtube", "v9", at.isoformat())
    record(ledger, "agency", "youtube", [reel], [ReelMetrics(reel_id, "v9", views=400)],
           datetime.now(UTC))
    async with api.client(api.viewer) as http:
        answer = (await http.get("/channels/agency/performance?days=7")).json()
        assert answer["totals"]["views"] == 400
        [line] = [r for r in answer["reels"] if r["reel_id"] == reel_id]
        assert line["views"] == 400 and line["usd_per_1k_views"] == 0.5
        assert answer["hooks"] is None  # the channel runs no hook experiment
        missing = await http.get("/channels/nobody/performance")
        assert missing.status_code == 404 and "nobody" in missing.json()["error"]
        assert (await http.get("/channels/agency/performance?days=0")).status_code == 422
