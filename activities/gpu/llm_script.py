"""write_script_mlx: a local LLM (mlx-lm) writes the script; the template writer is the net.

The model is loaded once per process from the channel's local folder (`script.model`) and
stays on the llm shelf. Tokens stream one at a time, so a cancelled activity stops between
tokens; a helper thread heartbeats meanwhile. An answer that cannot become a script gives
the template writer's script with `fallback_reason` saying why, so the reel still ships
and the ledger shows how often the model misses.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.errors import bad_input
from activities.gpu import runtime
from activities.gpu.script_parse import script_or_template
from activities.metering import Meter
from activities.progress import heartbeating, raise_if_cancelled
from activities.script import MAX_SCENES
from activities.script_hooks import hook_instruction
from workflows.contracts import Script, ScriptConfig, ScriptRequest, Topic

log = logging.getLogger("monolathe.gpu.script")
# Nothing is fetched at run time: a model is a folder the operator put on this machine.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REQUIRED = ("config.json", "tokenizer.json")

SYSTEM = (
    "You write scripts for short vertical videos. Answer with one JSON object and nothing "
    'else: {"title": str, "hook": str, "scenes": [{"text": str, "keywords": [str], "visual_prompt": str}], '
    '"caption": str, "hashtags": [str]}.'
)


def prompt_for(topic: Topic, niche: str, hook_style: str = "") -> str:
    facts = "\n".join(f"- {f}" for f in topic.facts)
    return (
        f"Channel niche: {niche}\nTopic: {topic.title}\n"
        + (f"Summary: {topic.summary}\n" if topic.summary else "")
        + f"Facts:\n{facts}\n"
        f"Write a hook, then {min(len(topic.facts), MAX_SCENES - 2)} to {MAX_SCENES - 1} "
        "scenes of one or two spoken sentences each (40 to 150 words in all), each with 2 or 3 "
        "visual keywords and a one-sentence description of the shot (visual_prompt), a one-line "
        "caption and up to 5 hashtags."
        + hook_instruction(hook_style)
    )


def check_model_folder(model: str, field: str = "script.model") -> Path:
    path = Path(model).expanduser()
    if not model or not path.is_dir():
        raise bad_input(f"{field}: {model!r} is not a folder with an mlx-lm model")
    missing = [n for n in REQUIRED if not (path / n).is_file()]
    if not any(path.glob("*.safetensors")):
        missing.append("*.safetensors")
    if missing:
        raise bad_input(f"{field}: {path} lacks {', '.join(missing)}")
    return path.resolve()


def load_llm(path: Path) -> tuple[Any, Any]:
    def load() -> tuple[Any, Any]:
        import mlx_lm

        try:
            return mlx_lm.load(str(path))
        except (ValueError, FileNotFoundError, KeyError, OSError) as exc:
            raise bad_input(f"script.model: {path}: cannot load ({exc})") from None

    return runtime.shelf("llm").get(str(path), load)


def render_prompt(tokenizer: Any, topic: Topic, niche: str, hook_style: str = "") -> str:
    user = prompt_for(topic, niche, hook_style)
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                 tokenize=False)
        return str(rendered)
    return f"{SYSTEM}\n\n{user}\n\nJSON:\n"


@dataclass
class Generation:
    text: str
    tokens: int
    seconds: float
    tokens_per_s: float  # mlx-lm's own figure: generated tokens over generation time
    cpu_seconds: float  # this process's CPU time while generating (all threads)


def generate(model: Any, tokenizer: Any, prompt: str, config: ScriptConfig) -> Generation:
    """Stream tokens, checking for cancellation between them; heartbeats from a helper."""
    import mlx_lm
    from mlx_lm.sample_utils import make_sampler

    pieces: list[str] = []
    count = 0
    tps = 0.0
    started, cpu0 = time.monotonic(), time.process_time()
    with heartbeating(lambda: {"tokens": count}), runtime.compute_lock:
        for response in mlx_lm.stream_generate(
            model, tokenizer, prompt, max_tokens=config.max_tokens,
            sampler=make_sampler(temp=config.temperature),
        ):
            raise_if_cancelled()
            pieces.append(response.text)
            count = response.generation_tokens
            tps = response.generation_tps
    return Generation("".join(pieces), count, time.monotonic() - started, tps,
                      time.process_time() - cpu0)


def write_with_llm(req: ScriptRequest) -> tuple[Script, Generation]:
    config = req.channel.script
    path = check_model_folder(config.model)
    with heartbeating(lambda: {"loading": path.name}):  # GBs of weights take a while
        model, tokenizer = load_llm(path)
    raise_if_cancelled()
    generation = generate(model, tokenizer, render_prompt(tokenizer, req.topic, req.channel.niche,
                                                        req.hook_style),
                          config)
    return script_or_template(generation.text, req, "mlx", f"mlx {path.name}"), generation


class LlmScriptActivities:
    def __init__(self, cpu_second_usd: float) -> None:
        self.cpu_second_usd = cpu_second_usd

    @activity.defn(name="write_script_mlx")
    def write_script_mlx(self, req: ScriptRequest) -> Script:
        meter = Meter("script", "mlx", self.cpu_second_usd)
        script, _ = write_with_llm(req)
        script.cost = meter.cost()
        script.cost.backend = script.backend
        return script
