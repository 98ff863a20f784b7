"""The channel file's learning options: `trends.performance_weight` / `performance_k` and
`hooks.experiment`; every bad value names the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

from activities.config import load_channel, load_settings
from tests.unit.test_config import channel_error, config_dir, write_channel  # noqa: F401

SCOUTED = """\
name: {name}
niche: science facts
trends:
  feed: feeds/science.yaml
  sources:
    - {{kind: feed, url: feeds/science.yaml}}
"""


def _load(config_dir: Path, name: str, text: str):  # noqa: F811
    write_channel(config_dir, name, text)
    return load_channel(load_settings(config_dir / "temporal.yaml"), name)


def test_existing_channels_learn_nothing_by_default(config_dir: Path) -> None:  # noqa: F811
    config = _load(config_dir, "plain", SCOUTED.format(name="plain"))
    assert config.trend_performance_weight == 0.0
    assert config.trend_performance_k == 5
    assert config.hook_experiment == []
    for shipped in ("demo", "trending", "stock", "premium"):
        repo = Path(__file__).resolve().parents[2]
        loaded = load_channel(load_settings(repo / "temporal.yaml"), shipped)
        assert loaded.trend_performance_weight == 0.0 and loaded.hook_experiment == []


def test_weight_k_and_styles_load(config_dir: Path) -> None:  # noqa: F811
    text = SCOUTED.format(name="learner").replace(
        "  sources:", "  performance_weight: 0.3\n  performance_k: 7\n  sources:")
    text += "hooks:\n  experiment: [question, bold-claim]\n"
    config = _load(config_dir, "learner", text)
    assert (config.trend_performance_weight, config.trend_performance_k) == (0.3, 7)
    assert config.hook_experiment == ["question", "bold-claim"]


def test_a_weight_out_of_range_is_named(config_dir: Path) -> None:  # noqa: F811
    text = SCOUTED.format(name="heavy").replace("  sources:",
                                                "  performance_weight: 1.5\n  sources:")
    assert channel_error(config_dir, "heavy", text).endswith(
        "channels/heavy.yaml: trends.performance_weight: Input should be less than or equal"
        " to 1")


def test_a_k_of_zero_is_named(config_dir: Path) -> None:  # noqa: F811
    text = SCOUTED.format(name="nok").replace("  sources:", "  performance_k: 0\n  sources:")
    assert "channels/nok.yaml: trends.performance_k: " in channel_error(config_dir, "nok", text)


def test_a_weight_without_the_scout_says_what_it_needs(config_dir: Path) -> None:  # noqa: F811
    text = ("name: nosources\nniche: science facts\ntrends:\n  feed: feeds/science.yaml\n"
            "  performance_weight: 0.2\n")
    assert channel_error(config_dir, "nosources", text).endswith(
        "channels/nosources.yaml: trends.performance_weight: ranks the trend scout's queue:"
        " give trends.sources too, or set it to 0")


def test_an_unknown_hook_style_lists_the_known_ones(config_dir: Path) -> None:  # noqa: F811
    text = SCOUTED.format(name="odd") + "hooks:\n  experiment: [question, shouting]\n"
    error = channel_error(config_dir, "odd", text)
    assert "channels/odd.yaml: hooks.experiment: " in error
    assert "unknown hook style 'shouting' (known: question, bold-claim, number, story)" in error


def test_an_experiment_needs_two_different_styles(config_dir: Path) -> None:  # noqa: F811
    for styles in ("[question]", "[question, question]", "[question, story, number]"):
        text = SCOUTED.format(name="one") + f"hooks:\n  experiment: {styles}\n"
        error = channel_error(config_dir, "one", text)
        assert "channels/one.yaml: hooks.experiment: " in error, styles
        assert "give two different hook styles" in error, styles


def test_an_unknown_hooks_field_is_named(config_dir: Path) -> None:  # noqa: F811
    text = SCOUTED.format(name="typo") + "hooks:\n  experiments: [question, story]\n"
    assert "channels/typo.yaml: hooks.experiments: unknown field" in channel_error(
        config_dir, "typo", text)
