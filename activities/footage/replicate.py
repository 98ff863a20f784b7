"""Replicate: video models (Kling, MiniMax, Wan) and image models (FLUX schnell) by the model
id in `visuals.sources.<name>.model`; a source named `replicate-*` is one more model.

The `replicate` client, its transport's retries turned down to one attempt (it would retry
polls on 429/5xx on its own; creating a prediction is a POST, which it never retries).
Output files on replicate.delivery expire about an hour after the prediction and a poll
hands back the same URLs, so an expired output means a new prediction. Replicate bills by
model (per second of output, per image or per GPU second) and does not report the sum: the
price table settles it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import replicate
from replicate.exceptions import ReplicateError
from temporalio.exceptions import ApplicationError

from activities.errors import content_refused, provider_unavailable
from activities.footage.common import (
    HTTP_TIMEOUT_S,
    Context,
    Job,
    connection_error,
    fetch,
    http_error,
)
from workflows.contracts import FootageRequest

ENV = ("REPLICATE_API_TOKEN",)
# What Replicate's safety checker says (E005) and what NSFW-checking models answer.
REFUSALS = ("E005", "flagged as sensitive", "NSFW")


def failure_error(message: str) -> ApplicationError:
    text = f"replicate: prediction failed: {message}"
    if any(word.lower() in message.lower() for word in REFUSALS):
        return content_refused(text)
    return provider_unavailable(text)  # the model crashed, ran out of memory: try again


class ReplicateSource:
    refreshes_urls = False

    def __init__(self, context: Context) -> None:
        self.context = context
        self.name = context.name
        self._client: replicate.Client | None = None
        self._http = context.http()
        self._seen = threading.local()  # the last answer's Retry-After, per activity thread

    def _remember_retry_after(self, response: httpx.Response) -> None:
        self._seen.retry_after = response.headers.get("retry-after", "")

    def missing(self) -> str:
        if not self.context.settings.model:
            return f"visuals.sources.{self.name}.model: which Replicate model to run"
        return self.context.key_missing("replicate", ENV)

    def client(self) -> replicate.Client:
        if self._client is None:
            client = replicate.Client(
                api_token=self.context.key("replicate", ENV),
                base_url=self.context.settings.base_url or None,  # else REPLICATE_BASE_URL
                timeout=httpx.Timeout(HTTP_TIMEOUT_S),
                transport=httpx.HTTPTransport(verify=self.context.ssl),
                event_hooks={"response": [self._remember_retry_after]})
            transport = client._client._transport  # built here, wrapped in its RetryTransport
            if hasattr(transport, "max_attempts"):
                transport.max_attempts = 1  # Temporal's retry policy owns retries
            self._client = client
        return self._client

    def _call(self, action, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return action(*args, **kwargs)
        except ReplicateError as error:
            status = error.status or 500
            # ReplicateError keeps the problem details, not the headers: the hook saw them.
            headers = {"retry-after": getattr(self._seen, "retry_after", "")}
            raise http_error(self.name, status, headers, error.detail or error.title or "",
                             "replicate") from None
        except httpx.HTTPError as error:
            raise connection_error(self.name, error) from None

    def inputs(self, req: FootageRequest) -> dict[str, object]:
        """The inputs the common video and image models share; others ignore what they lack."""
        ratio = "16:9" if req.width > req.height else "9:16"
        inputs: dict[str, object] = {"prompt": req.prompt or " ".join(req.keywords),
                                     "aspect_ratio": ratio}
        if req.variant:
            inputs["seed"] = req.variant
        if self.context.settings.kind == "still":
            inputs.update(num_outputs=1, output_format="jpg")
        else:
            inputs["duration"] = int(self.context.clip_seconds(req.duration_s))
        return inputs

    def submit(self, req: FootageRequest) -> str:
        prediction = self._call(self.client().predictions.create,
                                model=self.context.settings.model, input=self.inputs(req))
        return str(prediction.id)

    def poll(self, job_id: str) -> Job:
        prediction = self._call(self.client().predictions.get, job_id)
        if prediction.status == "succeeded":
            output = prediction.output
            urls = [str(u) for u in (output if isinstance(output, list) else [output]) if u]
            if not urls:
                return Job("failed", error=provider_unavailable("replicate: no output"))
            return Job("done", urls=urls, kind=self.context.settings.kind,
                       what=f"{prediction.model or self.context.settings.model} {job_id}")
        if prediction.status == "failed":
            return Job("failed", error=failure_error(str(prediction.error or "no reason")))
        if prediction.status == "canceled":
            return Job("failed", error=provider_unavailable(f"replicate: {job_id} canceled"))
        return Job("running")

    def download(self, job: Job, dest: Path) -> None:
        fetch(self._http, self.name, job.urls[0], dest)

    def cancel(self, job_id: str) -> None:
        try:
            self.client().predictions.cancel(job_id)
        except (ReplicateError, httpx.HTTPError):
            pass  # abandoned either way

