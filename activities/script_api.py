"""write_script_api: an LLM behind any OpenAI-compatible API writes the script.

DeepSeek by default; OpenAI, Ollama, vLLM and LM Studio speak the same protocol. The
official `openai` client with its own retries off: Temporal's retry policy owns them.

- 400/401/403/404, DeepSeek's 402 (insufficient balance) and 422: `LlmRejected`, not
  retried, with the provider's message (retrying cannot fix a key or a balance).
- 429: `RateLimited`, the next attempt waits for the provider's Retry-After.
- 5xx, timeouts, refused connections: `LlmUnavailable`, retried until the stage's deadline.

JSON mode (`response_format={"type": "json_object"}`; DeepSeek refuses `json_schema`). The
MLX writer's repair rules apply to the answer; blank content (JSON mode sometimes gives it)
is asked again once; an answer that still cannot become a script gives the template
writer's script with `fallback_reason`, so the reel ships. Token usage times the model's
price (`llm.prices` in temporal.yaml) is the stage's cost.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import Any

import openai
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.config import LlmPrice, Settings
from activities.errors import bad_input, rate_limited
from activities.gpu.script_parse import script_or_template
from activities.metering import Meter
from activities.redact import describe, redact
from activities.script import MAX_SCENES, template_script
from activities.script_hooks import hook_instruction, with_hook_style
from activities.secrets import SecretStore
from workflows.contracts import Script, ScriptRequest, Topic

log = logging.getLogger("monolathe.script.api")
LLM_REJECTED = "LlmRejected"  # the provider refused the request: key, balance, model, input
LLM_UNAVAILABLE = "LlmUnavailable"  # 5xx, a timeout, no answer: retried
REFUSED_STATUSES = {400, 401, 402, 403, 404, 422}
DEFAULT_RETRY_AFTER_S = 20.0
KEY_FOLDER = "llm"  # <secrets_dir>/llm/<name>.json, written by `monolathe auth llm NAME`

SYSTEM = (
    "You write scripts for short vertical videos. Answer with one JSON object and nothing "
    'else, shaped {"title": str, "hook": str, "scenes": [{"text": str, "keywords": [str], '
    '"visual_prompt": str}], "caption": str, "hashtags": [str]}. "text" is what the voice '
    'says; "keywords" are 2 or 3 words to search stock footage with; "visual_prompt" is one '
    "sentence describing the shot for a video generator (subject, setting, camera, light), "
    "never text on screen. Use only the facts given: do not invent numbers, dates or names."
)


def prompt_for(topic: Topic, niche: str, language: str, hook_style: str = "") -> str:
    facts = "\n".join(f"- {f}" for f in topic.facts)
    links = "\n".join(f"- {u}" for u in [topic.url, *topic.links] if u)
    return (
        f"Channel niche: {niche}\nTopic: {topic.title}\n"
        + (f"Summary: {topic.summary}\n" if topic.summary else "")
        + f"Facts:\n{facts}\n"
        + (f"Sources:\n{links}\n" if links else "")
        + f"Write in the language with code {language!r}: a hook, then "
        f"{min(max(len(topic.facts), 2), MAX_SCENES - 2)} to {MAX_SCENES - 1} scenes of one or "
        "two spoken sentences each (40 to 150 words in all), a one-line caption and up to 5 "
        "hashtags. Keywords and visual prompts in English."
        + hook_instruction(hook_style)
    )


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens the provider served from its cache

    def add(self, usage: Any) -> None:
        if usage is None:
            return
        self.prompt_tokens += usage.prompt_tokens or 0
        self.completion_tokens += usage.completion_tokens or 0
        # DeepSeek reports prompt_cache_hit_tokens; OpenAI prompt_tokens_details.cached_tokens.
        details = getattr(usage, "prompt_tokens_details", None)
        cached = getattr(usage, "prompt_cache_hit_tokens", None) or (
            getattr(details, "cached_tokens", None) if details is not None else None)
        self.cached_tokens += int(cached or 0)

    def usd(self, price: LlmPrice | None) -> float:
        if price is None:
            return 0.0
        fresh = self.prompt_tokens - self.cached_tokens
        return (fresh * price.input + self.cached_tokens * price.cached_input
                + self.completion_tokens * price.output) / 1_000_000


def _provider_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return error.message


def classify(error: openai.APIError, where: str) -> ApplicationError:
    """The typed error for a failed call: refused, rate limited, or worth retrying."""
    if isinstance(error, openai.APIStatusError):
        status, message = error.status_code, redact(_provider_message(error))
        if status == 429:
            after = error.response.headers.get("retry-after", "")
            delay = float(after) if after.replace(".", "", 1).isdigit() else DEFAULT_RETRY_AFTER_S
            return rate_limited(f"{where}: 429 rate limited: {message}", delay)
        if status in REFUSED_STATUSES:
            hint = " (top up the account)" if status == 402 else ""
            return ApplicationError(f"{where}: {status} {message}{hint}", type=LLM_REJECTED,
                                    non_retryable=True)
        return ApplicationError(f"{where}: {status} {message}", type=LLM_UNAVAILABLE)
    return ApplicationError(f"{where}: {describe(error)}", type=LLM_UNAVAILABLE)


class ApiWriter:
    """One OpenAI-compatible endpoint; the key is read from the secrets folder per call."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secrets = SecretStore(settings.publishing.secrets_dir)

    def key(self, name: str) -> str:
        if not name:
            return "none"  # Ollama and friends ignore the key, but the client wants one
        path = self.secrets.path(KEY_FOLDER, name)
        if not path.is_file():
            raise bad_input(f"{path}: no API key {name!r}; run `monolathe auth llm {name}` on"
                            " the reels worker's host")
        value = str(self.secrets.load(KEY_FOLDER, name).get("api_key") or "")
        if not value:
            raise bad_input(f"{path}: api_key: empty; run `monolathe auth llm {name}` again")
        return value

    def client(self, base_url: str, key_name: str) -> openai.OpenAI:
        ca = self.settings.publishing.ca_bundle
        return openai.OpenAI(
            api_key=self.key(key_name), base_url=base_url, max_retries=0,
            timeout=self.settings.llm.timeout_s,
            http_client=(openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=ca))
                         if ca else None),
        )

    def ask(self, client: openai.OpenAI, req: ScriptRequest, usage: Usage) -> str:
        config = req.channel.script
        where = f"{config.base_url} {config.model}"
        try:
            answer = client.chat.completions.create(
                model=config.model,
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt_for(req.topic, req.channel.niche,
                                                           req.channel.language,
                                                           req.hook_style)},
                ],
                response_format={"type": "json_object"},
                temperature=config.temperature,
                max_tokens=config.max_tokens,
            )
        except openai.APIError as error:  # timeouts and refused connections too
            raise classify(error, where) from None
        usage.add(answer.usage)
        if not answer.choices:
            return ""
        return answer.choices[0].message.content or ""

    def write(self, req: ScriptRequest) -> tuple[Script, Usage]:
        config = req.channel.script
        client = self.client(config.base_url, config.api_key)
        usage = Usage()
        answer = ""
        for _ in range(2):  # blank content in JSON mode happens; asking again usually works
            answer = self.ask(client, req, usage)
            if answer.strip():
                break
            log.warning("script of %s: blank answer from %s", req.reel_id, config.model)
        if not answer.strip():
            script = template_script(with_hook_style(req.topic, req.hook_style),
                                     req.channel.niche, req.channel.hashtags)
            script.fallback_reason = f"api {config.model}: blank answer twice"
            log.warning("script of %s by template: %s", req.reel_id, script.fallback_reason)
            return script, usage
        return script_or_template(answer, req, "api", f"api {config.model}"), usage


class ApiScriptActivities:
    def __init__(self, settings: Settings) -> None:
        self.writer = ApiWriter(settings)
        self.settings = settings

    @activity.defn(name="write_script_api")
    def write_script_api(self, req: ScriptRequest) -> Script:
        config = req.channel.script
        meter = Meter("script", f"api/{config.model}", self.settings.cpu_second_usd)
        script, usage = self.writer.write(req)
        meter.extra_usd = usage.usd(self.settings.llm.prices.get(config.model))
        script.cost = meter.cost()
        if script.backend != "api":
            script.cost.backend = script.backend
        return script
