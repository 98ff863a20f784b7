"""The mlx-lm script writer on tiny models built on the fly: real load, tokenizer, sampler."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.gpu import runtime
from activities.gpu.llm_script import LlmScriptActivities, write_with_llm
from tests.gpu.conftest import ANSWER, script_request
from tests.gpu.tiny import build_llama


def test_model_answer_becomes_the_script(scripted_model: Path):
    script, generation = write_with_llm(script_request(scripted_model))
    assert script.backend == "mlx" and script.fallback_reason == ""
    assert script.title == ANSWER["title"]
    assert [s.text for s in script.scenes] == [ANSWER["hook"]] + [
        s["text"] for s in ANSWER["scenes"]]
    assert script.scenes[1].keywords == ["gills", "octopus"]
    assert script.description == ANSWER["caption"]
    assert script.hashtags == ["#science", "#octopus", "#ocean"]
    assert generation.tokens > 10


def test_noise_falls_back_to_the_template_with_the_reason(noise_model: Path):
    script = LlmScriptActivities(0.0).write_script_mlx(script_request(noise_model, 60, temperature=0.7))
    assert script.backend == "template"
    assert script.fallback_reason.startswith(f"mlx {noise_model.name}: ")
    assert script.scenes[1].text.startswith("Octopuses have three hearts")
    assert script.cost is not None and script.cost.backend == "template"


def test_model_loads_once_and_one_per_kind_stays_resident(scripted_model: Path, tmp_path: Path):
    shelf = runtime.shelf("llm")
    shelf.clear()
    loads = shelf.loads
    write_with_llm(script_request(scripted_model))
    write_with_llm(script_request(scripted_model))
    assert shelf.loads == loads + 1
    other = build_llama(tmp_path / "other")
    write_with_llm(script_request(other, 8))
    assert shelf.resident() == [str(other.resolve())]
    assert shelf.loads == loads + 2


@pytest.mark.parametrize("missing", ["config.json", "tokenizer.json", "model.safetensors"])
def test_incomplete_model_folder_is_bad_input_naming_the_file(tmp_path: Path, missing: str):
    folder = build_llama(tmp_path / "m")
    (folder / missing).unlink()
    with pytest.raises(ApplicationError) as error:
        write_with_llm(script_request(folder))
    assert error.value.type == "BadInput" and error.value.non_retryable
    assert "script.model" in str(error.value) and missing.split(".")[0] in str(error.value)
