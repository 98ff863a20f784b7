"""Fixtures for the gpu queue's tests: tiny models built once per session, on the fly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activities.gpu.llm_script import SYSTEM, prompt_for
from tests.gpu.tiny import build_llama, build_scripted_llama
from workflows.contracts import ChannelConfig, ScriptConfig, ScriptRequest, Topic

TOPIC = Topic(
    "Octopus hearts",
    facts=["Octopuses have three hearts, and the main one stops beating while they swim.",
           "Their blood is blue because it carries oxygen on copper rather than iron.",
           "Two of the hearts only pump blood through the gills, to pick up oxygen."],
    keywords=["octopus"],
)
NICHE = "science facts"
ANSWER = {
    "title": "Why octopuses have three hearts",
    "hook": "An octopus has three hearts, and one of them stops when it swims.",
    "scenes": [
        {"text": "Two small hearts push blood through the gills, where it picks up oxygen.",
         "keywords": ["gills", "octopus"]},
        {"text": "The third heart pumps that blood around the rest of the body.",
         "keywords": ["heart", "body"]},
        {"text": "Their blood is blue because it carries oxygen on copper instead of iron.",
         "keywords": ["blue blood", "copper"]},
        {"text": "Follow for more strange facts about the ocean.", "keywords": ["ocean"]},
    ],
    "caption": "Three hearts and blue blood.",
    "hashtags": ["octopus", "#ocean"],
}


def chunks_of(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def plain_prompt(topic: Topic = TOPIC) -> str:
    # The tiny tokenizer has no chat template, so this is the prompt the writer renders.
    return f"{SYSTEM}\n\n{prompt_for(topic, NICHE)}\n\nJSON:\n"


@pytest.fixture(scope="session")
def scripted_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Answers the octopus prompt with ANSWER, as a fenced JSON block (a common habit)."""
    answer = "```json\n" + json.dumps(ANSWER, indent=1) + "\n```"
    return build_scripted_llama(tmp_path_factory.mktemp("scripted"), plain_prompt(),
                                chunks_of(answer))


@pytest.fixture(scope="session")
def endless_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Never stops talking: for cancellation and heartbeat tests."""
    return build_scripted_llama(tmp_path_factory.mktemp("endless"), plain_prompt(),
                                ["la ", "li ", "lo "], endless=True)


@pytest.fixture(scope="session")
def noise_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random weights: writes noise, which the writer must turn into a template fallback."""
    return build_llama(tmp_path_factory.mktemp("noise"))


def script_request(model: Path, max_tokens: int = 700, reel: str = "reel/t/2026-01-01/1",
                   temperature: float = 0.0) -> ScriptRequest:
    channel = ChannelConfig(name="t", niche=NICHE, hashtags=["science"],
                            script=ScriptConfig("mlx", str(model), max_tokens, temperature))
    return ScriptRequest(reel, channel, TOPIC)
