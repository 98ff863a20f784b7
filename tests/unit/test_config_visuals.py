"""The `visuals:` block of channels/<name>.yaml: the footage policy and its errors."""

from __future__ import annotations

from pathlib import Path

from activities.config import load_channel, load_settings
from tests.unit import test_config as base
from tests.unit.test_config import channel_error, valid_with, write_channel
from workflows.contracts import VisualsPolicy

config_dir = base.config_dir


def test_visuals_policy_is_parsed(config_dir: Path) -> None:
    write_channel(config_dir, "sci", valid_with(
        "visuals: {sources: [veo, pexels, procedural], min_quality: 0.7,"
        " max_usd_per_reel: 0.5, prefer: cost}\n"))
    policy = load_channel(load_settings(config_dir / "temporal.yaml"), "sci").visuals
    assert policy == VisualsPolicy(["veo", "pexels", "procedural"], 0.7, 0.5, "cost")


def test_min_relevance_is_read_from_the_channel_file(config_dir: Path) -> None:
    write_channel(config_dir, "sci", valid_with(
        "visuals: {sources: [pexels, pixabay, procedural], min_relevance: 0.2}\n"))
    policy = load_channel(load_settings(config_dir / "temporal.yaml"), "sci").visuals
    assert policy.min_relevance == 0.2


def test_default_policy_is_illustrated_then_procedural_and_offline(config_dir: Path) -> None:
    write_channel(config_dir, "sci", valid_with(""))
    policy = load_channel(load_settings(config_dir / "temporal.yaml"), "sci").visuals
    assert policy.sources == ["illustrated", "procedural"]
    assert policy.min_relevance == 0.0  # off


def test_bad_visuals_fields_are_named(config_dir: Path) -> None:
    cases = {
        "visuals: {sources: [vimeo]}\n": "visuals.sources: 'vimeo' not in visuals.sources of",
        "visuals: {sources: [veo, veo]}\n": "visuals.sources: Value error, each source at most",
        "visuals: {sources: []}\n": "visuals.sources: List should have at least 1 item",
        "visuals: {min_quality: 1.5}\n": "visuals.min_quality: Input should be less than or",
        "visuals: {min_relevance: 1}\n": "visuals.min_relevance: Input should be less than 1",
        "visuals: {min_relevance: -0.2}\n": "visuals.min_relevance: Input should be greater",
        "visuals: {min_relevance: high}\n": "visuals.min_relevance: Input should be a valid",
        "visuals: {max_usd_per_reel: -1}\n": "visuals.max_usd_per_reel: Input should be greater",
        "visuals: {prefer: vibes}\n": "visuals.prefer: Input should be 'quality', 'cost' or",
        "visuals: {budget: 3}\n": "visuals.budget: unknown field",
        "visuals: {sources: [own, procedural]}\n": "visuals.sources: 'own' needs a media_dir",
    }
    for extra, expected in cases.items():
        message = channel_error(config_dir, "sci", valid_with(extra))
        assert message.startswith("channels/sci.yaml: ") or "sci.yaml: " in message, message
        assert expected in message, message
