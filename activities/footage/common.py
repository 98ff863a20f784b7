"""What every footage source shares: the job a provider reports, keys, TLS, downloads, and
the mapping of HTTP answers onto the error taxonomy.

Imports no source module, so each source imports it without a cycle.
"""

from __future__ import annotations

import os
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from activities.config import SourceSettings, VisualsSettings
from activities.errors import (
    bad_input,
    not_configured,
    provider_unavailable,
    rate_limited,
)
from activities.progress import heartbeat, raise_if_cancelled
from activities.redact import describe, redact
from activities.secrets import SecretStore
from workflows.contracts import FootageRequest

SECRETS_FOLDER = "_visuals"  # under publishing.secrets_dir; no channel name starts with "_"
RATE_LIMIT_S = 30.0  # when a provider says 429 without a Retry-After
DOWNLOAD_CHUNK = 256 * 1024
# Every call to a provider ends well inside the stage's 30 s heartbeat timeout: a submit that
# hung past it would let the server start a second attempt, which would submit again.
HTTP_TIMEOUT_S = 20.0


@dataclass
class Job:
    """A provider's job as one poll saw it."""

    state: str  # running | done | failed
    urls: list[str] = field(default_factory=list)  # outputs to download
    usd: float | None = None  # the provider's own figure, when it reports one
    error: ApplicationError | None = None  # failed: already typed (refused, retryable...)
    kind: str = "video"  # video | still
    what: str = ""  # for the sidecar: the stock item, the model
    attribution: str = ""  # the credit line a stock licence asks for
    progress: float = 0.0
    shows: str = ""  # stock: the item's title and tags as the provider gives them


class Expired(Exception):
    """The output URL no longer serves the file (signed URL expired, file deleted)."""


@dataclass
class Context:
    """A source's view of this host: its config line, keys, TLS trust, timing."""

    settings: SourceSettings
    visuals: VisualsSettings
    secrets_dir: Path

    @property
    def name(self) -> str:
        return self.settings.name

    def key(self, key_name: str, env: tuple[str, ...]) -> str:
        """The API key: the secret store (`monolathe auth visuals`), else the env var."""
        path = SecretStore(self.secrets_dir).path(SECRETS_FOLDER, key_name)
        if path.is_file():
            value = SecretStore(self.secrets_dir).load(SECRETS_FOLDER, key_name).get("api_key")
            if isinstance(value, str) and value:
                return value
        for var in (self.settings.key_env, *env):
            if var and os.environ.get(var):
                return os.environ[var]
        return ""

    def key_missing(self, key_name: str, env: tuple[str, ...]) -> str:
        if self.key(key_name, env):
            return ""
        shown = " or ".join(v for v in (self.settings.key_env, *env) if v)
        return f"no key: monolathe auth visuals {key_name} (or set {shown})"

    @cached_property
    def ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.visuals.ca_bundle:
            context.load_verify_locations(self.visuals.ca_bundle)
        return context

    def http(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(verify=self.ssl, timeout=httpx.Timeout(HTTP_TIMEOUT_S),
                            follow_redirects=True, **kwargs)

    def clip_seconds(self, need: float) -> float:
        return clip_seconds(self.settings, "video", need)


def clip_seconds(line: SourceSettings, kind: str, need: float) -> float:
    """The clip length to ask for: the shortest the model makes that covers the scene.

    A still holds as long as the scene; a source with no list makes any whole second.
    """
    if kind == "still" or line.kind == "still":
        return need
    allowed = sorted(line.durations)
    if not allowed:
        return float(max(1, round(need + 0.49)))
    return next((d for d in allowed if d >= need), allowed[-1])


def table_price(line: SourceSettings, kind: str, seconds: float) -> float:
    """The price table's figure for one clip (stills: per clip; video: per second + per clip)."""
    if kind == "still" or line.kind == "still":
        return line.usd_per_clip
    return round(line.usd_per_second * seconds + line.usd_per_clip, 6)


def retry_after(headers: Any, default: float = RATE_LIMIT_S) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date)."""
    value = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
    if not value:
        return default
    try:
        return max(1.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        return max(1.0, (when - datetime.now(UTC)).total_seconds())


def http_error(source: str, status: int, headers: Any, message: str,
               key_name: str = "") -> ApplicationError:
    """A provider's HTTP error answer as a typed error."""
    text = f"{source}: HTTP {status}: {redact(message[:300])}"
    if status == 429:
        return rate_limited(text, retry_after(headers))
    if status in (401, 403):
        return not_configured(f"{text}; the key was refused: run `monolathe auth visuals"
                              f" {key_name or source}`")
    if status in (400, 404, 413, 422):
        return bad_input(text)
    return provider_unavailable(text)


