"""Veo through the Gemini API (`google-genai`): `models.generate_videos`, the operation polled
by name, the video fetched with `files.download`, its audio dropped (the reel has its own).

google-genai 3.x sends `generate_videos` to Vertex AI only, so the 2.x line is pinned: it
speaks the Gemini Developer API with a plain API key. Retries are off (one attempt). A
generated file lives two days and a poll hands back the same URI, so an expired output means
a new job. Veo does not report a cost: the price table settles it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from google import genai
from google.genai import errors, types
from temporalio.exceptions import ApplicationError

from activities.errors import bad_input, content_refused, provider_unavailable
from activities.ffmpeg_run import run_ffmpeg
from activities.footage.common import (
    HTTP_TIMEOUT_S,
    Context,
    Expired,
    Job,
    connection_error,
    http_error,
)
from activities.progress import heartbeat
from activities.redact import describe
from workflows.contracts import FootageRequest

ENV = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
# google.rpc codes a finished operation can carry: the request itself was wrong.
BAD_REQUEST_CODES = {3, 9, 11}  # INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE


class VeoSource:
    refreshes_urls = False

    def __init__(self, context: Context) -> None:
        self.context = context
        self.name = context.name
        self._client: genai.Client | None = None

    def missing(self) -> str:
        return self.context.key_missing("veo", ENV)

    def client(self) -> genai.Client:
        if self._client is None:
            options = types.HttpOptions(
                base_url=self.context.settings.base_url or None,
                retry_options=types.HttpRetryOptions(attempts=1),  # Temporal retries
                timeout=int(HTTP_TIMEOUT_S * 1000),
                client_args={"verify": self.context.ssl})
            self._client = genai.Client(api_key=self.context.key("veo", ENV),
                                        http_options=options)
        return self._client

    def _call(self, action, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return action(*args, **kwargs)
        except errors.APIError as error:
            headers = error.response.headers if isinstance(error.response, httpx.Response) \
                else {}
            raise http_error(self.name, error.code, headers, error.message or str(error),
                             "veo") from None
        except httpx.HTTPError as error:
            raise connection_error(self.name, error) from None

    def submit(self, req: FootageRequest) -> str:
        config = types.GenerateVideosConfig(
            aspect_ratio="16:9" if req.width > req.height else "9:16",
            number_of_videos=1,
            duration_seconds=int(self.context.clip_seconds(req.duration_s)))
        # The Gemini API takes no seed for Veo: another take is asked for in words.
        prompt = req.prompt or " ".join(req.keywords)
        if req.variant:
            prompt += f" (alternative take {req.variant + 1})"
        operation = self._call(self.client().models.generate_videos,
                               model=self.context.settings.model,
                               source=types.GenerateVideosSource(prompt=prompt),
                               config=config)
        if not operation.name:
            raise provider_unavailable("veo: the operation came back without a name")
        return str(operation.name)

    def poll(self, job_id: str) -> Job:
        operation = self._call(self.client().operations.get,
                               types.GenerateVideosOperation(name=job_id))
        if not operation.done:
            return Job("running")
        if operation.error:
            return Job("failed", error=operation_error(operation.error))
        response = operation.response or operation.result
        if response is not None and response.rai_media_filtered_count:
            reasons = "; ".join(response.rai_media_filtered_reasons or [])
            return Job("failed", error=content_refused(f"veo: filtered: {reasons}"))
        videos = (response.generated_videos if response else None) or []
        if not videos or videos[0].video is None or not videos[0].video.uri:
            return Job("failed", error=provider_unavailable("veo: done without a video"))
        return Job("done", urls=[videos[0].video.uri], what=f"operation {job_id}")

    def download(self, job: Job, dest: Path) -> None:
        raw = dest.with_name(dest.name + ".veo")
        try:
            self.client().files.download(file=types.Video(uri=job.urls[0]), destination=raw)
        except errors.APIError as error:
            raw.unlink(missing_ok=True)
            if error.code in (403, 404, 410):
                raise Expired(f"veo: {job.urls[0]} answered HTTP {error.code}") from None
            raise http_error(self.name, error.code, {}, error.message or "") from None
        except httpx.HTTPError as error:
            raw.unlink(missing_ok=True)
            raise provider_unavailable(f"veo: download cut ({describe(error)});"
                                       " a retry downloads it again") from None
        heartbeat({"downloaded": raw.stat().st_size})
        try:
            run_ffmpeg(["-i", str(raw), "-map", "0:v:0", "-c", "copy", "-an",
                        "-movflags", "+faststart", str(dest)], what="drop Veo audio")
        finally:
            raw.unlink(missing_ok=True)

    def cancel(self, job_id: str) -> None:
        """The Gemini API has no cancel for video operations; an abandoned one just ends."""


def operation_error(error: dict[str, object]) -> ApplicationError:
    code = error.get("code")
    text = f"veo: operation failed: {error.get('message') or error}"
    if "safety" in text.lower() or "responsible ai" in text.lower():
        return content_refused(text)
    if code in BAD_REQUEST_CODES:
        return bad_input(text)
    return provider_unavailable(text)
