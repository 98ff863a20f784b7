"""temporal.yaml's `llm`: the API script writer's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field, field_validator

from activities.config.common import Strict
from activities.config.costs import LlmPrice, _Price, default_prices, llm_prices
from activities.secrets import check_key_name


class _Llm(Strict):
    """The API script writer's defaults; a channel's `script:` block overrides them."""

    base_url: str = "https://api.deepseek.com"
    model: str = "deepseek-chat"
    api_key: str = "deepseek"  # the key's name: `monolathe auth llm deepseek`; "" = no key
    timeout_s: float = Field(90.0, gt=0)
    # USD per million tokens by model; a model not listed costs nothing (a local Ollama).
    prices: dict[str, _Price] = Field(default_factory=default_prices)

    @field_validator("api_key")
    @classmethod
    def _key_name(cls, value: str) -> str:
        return check_key_name(value) if value else value


@dataclass(frozen=True)
class LlmSettings:
    base_url: str = "https://api.deepseek.com"
    model: str = "deepseek-chat"
    api_key: str = "deepseek"
    timeout_s: float = 90.0
    prices: dict[str, LlmPrice] = field(default_factory=dict)


def llm_settings(raw: _Llm) -> LlmSettings:
    return LlmSettings(base_url=raw.base_url, model=raw.model, api_key=raw.api_key,
                       timeout_s=raw.timeout_s, prices=llm_prices(raw.prices))
