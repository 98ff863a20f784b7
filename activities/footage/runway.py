"""Runway: text-to-video (gen4.5) or a still animated (gen4_turbo), 9:16 at 720:1280.

The `runwayml` SDK with its own retries off. A task's `cost.credits` is what Runway charged
(1 credit = $0.01). Output URLs expire in a day or two; fetching the task again hands out
fresh ones, so an expired URL is re-polled, not paid again.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

import runwayml
from temporalio.exceptions import ApplicationError

from activities.artifacts import to_path
from activities.errors import bad_input, content_refused, provider_unavailable
from activities.footage.common import Context, Job, connection_error, fetch, http_error
from workflows.contracts import FootageRequest

ENV = ("RUNWAYML_API_SECRET",)
USD_PER_CREDIT = 0.01


def failure_error(code: str, message: str) -> ApplicationError:
    """A failed task by its failureCode (docs.dev.runwayml.com/errors/task-failures)."""
    text = f"runway: task failed: {code or 'no code'}: {message}"
    if "SAFETY" in code:
        return content_refused(text)
    if code.startswith(("ASSET.", "INPUT_PREPROCESSING.INVALID")):
        return bad_input(text)
    # INTERNAL.BAD_OUTPUT.*, INTERNAL, throttling: the same request may well succeed again.
    return provider_unavailable(text)


class RunwaySource:
    refreshes_urls = True

    def __init__(self, context: Context) -> None:
        self.context = context
        self.name = context.name
        self._client: runwayml.RunwayML | None = None
        self._http = context.http()

    def missing(self) -> str:
        return self.context.key_missing("runway", ENV)

    def client(self) -> runwayml.RunwayML:
        if self._client is None:
            self._client = runwayml.RunwayML(
                api_key=self.context.key("runway", ENV),
                base_url=self.context.settings.base_url or None,  # else RUNWAYML_BASE_URL
                max_retries=0,  # Temporal's retry policy owns retries
                http_client=self._http)
        return self._client

    def _call(self, action, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return action(*args, **kwargs)
        except runwayml.APIStatusError as error:
            raise http_error(self.name, error.status_code, error.response.headers,
                             str(error.message), "runway") from None
        except runwayml.APIConnectionError as error:
            raise connection_error(self.name, error) from None

    def submit(self, req: FootageRequest) -> str:
        line = self.context.settings
        ratio = "1280:720" if req.width > req.height else "720:1280"
        seconds = int(self.context.clip_seconds(req.duration_s))
        prompt = (req.prompt or " ".join(req.keywords))[:1000]
        client = self.client()
        if req.image_uri:
            task = self._call(client.image_to_video.create, model=line.image_model or "gen4_turbo",
                              prompt_image=data_uri(to_path(req.image_uri)), prompt_text=prompt,
                              ratio=ratio, duration=seconds, seed=req.variant)
        else:
            task = self._call(client.text_to_video.create, model=line.model or "gen4.5",
                              prompt_text=prompt, ratio=ratio, duration=seconds,
                              seed=req.variant)
        return str(task.id)

    def poll(self, job_id: str) -> Job:
        task = self._call(self.client().tasks.retrieve, job_id)
        what = f"task {job_id}"
        if task.status == "SUCCEEDED":
            return Job("done", urls=list(task.output), what=what,
                       usd=round(task.cost.credits * USD_PER_CREDIT, 6))
        if task.status == "FAILED":
            return Job("failed", error=failure_error(task.failure_code or "", task.failure))
        if task.status == "CANCELLED":
            return Job("failed", error=provider_unavailable(f"runway: task {job_id} cancelled"))
        return Job("running", progress=float(getattr(task, "progress", 0.0) or 0.0))

    def download(self, job: Job, dest: Path) -> None:
        fetch(self._http, self.name, job.urls[0], dest)

    def cancel(self, job_id: str) -> None:
        try:
            self.client().tasks.delete(job_id)
        except runwayml.APIError:
            pass  # the job is abandoned either way


def data_uri(path: Path) -> str:
    """A still as the data URI Runway accepts for promptImage (up to about 5 MB)."""
    mime = mimetypes.guess_type(path.name)[0] or "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
