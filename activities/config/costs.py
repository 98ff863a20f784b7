"""temporal.yaml's `costs` and the LLM price table: what a reel's work is billed at."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from activities.config.common import Strict


class _Costs(Strict):
    # About what a cloud vCPU-hour costs; an operator on their own box sets electricity.
    cpu_second_usd: float = Field(0.00002, ge=0)


class _Price(Strict):
    input: float = Field(0.0, ge=0)  # USD per million prompt tokens
    output: float = Field(0.0, ge=0)  # USD per million completion tokens
    cached_input: float | None = Field(None, ge=0)  # prompt tokens served from the cache


def default_prices() -> dict[str, _Price]:
    return {
        "deepseek-chat": _Price(input=0.28, cached_input=0.028, output=0.42),
        "deepseek-reasoner": _Price(input=0.28, cached_input=0.028, output=0.42),
        "gpt-4o-mini": _Price(input=0.15, cached_input=0.075, output=0.60),
        "gpt-4.1-mini": _Price(input=0.40, cached_input=0.10, output=1.60),
    }


@dataclass(frozen=True)
class LlmPrice:
    input: float  # USD per million tokens
    output: float
    cached_input: float


def llm_prices(raw: dict[str, _Price]) -> dict[str, LlmPrice]:
    """Model -> price; a model without a cached price pays the full input price for cache hits."""
    return {m: LlmPrice(p.input, p.output, p.input if p.cached_input is None else p.cached_input)
            for m, p in raw.items()}
