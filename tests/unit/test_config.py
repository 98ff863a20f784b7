"""load_settings / load_channel: the shipped config loads, every bad input names file, field, reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from activities.config import ConfigError, LedgerSettings, load_channel, load_settings
from workflows.contracts import ChannelConfig

REPO = Path(__file__).resolve().parents[2]
SHIPPED_FEED = REPO / "channels" / "feeds" / "science.yaml"

VALID_CHANNEL = """\
name: {name}
niche: science facts
cadence:
  per_day: 2
trends:
  feed: feeds/science.yaml
"""


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """An empty temporal.yaml (all defaults) with a channels/ folder holding the shipped feed."""
    (tmp_path / "temporal.yaml").write_text("", encoding="utf-8")
    feeds = tmp_path / "channels" / "feeds"
    feeds.mkdir(parents=True)
    shutil.copy(SHIPPED_FEED, feeds / "science.yaml")
    return tmp_path


def write_channel(config_dir: Path, name: str, text: str) -> Path:
    path = config_dir / "channels" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def channel_error(config_dir: Path, name: str, text: str) -> str:
    write_channel(config_dir, name, text)
    settings = load_settings(config_dir / "temporal.yaml")
    with pytest.raises(ConfigError) as caught:
        load_channel(settings, name)
    return str(caught.value)


def valid_with(extra: str, name: str = "sci") -> str:
    return VALID_CHANNEL.format(name=name) + extra


# --- what loads ---


def test_shipped_demo_channel_loads_with_its_documented_values() -> None:
    settings = load_settings(REPO / "temporal.yaml")
    config = load_channel(settings, "demo")

    assert isinstance(config, ChannelConfig)
    assert config.name == "demo"
    assert config.niche == "science facts"
    assert config.cadence.per_day == 3
    assert config.cadence.times == []
    assert config.cadence.slot_seconds is None
    assert config.platforms == ["local"]
    assert config.daily_budget_usd == 1.0
    assert config.max_in_flight == 1
    assert config.look.palette == ["#14213d", "#3a0ca3", "#f72585", "#4cc9f0"]
    assert config.voice.model == "joe-us"
    assert config.hashtags == ["science", "facts", "shorts"]
    assert config.rss_urls == []
    assert Path(config.trends_feed) == SHIPPED_FEED
    assert Path(config.out_dir) == REPO / "out" / "demo"
    assert Path(config.source_file) == REPO / "channels" / "demo.yaml"


def test_shipped_settings_resolve_against_the_repo() -> None:
    settings = load_settings(REPO / "temporal.yaml")

    assert settings.address == "127.0.0.1:7233"
    assert settings.ui_port == 8233
    assert settings.ui_url == "http://127.0.0.1:8233"
    assert settings.channels_dir == REPO / "channels"
    assert settings.ledger_url == f"sqlite:///{REPO}/var/ledger.db"
    assert settings.concurrency == {"reels": 8, "media": 2, "gpu": 1, "publish": 2, "generate": 8}
    assert settings.visuals.sources["runway"].quality == 0.95
    assert settings.queues.generate == "generate"


def test_relative_paths_in_temporal_yaml_resolve_against_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = (tmp_path / "deploy").resolve()
    folder.mkdir()
    (folder / "temporal.yaml").write_text(
        "server: {db_file: state/temporal.db}\n"
        "data:\n"
        "  var_dir: state\n"
        "  artifacts_dir: state/art\n"
        "  ledger_url: sqlite:///var/x.db\n"
        "  out_dir: ../published\n"
        "  channels_dir: chans\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # a different working directory must not matter

    settings = load_settings(folder / "temporal.yaml")

    assert settings.source == folder / "temporal.yaml"
    assert settings.db_file == folder / "state" / "temporal.db"
    assert settings.var_dir == folder / "state"
    assert settings.artifacts_dir == folder / "state" / "art"
    assert settings.out_dir == tmp_path.resolve() / "published"
    assert settings.channels_dir == folder / "chans"
    assert settings.ledger_url == f"sqlite:///{folder}/var/x.db"
    assert settings.ledger_url.startswith("sqlite:////")


def test_absolute_sqlite_and_postgres_urls_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("data: {ledger_url: 'sqlite:////srv/l.db'}\n")
    (tmp_path / "b.yaml").write_text("data: {ledger_url: 'postgresql://u:p@db/l'}\n")

    assert load_settings(tmp_path / "a.yaml").ledger_url == "sqlite:////srv/l.db"
    assert load_settings(tmp_path / "b.yaml").ledger_url == "postgresql://u:p@db/l"


def test_channel_feed_resolves_against_the_channel_file_and_out_dir_defaults(
    config_dir: Path,
) -> None:
    write_channel(config_dir, "sci", VALID_CHANNEL.format(name="sci"))
    settings = load_settings(config_dir / "temporal.yaml")

    config = load_channel(settings, "sci")

    assert config.trends_feed == str(config_dir / "channels" / "feeds" / "science.yaml")
    assert config.out_dir == str(config_dir / "out" / "sci")
    assert config.cadence.per_day == 2


def test_channel_with_only_an_rss_url_is_valid(config_dir: Path) -> None:
    write_channel(
        config_dir,
        "news",
        "name: news\nniche: world news\ntrends: {rss: ['https://example.org/feed.xml']}\n",
    )
    config = load_channel(load_settings(config_dir / "temporal.yaml"), "news")

    assert config.trends_feed == ""
    assert config.rss_urls == ["https://example.org/feed.xml"]


def test_cadence_times_are_sorted(config_dir: Path) -> None:
    text = VALID_CHANNEL.format(name="sci").replace("per_day: 2", "times: ['18:30', '09:00']")
    write_channel(config_dir, "sci", text)
    config = load_channel(load_settings(config_dir / "temporal.yaml"), "sci")

    assert config.cadence.times == ["09:00", "18:30"]


# --- channel errors: file, dotted field, reason ---


def test_unknown_channel_field_is_named(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("cadnce: {per_day: 2}\n"))

    assert "channels/sci.yaml: cadnce: unknown field" in message


def test_per_day_zero_is_rejected(config_dir: Path) -> None:
    text = VALID_CHANNEL.format(name="sci").replace("per_day: 2", "per_day: 0")
    message = channel_error(config_dir, "sci", text)

    assert "channels/sci.yaml: cadence.per_day:" in message
    assert "greater than or equal to 1" in message


def test_time_of_day_out_of_range_is_rejected(config_dir: Path) -> None:
    text = VALID_CHANNEL.format(name="sci").replace("per_day: 2", "times: ['25:00']")
    message = channel_error(config_dir, "sci", text)

    assert "channels/sci.yaml: cadence.times:" in message
    assert "'25:00' is not a time of day as HH:MM" in message


def test_palette_colour_name_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("look: {palette: ['#000000', red]}\n"))

    assert "channels/sci.yaml: look.palette:" in message
    assert "'red' is not a colour as #rrggbb" in message


def test_negative_budget_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("budget: {daily_usd: -1}\n"))

    assert "channels/sci.yaml: budget.daily_usd:" in message
    assert "greater than 0" in message


def test_unknown_platform_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("platforms: [myspace]\n"))

    assert "channels/sci.yaml: platforms.0:" in message
    assert "'local'" in message and "'tiktok'" in message


def test_name_must_match_the_file_name(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", VALID_CHANNEL.format(name="other"))

    assert "channels/sci.yaml: name: is 'other' but the file is named sci.yaml" in message


def test_name_with_bad_characters_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "Sci!", VALID_CHANNEL.format(name="Sci!"))

    assert "channels/Sci!.yaml: name:" in message
    assert "must be lowercase letters, digits" in message


def test_missing_feed_file_is_named_with_its_resolved_path(config_dir: Path) -> None:
    text = VALID_CHANNEL.format(name="sci").replace("feeds/science.yaml", "feeds/nope.yaml")
    message = channel_error(config_dir, "sci", text)

    missing = config_dir / "channels" / "feeds" / "nope.yaml"
    assert "channels/sci.yaml: trends.feed:" in message
    assert f"file {missing} not found" in message


def test_channel_without_feed_or_rss_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", "name: sci\nniche: science facts\n")

    assert "channels/sci.yaml: trends:" in message
    assert "give a local feed file or at least one rss URL" in message


def test_rss_url_without_http_scheme_is_rejected(config_dir: Path) -> None:
    message = channel_error(
        config_dir, "sci", "name: sci\nniche: science\ntrends: {rss: ['example.org/feed']}\n"
    )

    assert "channels/sci.yaml: trends.rss:" in message
    assert "is not an http(s):// or file:// URL" in message


def test_invalid_yaml_reports_the_line(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", "name: sci\nniche: [oops\n")

    assert "channels/sci.yaml: line 3: not valid YAML" in message


def test_top_level_list_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", "- name: sci\n- niche: x\n")

    assert "channels/sci.yaml: (top level): must be a mapping of fields" in message


def test_missing_channel_file_lists_the_known_channels(config_dir: Path) -> None:
    write_channel(config_dir, "alpha", VALID_CHANNEL.format(name="alpha"))
    write_channel(config_dir, "beta", VALID_CHANNEL.format(name="beta"))
    settings = load_settings(config_dir / "temporal.yaml")

    with pytest.raises(ConfigError) as caught:
        load_channel(settings, "ghost")

    message = str(caught.value)
    assert "channels/ghost.yaml: file not found" in message
    assert "known channels: alpha, beta" in message


def test_missing_channel_file_with_no_channels_says_none(config_dir: Path) -> None:
    settings = load_settings(config_dir / "temporal.yaml")

    with pytest.raises(ConfigError, match="known channels: none"):
        load_channel(settings, "ghost")


# --- temporal.yaml errors ---


def test_ui_port_out_of_range_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "temporal.yaml"
    path.write_text("server:\n  ui_port: 70000\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    message = str(caught.value)
    assert f"{path}: server.ui_port:" in message
    assert "less than or equal to 65535" in message


def test_unknown_settings_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "temporal.yaml"
    path.write_text("server: {adress: 'x:1'}\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert f"{path}: server.adress: unknown field" in str(caught.value)


def test_missing_settings_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert str(caught.value) == f"{path}: file not found"


# --- API writer, trend sources, language ---


def test_shipped_trending_channel_has_sources_and_the_api_writer() -> None:
    settings = load_settings(REPO / "temporal.yaml")
    config = load_channel(settings, "trending")
    assert [s.kind for s in config.trend_sources] == ["google_trends", "reddit", "rss", "feed"]
    assert config.trend_sources[1].subreddits == ["science", "space"]
    assert config.trends_feed == str(SHIPPED_FEED)  # empty queue: slots take from the feed
    assert config.script.writer == "api" and config.script.model == "deepseek-chat"
    assert config.script.base_url == "https://api.deepseek.com"
    assert config.script.api_key == "deepseek" and config.scout_every_minutes == 180
    assert load_channel(settings, "demo").trend_sources == []  # the demo stays offline


def test_api_writer_takes_a_local_server_without_key(config_dir: Path) -> None:
    write_channel(config_dir, "sci", valid_with(
        "script: {writer: api, base_url: 'http://localhost:11434/v1/', model: llama3.2,"
        " api_key: ''}\n"))
    config = load_channel(load_settings(config_dir / "temporal.yaml"), "sci")
    assert config.script.base_url == "http://localhost:11434/v1"
    assert config.script.api_key == "" and config.script.model == "llama3.2"


def test_bad_trend_sources_name_the_field(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with(
        "  sources: [{kind: reddit, key: r}]\n"))
    assert "channels/sci.yaml: trends.sources[0].subreddits: name at least one" in message
    message = channel_error(config_dir, "sci", valid_with(
        "  sources: [{kind: rss, url: 'example.org/feed'}]\n"))
    assert "trends.sources[0].url: 'example.org/feed' is not an http(s)://" in message
    message = channel_error(config_dir, "sci", valid_with("  sources: [{kind: gopher}]\n"))
    assert "trends.sources.0.kind:" in message
    message = channel_error(config_dir, "sci", valid_with(
        "script: {writer: api, base_url: 'ftp://x'}\n"))
    assert "script.base_url: 'ftp://x' is not an http(s):// URL" in message


def test_another_language_needs_a_voice_that_speaks_it(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("language: de\n"))
    assert "voice.model: the bundled joe-us voice speaks English" in message


def test_artifacts_store_is_the_folder_by_default_or_an_s3_bucket(tmp_path: Path) -> None:
    path = tmp_path / "temporal.yaml"
    path.write_text("data: {}\n")
    assert load_settings(path).artifacts_url == ""
    path.write_text("data: {artifacts: 's3://reels/factory/', artifacts_endpoint: "
                    "'http://127.0.0.1:9000'}\n")
    settings = load_settings(path)
    assert settings.artifacts_url == "s3://reels/factory"
    assert settings.artifacts_endpoint == "http://127.0.0.1:9000"
    path.write_text("data: {artifacts: 'gs://reels'}\n")
    with pytest.raises(ConfigError, match=r"data\.artifacts: .*s3://bucket"):
        load_settings(path)


def test_the_ledger_section_sizes_the_pool_and_names_a_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "temporal.yaml"
    path.write_text("data: {}\n")
    assert load_settings(path).ledger == LedgerSettings(5, 5, 30.0, 30.0)
    path.write_text("ledger: {pool_size: 12, max_overflow: 0, statement_timeout_s: 0}\n")
    ledger = load_settings(path).ledger
    assert (ledger.pool_size, ledger.max_overflow, ledger.statement_timeout_s) == (12, 0, 0)
    path.write_text("ledger: {pool_size: 0}\n")
    with pytest.raises(ConfigError, match=r"temporal\.yaml: ledger\.pool_size: .*greater than"):
        load_settings(path)
    path.write_text("ledger: {pool: 3}\n")
    with pytest.raises(ConfigError, match=r"ledger\.pool: "):
        load_settings(path)