def connection_error(source: str, error: BaseException) -> ApplicationError:
    return provider_unavailable(f"{source}: {describe(error)}")


def fetch(client: httpx.Client, source: str, url: str, dest: Path) -> int:
    """Download `url` to `dest` (atomically), heartbeating; the bytes written.

    An answer saying the file is gone raises `Expired`; a body cut short raises a retryable
    error and leaves nothing at `dest`.
    """
    part = dest.with_name(dest.name + ".part")
    written = 0
    try:
        with client.stream("GET", url) as answer:
            if answer.status_code in (401, 403, 404, 410):
                raise Expired(f"{source}: output URL answered HTTP {answer.status_code}")
            if answer.status_code >= 400:
                answer.read()
                raise http_error(source, answer.status_code, answer.headers,
                                 answer.text or "download refused")
            expected = int(answer.headers.get("content-length") or 0)
            with part.open("wb") as out:
                for chunk in answer.iter_bytes(DOWNLOAD_CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                    heartbeat({"downloaded": written})
                    raise_if_cancelled()
        if expected and written != expected:
            raise provider_unavailable(f"{source}: download cut at {written} of {expected}"
                                       " bytes; a retry downloads it again")
    except httpx.HTTPError as error:
        part.unlink(missing_ok=True)
        raise provider_unavailable(f"{source}: download cut after {written} bytes"
                                   f" ({type(error).__name__}); a retry downloads it again"
                                   ) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if written == 0:
        part.unlink(missing_ok=True)
        raise provider_unavailable(f"{source}: the output was empty")
    os.replace(part, dest)
    return written


def wait(seconds: float) -> None:
    """Sleep between polls, stopping at once when the activity is cancelled."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        raise_if_cancelled()
        time.sleep(min(0.5, left))


def portrait_first(items: list[Any], size: Any) -> list[Any]:
    """Stock results with the portrait ones first, keeping the provider's order otherwise."""
    return sorted(items, key=lambda item: 0 if _portrait(size(item)) else 1)


def _portrait(wh: tuple[int, int]) -> bool:
    return wh[1] > wh[0]


def best_file(files: list[tuple[int, int, str]], min_height: int = 1280) -> str:
    """The smallest rendition tall enough for a 720p-or-better reel, else the tallest."""
    files = sorted(files, key=lambda f: (not _portrait((f[0], f[1])), f[1]))
    tall = [f for f in files if max(f[0], f[1]) >= min_height]
    return (tall[0] if tall else max(files, key=lambda f: f[1]))[2]


STOCK_PROVIDERS = ("pexels", "pixabay")


def stock_query(source: str, keywords: list[str], prompt: str) -> str:
    words = [w for w in keywords if w.strip()] or prompt.split()[:4]
    query = " ".join(words)[:100]
    if not query:
        raise bad_input(f"{source}: the scene has no keywords to search")
    return query


def page_words(url: str) -> str:
    """The words of a stock page's address: Pexels and Pixabay name the page after the item's
    title or tags ('.../video/waves-crashing-on-rocks-1409899/' -> 'waves crashing on rocks')."""
    slug = url.rstrip("/").rsplit("/", 1)[-1] if "//" in url else ""
    return " ".join(w for w in slug.split("-") if w and not w.isdigit())


def shown_words(req: FootageRequest, shows: str) -> str:
    """What a clip shows, for its relevance: a stock item's title and tags (its search query
    when the provider gave none), a generated clip's prompt."""
    if req.source.split("-", 1)[0] in STOCK_PROVIDERS:
        return shows or " ".join(w for w in req.keywords if w.strip()) or req.prompt
    return req.prompt or " ".join(req.keywords)


def stock_answer(source: str, answer: httpx.Response, key_name: str) -> Any:
    """The JSON of a stock API's answer, or its error as a typed error."""
    if answer.status_code >= 400:
        raise http_error(source, answer.status_code, answer.headers, answer.text, key_name)
    try:
        return answer.json()
    except ValueError:
        raise provider_unavailable(f"{source}: not JSON: {answer.text[:200]}") from None


def stock_get(client: httpx.Client, source: str, url: str, key_name: str,
              params: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """One call of a stock JSON API, its failures typed as every source's are."""
    try:
        answer = client.get(url, params=params, headers=headers)
    except httpx.HTTPError as error:
        raise connection_error(source, error) from None
    return stock_answer(source, answer, key_name)
