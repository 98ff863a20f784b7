"""write_script_api against a loopback OpenAI-compatible API, through the real `openai` client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.config import Settings, load_settings
from activities.script_api import ApiScriptActivities
from activities.secrets import SecretStore
from tests.fakes.llm_api import GOOD_SCRIPT, FakeLlm
from tests.fakes.server import Fault
from workflows.contracts import ChannelConfig, ScriptConfig, ScriptRequest, StageCost, Topic

TOPIC = Topic(
    title="Octopuses have three hearts",
    facts=["Two hearts pump blood through the gills.",
           "The third heart stops beating when the octopus swims.",
           "That is why octopuses would rather crawl along the sea floor than swim."],
    url="https://example.org/octopus",
)


def llm_settings(tmp_path: Path, ca: Path) -> Settings:
    (tmp_path / "temporal.yaml").write_text(
        f"publishing: {{secrets_dir: {tmp_path / 'secrets'}, ca_bundle: {ca}}}\n"
        "llm: {prices: {deepseek-chat: {input: 0.28, cached_input: 0.028, output: 0.42}}}\n"
        # A CPU rate large enough that its share shows beside the tokens' price.
        "costs: {cpu_second_usd: 0.001}\n")
    return load_settings(tmp_path / "temporal.yaml")


@pytest.fixture
def llm_fake(fake_cert: tuple[Path, Path]) -> Iterator[FakeLlm]:
    with FakeLlm(fake_cert) as fake:
        yield fake


@pytest.fixture
def writer(tmp_path: Path, fake_cert: tuple[Path, Path]) -> ApiScriptActivities:
    settings = llm_settings(tmp_path, fake_cert[0])
    SecretStore(settings.publishing.secrets_dir).save("llm", "deepseek", {"api_key": "sk-test"})
    return ApiScriptActivities(settings)


def request(fake: FakeLlm, key: str = "deepseek", language: str = "en") -> ScriptRequest:
    script = ScriptConfig(writer="api", model="deepseek-chat", base_url=fake.url, api_key=key,
                          max_tokens=800, temperature=0.5)
    channel = ChannelConfig(name="demo", niche="ocean animals", language=language, script=script,
                            hashtags=["science"])
    return ScriptRequest("reel/demo/2026-11-23/1", channel, TOPIC)


def billed(cost: StageCost, writer: ApiScriptActivities) -> float:
    """The tokens' price alone: the CPU share moves with the machine's load, the price does not.

    Within 2e-6: `usd` is rounded to 1e-6 and `cpu_seconds` to 1e-3 s (1e-6 at this rate).
    """
    return cost.usd - cost.cpu_seconds * writer.settings.cpu_second_usd


def test_writes_scenes_with_visual_prompts_and_prices_the_tokens(writer, llm_fake):
    script = writer.write_script_api(request(llm_fake, language="de"))
    assert script.backend == "api" and not script.fallback_reason
    assert [s.text for s in script.scenes][1:] == [s["text"] for s in GOOD_SCRIPT["scenes"]]
    assert all(s.visual_prompt and s.keywords for s in script.scenes[1:])
    assert script.hashtags[:2] == ["#science", "#octopus"]
    assert script.description.endswith("Source: https://example.org/octopus")
    # 800 fresh + 100 cached prompt tokens, 300 completion tokens at DeepSeek's prices
    expected = (800 * 0.28 + 100 * 0.028 + 300 * 0.42) / 1_000_000
    assert script.cost.backend == "api/deepseek-chat"
    assert billed(script.cost, writer) == pytest.approx(expected, abs=2e-6)
    body = llm_fake.bodies[0]
    assert body["response_format"] == {"type": "json_object"}
    assert body["model"] == "deepseek-chat" and body["max_tokens"] == 800
    prompt = body["messages"][1]["content"]
    assert "The third heart stops beating" in prompt and "'de'" in prompt
    assert "do not invent numbers" in body["messages"][0]["content"]
    assert "visual_prompt" in body["messages"][0]["content"]


def test_prose_and_fences_around_the_json_are_repaired(writer, llm_fake):
    llm_fake.answers = ["Sure! Here is the script:\n```json\n" + json.dumps(GOOD_SCRIPT)
                        + "\n```\nHope it helps."]
    script = writer.write_script_api(request(llm_fake))
    assert script.backend == "api" and len(script.scenes) == 4


def test_blank_content_is_asked_again_once(writer, llm_fake):
    llm_fake.answers = [""]
    script = writer.write_script_api(request(llm_fake))
    assert script.backend == "api" and len(llm_fake.bodies) == 2
    assert billed(script.cost, writer) == pytest.approx(
        2 * (800 * 0.28 + 100 * 0.028 + 300 * 0.42) / 1e6, abs=2e-6)


def test_blank_twice_falls_back_to_the_template_with_the_reason(writer, llm_fake):
    llm_fake.answers = ["", "   "]
    script = writer.write_script_api(request(llm_fake))
    assert script.backend == "template" and script.cost.backend == "template"
    assert script.fallback_reason == "api deepseek-chat: blank answer twice"
    assert script.cost.usd > 0  # the tokens were billed all the same


def test_insufficient_balance_is_final_with_the_providers_message(writer, llm_fake):
    llm_fake.faults.append(Fault("chat", 402))
    with pytest.raises(ApplicationError) as caught:
        writer.write_script_api(request(llm_fake))
    assert caught.value.type == "LlmRejected" and caught.value.non_retryable
    assert "402 Insufficient Balance" in caught.value.message


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_refusals_are_final(writer, llm_fake, status):
    llm_fake.faults.append(Fault("chat", status))
    with pytest.raises(ApplicationError) as caught:
        writer.write_script_api(request(llm_fake))
    assert caught.value.type == "LlmRejected" and caught.value.non_retryable
    assert str(status) in caught.value.message
    assert len(llm_fake.bodies) == 1  # the client's own retries are off


def test_rate_limit_waits_for_retry_after(writer, llm_fake):
    llm_fake.faults.append(Fault("chat", 429, retry_after=7))
    with pytest.raises(ApplicationError) as caught:
        writer.write_script_api(request(llm_fake))
    assert caught.value.type == "RateLimited" and not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=7)
    assert len(llm_fake.bodies) == 1


def test_server_errors_and_dropped_connections_retry(writer, llm_fake):
    llm_fake.faults.append(Fault("chat", 500))
    with pytest.raises(ApplicationError) as caught:
        writer.write_script_api(request(llm_fake))
    assert caught.value.type == "LlmUnavailable" and not caught.value.non_retryable
    llm_fake.faults.append(Fault("chat", "reset"))
    with pytest.raises(ApplicationError) as caught:
        writer.write_script_api(request(llm_fake))
    assert caught.value.type == "LlmUnavailable" and not caught.value.non_retryable
    assert writer.write_script_api(request(llm_fake)).backend == "api"


def test_a_missing_key_names_the_auth_command(writer, llm_fake):
    with pytest.raises(ApplicationError) as caught:
        writer.write_script_api(request(llm_fake, key="openai"))
    assert caught.value.type == "BadInput"
    assert "monolathe auth llm openai" in caught.value.message


def test_a_local_server_needs_no_key(tmp_path, fake_cert):
    settings = llm_settings(tmp_path, fake_cert[0])
    with FakeLlm(fake_cert, key="") as ollama:
        req = request(ollama, key="")
        req.channel.script.model = "llama3.2"
        script = ApiScriptActivities(settings).write_script_api(req)
    assert script.backend == "api" and script.cost.backend == "api/llama3.2"
    assert billed(script.cost, ApiScriptActivities(settings)) == pytest.approx(0, abs=2e-6)
