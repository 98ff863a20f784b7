"""Loopback fakes of the footage providers, speaking each one's HTTP protocol to its real SDK.

- Runway   POST /v1/text_to_video, /v1/image_to_video; GET/DELETE /v1/tasks/{id}
- Veo      POST /v1beta/models/{model}:predictLongRunning; GET /v1beta/{operation name};
           GET /v1beta/files/{id}:download?alt=media (the URI shape the Gemini API hands out)
- Replicate POST /v1/models/{owner}/{name}/predictions; GET /v1/predictions/{id}; .../cancel
- Pexels   GET /videos/search, /v1/search, /videos/videos/{id}, /v1/photos/{id}
- Pixabay  GET /api/videos/?q= or ?id=, /api/?q= or ?id= (images)
- outputs  GET /outputs/{token}/{name}: the clip or still (each poll signs a new token)

Every fake counts submissions (`submissions`) and takes faults by kind: `submit`, `poll`,
`download` (an HTTP status, or "cut" to send half the file and close) and job outcomes set
with `next_outcomes`: ok, safety, bad-output, never (a job that stays running).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from tests.fakes.server import FakeServer, Fault, Request, Response


@dataclass
class FakeJob:
    id: str
    outcome: str  # ok | safety | bad-output | never
    kind: str  # video | still
    polls: int = 0
    seconds: float = 5.0


class FootageFake(FakeServer):
    """What every provider fake shares: jobs, outcomes, signed output URLs, faults."""

    polls_to_finish = 2

    def __init__(self, cert: Any, video: bytes, still: bytes) -> None:
        super().__init__(cert)
        self.video, self.still = video, still
        self.jobs: dict[str, FakeJob] = {}
        self.submissions = 0
        self.downloads = 0
        self.next_outcomes: list[str] = []
        self.expired_tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)
        self._jobs_lock = threading.Lock()

    def new_job(self, kind: str = "video", seconds: float = 5.0) -> FakeJob:
        with self._jobs_lock:
            self.submissions += 1
            outcome = self.next_outcomes.pop(0) if self.next_outcomes else "ok"
            job = FakeJob(f"job{next(self._ids):04d}", outcome, kind, seconds=seconds)
            self.jobs[job.id] = job
            return job

    def advance(self, job: FakeJob) -> str:
        """running | done | failed after this poll."""
        job.polls += 1
        if job.outcome == "never" or job.polls < self.polls_to_finish:
            return "running"
        return "done" if job.outcome == "ok" else "failed"

    def output_url(self, job: FakeJob) -> str:
        name = "still.jpg" if job.kind == "still" else "clip.mp4"
        return f"{self.url}/outputs/t{next(self._tokens)}/{job.id}/{name}"

    def serve_output(self, req: Request) -> Response:
        _, _, token, job_id, name = req.path.split("/", 4)
        body = self.still if name.endswith(".jpg") else self.video
        fault = self.fault("download")
        if fault and fault.action == "cut":
            return Response(200, body, cut_at=len(body) // 2)
        if fault:
            self.expired_tokens.add(token)
        if token in self.expired_tokens or job_id not in self.jobs:
            return Response(403, b"<Error><Code>AccessDenied</Code>Request has expired</Error>")
        self.downloads += 1
        return Response(200, body)

    def error(self, status: int, message: str) -> Response:
        return Response(status, {"error": message})

    def apply(self, fault: Fault) -> Response:
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        response = self.error(int(fault.action), fault.reason or "fault")
        response.headers.update(headers)
        return response

    def handle(self, req: Request) -> Response:
        if req.path.startswith("/outputs/"):
            return self.serve_output(req)
        kind = self.kind_of(req)
        fault = self.fault(kind) if kind else None
        if fault:
            return self.apply(fault)
        return self.route(req)

    def kind_of(self, req: Request) -> str:
        raise NotImplementedError

    def route(self, req: Request) -> Response:
        raise NotImplementedError


class FakeRunway(FootageFake):
    CREDITS_PER_SECOND: ClassVar[dict[str, int]] = {"gen4.5": 12, "gen4_turbo": 5}
    last_body: ClassVar[dict[str, Any]] = {}

    def kind_of(self, req: Request) -> str:
        return "submit" if req.method == "POST" else "poll"

    def route(self, req: Request) -> Response:
        import json

        if req.headers.get("Authorization") != "Bearer runway-key":
            return self.error(401, "Invalid API key")
        if not req.headers.get("X-Runway-Version"):
            return self.error(400, "X-Runway-Version header is required")
        if req.method == "POST" and req.path in ("/v1/text_to_video", "/v1/image_to_video"):
            body = json.loads(req.read() or b"{}")
            self.last_body = body
            if req.path == "/v1/image_to_video" and not str(body.get("promptImage", "")
                                                             ).startswith(("https://", "data:")):
                return self.error(400, "promptImage must be an HTTPS URL or a data URI")
            if body.get("ratio") not in ("720:1280", "1280:720"):
                return self.error(400, f"ratio {body.get('ratio')!r} is not allowed")
            job = self.new_job(seconds=float(body.get("duration", 5)))
            job.model = body.get("model", "")  # type: ignore[attr-defined]
            return Response(200, {"id": job.id})
        job_id = req.path.rsplit("/", 1)[-1]
        job = self.jobs.get(job_id)
        if job is None:
            return self.error(404, "Task not found")
        if req.method == "DELETE":
            job.outcome = "cancelled"
            return Response(204, b"")
        common = {"id": job.id, "createdAt": "2026-11-25T10:00:00.000Z"}
        if job.outcome == "cancelled":
            return Response(200, {**common, "status": "CANCELLED", "cost": {"credits": 0}})
        state = self.advance(job)
        credits = int(job.seconds * self.CREDITS_PER_SECOND.get(
            getattr(job, "model", "gen4.5"), 12))
        if state == "running":
            return Response(200, {**common, "status": "RUNNING", "progress": 0.5,
                                  "estimatedCost": {"credits": credits}})
        if state == "done":
            return Response(200, {**common, "status": "SUCCEEDED", "cost": {"credits": credits},
                                  "output": [self.output_url(job)]})
        code = {"safety": "SAFETY.INPUT.TEXT", "bad-output": "INTERNAL.BAD_OUTPUT.CODE01"}
        return Response(200, {**common, "status": "FAILED", "cost": {"credits": 0},
                              "failure": "The task failed", "failureCode": code[job.outcome]})


class FakeVeo(FootageFake):
    """The Gemini API's long-running video generation (Developer API, API key)."""

    def kind_of(self, req: Request) -> str:
        if req.path.endswith(":predictLongRunning"):
            return "submit"
        return "download" if ":download" in req.path else "poll"

    def handle(self, req: Request) -> Response:
        if ":download" in req.path:
            return self.download_file(req)
        return super().handle(req)

    def route(self, req: Request) -> Response:
        import json

        if req.headers.get("x-goog-api-key") != "veo-key":
            return self.error(403, "API key not valid. Please pass a valid API key.")
        if req.method == "POST" and req.path.endswith(":predictLongRunning"):
            body = json.loads(req.read() or b"{}")
            params = body.get("parameters", {})
            if params.get("aspectRatio") != "9:16":
                return self.error(400, f"aspectRatio {params.get('aspectRatio')!r}")
            model = req.path.split("/")[-1].split(":")[0]
            job = self.new_job(seconds=float(params.get("durationSeconds", 8)))
            return Response(200, {"name": f"models/{model}/operations/{job.id}"})
        job = self.jobs.get(req.path.rsplit("/", 1)[-1])
        if job is None:
            return self.error(404, "Operation not found")
        name = req.path.removeprefix("/v1beta/")
        state = self.advance(job)
        if state == "running":
            return Response(200, {"name": name, "done": False})
        if state == "failed" and job.outcome == "safety":
            return Response(200, {"name": name, "done": True, "response": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                         "PredictLongRunningResponse",
                "generateVideoResponse": {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [
                    "The prompt was blocked by our safety filters."]}}})
        if state == "failed":
            return Response(200, {"name": name, "done": True,
                                  "error": {"code": 13, "message": "Internal error"}})
        uri = f"{self.url}/v1beta/files/{job.id}:download?alt=media"
        return Response(200, {"name": name, "done": True, "response": {
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}})

    def download_file(self, req: Request) -> Response:
        if req.headers.get("x-goog-api-key") != "veo-key":
            return self.error(403, "API key not valid")
        job_id = req.path.split("/")[-1].split(":")[0]
        fault = self.fault("download")
        if fault and fault.action == "cut":
            return Response(200, self.video, cut_at=len(self.video) // 2)
        if fault or job_id not in self.jobs:  # files live two days, then 404
            return Response(404, {"error": {"code": 404, "message": "File not found",
                                            "status": "NOT_FOUND"}})
        self.downloads += 1
        return Response(200, self.video)

    def error(self, status: int, message: str) -> Response:
        names = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        return Response(status, {"error": {"code": status, "message": message,
                                           "status": names.get(status, "UNKNOWN")}})


class FakeReplicate(FootageFake):
    def kind_of(self, req: Request) -> str:
        return "submit" if req.path.endswith("/predictions") else "poll"

    def route(self, req: Request) -> Response:
        import json

        if req.headers.get("Authorization") != "Bearer r8_key":
            return self.error(401, "You did not pass a valid authentication token")
        if req.method == "POST" and req.path.endswith("/predictions"):
            model = "/".join(req.path.split("/")[3:5])
            body = json.loads(req.read() or b"{}")
            if not body.get("input", {}).get("prompt"):
                return self.error(422, "input.prompt is required")
            kind = "still" if "flux" in model else "video"
            job = self.new_job(kind)
            job.model = model  # type: ignore[attr-defined]
            return Response(201, self.prediction(job, "starting"))
        parts = req.path.split("/")
        job = self.jobs.get(parts[3]) if len(parts) > 3 else None
        if job is None:
            return self.error(404, "Prediction not found")
        if req.path.endswith("/cancel"):
            job.outcome = "canceled"
            return Response(200, self.prediction(job, "canceled"))
        if job.outcome == "canceled":
            return Response(200, self.prediction(job, "canceled"))
        state = self.advance(job)
        status = {"running": "processing", "done": "succeeded", "failed": "failed"}[state]
        return Response(200, self.prediction(job, status))

    def prediction(self, job: FakeJob, status: str) -> dict[str, Any]:
        error = None
        if status == "failed":
            error = ("The input or output was flagged as sensitive. Please try again with"
                     " different inputs. (E005)") if job.outcome == "safety" else (
                     "CUDA error: an illegal memory access was encountered")
        output = self.output_url(job) if status == "succeeded" else None
        if output and job.kind == "still":
            output = [output]  # image models answer a list
        return {"id": job.id, "model": getattr(job, "model", ""), "version": "v1",
                "status": status, "input": {}, "output": output, "logs": "", "error": error,
                "metrics": {"predict_time": 12.5} if status == "succeeded" else {},
                "created_at": "2026-11-25T10:00:00Z",
                "urls": {"get": f"{self.url}/v1/predictions/{job.id}",
                         "cancel": f"{self.url}/v1/predictions/{job.id}/cancel"}}

    def error(self, status: int, message: str) -> Response:
        return Response(status, {"title": message, "detail": message, "status": status})


class FakePexels(FootageFake):
    """Search answers two portrait videos after one landscape; photos when asked."""

    def kind_of(self, req: Request) -> str:
        return "submit" if "search" in req.path else "poll"

    def video_item(self, number: int, portrait: bool) -> dict[str, Any]:
        w, h = (720, 1280) if portrait else (1280, 720)
        return {"id": number, "width": w, "height": h, "duration": 8,
                "url": f"https://www.pexels.com/video/an-octopus-swimming-over-a-reef-{number}/",
                "user": {"name": f"Author {number}", "url": "https://www.pexels.com/@a"},
                "video_files": [
                    {"id": number * 10 + 1, "quality": "hd", "file_type": "video/mp4",
                     "width": w * 3 // 2, "height": h * 3 // 2,
                     "link": self.output_url(FakeJob(str(number), "ok", "video"))},
                    {"id": number * 10 + 2, "quality": "sd", "file_type": "video/mp4",
                     "width": w, "height": h,
                     "link": self.output_url(FakeJob(str(number), "ok", "video"))}]}

    def route(self, req: Request) -> Response:
        if req.headers.get("Authorization") != "pexels-key":
            return self.error(401, "Unauthorized")
        query = req.arg("query")
        if req.path == "/videos/search":
            self.submissions += 1
            if query in ("nothing", "still life"):
                return Response(200, {"videos": [], "total_results": 0})
            items = [self.video_item(101, False), self.video_item(102, True),
                     self.video_item(103, True)]
            for item in items:
                self.jobs[str(item["id"])] = FakeJob(str(item["id"]), "ok", "video")
            return Response(200, {"page": 1, "per_page": 15, "total_results": 3,
                                  "videos": items})
        if req.path.startswith("/videos/videos/"):
            number = int(req.path.rsplit("/", 1)[1])
            return Response(200, self.video_item(number, number != 101))
        if req.path == "/v1/search":
            photos = [] if query == "nothing" else [self.photo_item(301)]
            return Response(200, {"photos": photos, "total_results": len(photos)})
        if req.path.startswith("/v1/photos/"):
            return Response(200, self.photo_item(int(req.path.rsplit("/", 1)[1])))
        return self.error(404, "Not found")

    def photo_item(self, number: int) -> dict[str, Any]:
        self.jobs.setdefault(str(number), FakeJob(str(number), "ok", "still"))
        link = self.output_url(self.jobs[str(number)])
        return {"id": number, "width": 3000, "height": 4500, "photographer": "Author P",
                "url": f"https://www.pexels.com/photo/{number}/",
                "src": {"original": link, "portrait": link}}


class FakePixabay(FootageFake):
    def kind_of(self, req: Request) -> str:
        return "poll" if req.arg("id") else "submit"

    def hit(self, number: int) -> dict[str, Any]:
        link = self.output_url(FakeJob(str(number), "ok", "video"))
        return {"id": number, "pageURL": f"https://pixabay.com/videos/octopus-sea-{number}/",
                "tags": "octopus, sea, underwater",
                "user": f"author{number}", "duration": 10, "videos": {
                    "large": {"url": link, "width": 1080, "height": 1920, "size": 1},
                    "medium": {"url": link, "width": 720, "height": 1280, "size": 1},
                    "small": {"url": link, "width": 540, "height": 960, "size": 1}}}

    def route(self, req: Request) -> Response:
        if req.arg("key") != "pixabay-key":
            return Response(400, b"[ERROR 400] Invalid or missing API key")
        if req.path == "/api/":  # photos: the fake has none
            return Response(200, {"total": 0, "totalHits": 0, "hits": []})
        if req.path != "/api/videos/":
            return Response(404, b"Not found")
        if req.arg("id"):
            number = int(req.arg("id"))
            self.jobs.setdefault(str(number), FakeJob(str(number), "ok", "video"))
            return Response(200, {"total": 1, "totalHits": 1, "hits": [self.hit(number)]})
        self.submissions += 1
        if req.arg("q") == "nothing":
            return Response(200, {"total": 0, "totalHits": 0, "hits": []})
        hits = [self.hit(201), self.hit(202)]
        for hit in hits:
            self.jobs[str(hit["id"])] = FakeJob(str(hit["id"]), "ok", "video")
        return Response(200, {"total": 2, "totalHits": 2, "hits": hits})

    def error(self, status: int, message: str) -> Response:
        return Response(status, f"[ERROR {status}] {message}".encode())
