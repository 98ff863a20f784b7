"""The trend scout's sources against loopback fakes, through the real clients
(requests, feedparser, google-api-python-client), and the ranked queue they fill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.config import Settings, load_settings
from activities.ledger import Ledger
from activities.secrets import SecretStore
from activities.trends import SourceContext, SourceFailed, source_for
from activities.trends import reddit as reddit_source
from activities.trends.scout import TrendActivities
from tests.fakes.server import Fault
from tests.fakes.trends_api import REDDIT_ID, REDDIT_SECRET, YOUTUBE_KEY, FakeTrends
from workflows.contracts import ScoutRequest, TopicRequest, TrendSource

REPO = Path(__file__).resolve().parents[2]
FEED = str(REPO / "channels" / "feeds" / "science.yaml")


@pytest.fixture
def trends_fake(fake_cert: tuple[Path, Path]) -> Iterator[FakeTrends]:
    reddit_source._tokens.clear()
    with FakeTrends(fake_cert) as fake:
        yield fake


def trend_settings(tmp_path: Path, ca: Path, url: str, ledger_url: str = "") -> Settings:
    ledger_url = ledger_url or f"sqlite:///{tmp_path / 'ledger.db'}"
    (tmp_path / "temporal.yaml").write_text(
        f"data: {{ledger_url: '{ledger_url}'}}\n"
        f"publishing: {{secrets_dir: {tmp_path / 'secrets'}, ca_bundle: {ca},"
        f" youtube: {{api_endpoint: '{url}/'}}}}\n"
        f"trends: {{google_trends_url: '{url}/trending/rss', reddit_url: '{url}',"
        f" reddit_token_url: '{url}/api/v1/access_token', timeout_s: 1,"
        " user_agent: 'python:monolathe-test:0.1 (by /u/tester)'}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    secrets = SecretStore(settings.publishing.secrets_dir)
    secrets.save("reddit", "app", {"client_id": REDDIT_ID, "client_secret": REDDIT_SECRET})
    secrets.save("youtube-key", "yt", {"api_key": YOUTUBE_KEY})
    return settings


@pytest.fixture
def settings(tmp_path: Path, fake_cert: tuple[Path, Path], trends_fake: FakeTrends) -> Settings:
    return trend_settings(tmp_path, fake_cert[0], trends_fake.url)


@pytest.fixture
def queue_settings(tmp_path: Path, fake_cert: tuple[Path, Path], trends_fake: FakeTrends,
                   ledger_url: str) -> Settings:
    """The topic queue's tests run on a SQLite ledger and on a PostgreSQL one."""
    return trend_settings(tmp_path, fake_cert[0], trends_fake.url, ledger_url)


@pytest.fixture
def ctx(settings: Settings) -> SourceContext:
    return SourceContext(settings, SecretStore(settings.publishing.secrets_dir),
                         Ledger(settings.ledger_url), "sky")


def sources(url: str) -> list[TrendSource]:
    return [
        TrendSource("google_trends", geo="US"),
        TrendSource("reddit", subreddits=["science", "space"], key="app"),
        TrendSource("youtube", geo="DE", category="28", key="yt"),
        TrendSource("rss", url=f"{url}/feeds/science.xml"),
        TrendSource("rss", url="https://127.0.0.1:1/dead.xml"),  # nobody listens there
    ]


def test_google_trends_items_carry_traffic_news_facts_and_links(ctx, trends_fake):
    found = source_for("google_trends").candidates(TrendSource("google_trends", geo="GB"), ctx)
    webb = found[0]
    assert webb.title == "james webb telescope" and webb.traffic == 50000
    assert webb.facts[0] == ("James Webb telescope finds water vapour around a distant rocky"
                             " planet.")
    assert "The finding is the clearest sign of water so far on a world this size." in webb.facts
    assert webb.url == "https://news.example/webb" and webb.links == ["https://science.example/webb"]
    assert webb.published is not None and webb.source == "google_trends:GB"
    assert ("GET", "/trending/rss") in trends_fake.requests


def test_reddit_uses_app_only_oauth_its_user_agent_and_skips_stickies(ctx, trends_fake):
    found = source_for("reddit").candidates(
        TrendSource("reddit", subreddits=["science"], key="app"), ctx)
    assert [c.title for c in found] == ["Bees can count up to four, a new experiment shows",
                                        "Link post without text"]
    bees = found[0]
    assert len(bees.facts) == 3 and bees.traffic == 15400 + 820
    assert bees.url == "https://www.reddit.com/r/science/comments/abc/bees_count/"
    assert bees.links == ["https://journal.example/bees"]
    assert trends_fake.tokens_issued == 1
    assert set(trends_fake.user_agents) == {"python:monolathe-test:0.1 (by /u/tester)"}
    source_for("reddit").candidates(TrendSource("reddit", subreddits=["space"], key="app"), ctx)
    assert trends_fake.tokens_issued == 1  # the token is kept until it expires


def test_reddit_stops_when_its_rate_limit_is_spent(ctx, trends_fake):
    trends_fake.ratelimit_remaining = 1  # the first listing spends the last call
    found = source_for("reddit").candidates(
        TrendSource("reddit", subreddits=["science", "space"], key="app"), ctx)
    assert found and trends_fake.count("GET", "/r/space") == 0
    trends_fake.faults.append(Fault("reddit", 429, retry_after=30))
    with pytest.raises(SourceFailed, match="rate limited for 30 s"):
        source_for("reddit").candidates(TrendSource("reddit", subreddits=["space"], key="app"),
                                        ctx)


def test_reddit_without_credentials_names_the_auth_command(ctx):
    with pytest.raises(SourceFailed, match="monolathe auth reddit other"):
        source_for("reddit").candidates(TrendSource("reddit", subreddits=["x"], key="other"),
                                        ctx)


def test_youtube_most_popular_through_the_client_counts_one_quota_unit(ctx, trends_fake):
    found = source_for("youtube").candidates(
        TrendSource("youtube", geo="DE", category="28", key="yt"), ctx)
    assert found[0].title == "Why Mars is red (DE, category 28)"
    assert found[0].traffic == 1_200_000 and found[0].keywords == ["mars", "space"]
    assert len(found[0].facts) == 2
    used = sum(ctx.ledger.quota_used("youtube", "key:yt", day)[0]
               for day in {r.day for r in _quota_rows(ctx.ledger)})
    assert used == 1


def _quota_rows(ledger: Ledger):
    from sqlmodel import select

    from activities.ledger import QuotaRow

    with ledger.session() as s:
        return list(s.exec(select(QuotaRow)))


def test_youtube_with_a_bad_key_fails_with_googles_message(ctx, settings):
    SecretStore(settings.publishing.secrets_dir).save("youtube-key", "bad", {"api_key": "nope"})
    with pytest.raises(SourceFailed, match="API key not valid"):
        source_for("youtube").candidates(TrendSource("youtube", key="bad"), ctx)


@pytest.mark.parametrize("path, reason", [
    ("/feeds/malformed.xml", "no entries"),
    ("/feeds/slow.xml", "slower than"),
    ("/feeds/missing.xml", "HTTP 404"),
])
def test_broken_feeds_fail_with_the_reason(ctx, trends_fake, path, reason):
    with pytest.raises(SourceFailed, match=reason):
        source_for("rss").candidates(TrendSource("rss", url=trends_fake.url + path), ctx)


def test_scout_skips_a_dead_source_and_queues_the_others_best_first(queue_settings, trends_fake):
    settings = queue_settings
    ledger = Ledger(settings.ledger_url)
    acts = TrendActivities(settings, ledger)
    result = acts.scout_trends(ScoutRequest("sky", "space science telescope planets",
                                            sources(trends_fake.url), ["Honey never spoils"]))
    by_source = {r.source: r for r in result.sources}
    assert by_source["rss:127.0.0.1:1"].candidates == 0
    assert "ConnectError" in by_source["rss:127.0.0.1:1"].error
    assert by_source["google_trends:US"].candidates == 2
    assert by_source["reddit:r/science+r/space"].candidates == 2  # link posts lack facts
    assert by_source["youtube:DE/28"].candidates == 1
    assert by_source[f"rss:127.0.0.1:{trends_fake.port}"].candidates == 1
    assert result.queued == 5 == result.queue_depth
    # the telescope story fits the niche better than a bigger celebrity story
    first = acts.take_topic(TopicRequest("sky", "", "", [], [], slot="2026-11-25T06:00:00"))
    assert first.title == "james webb telescope"
    assert first.url == "https://news.example/webb" and first.links
    again = acts.take_topic(TopicRequest("sky", "", "", [], [], slot="2026-11-25T06:00:00"))
    assert again == first  # a retried take returns the same topic
    second = acts.take_topic(TopicRequest("sky", "", "", [], [], slot="2026-11-25T12:00:00"))
    assert second.title != first.title
    # a second run adds nothing new and never offers a taken topic again
    rerun = acts.scout_trends(ScoutRequest("sky", "space science telescope planets",
                                           sources(trends_fake.url), []))
    assert rerun.queued == 0 and rerun.queue_depth == 3


def test_an_empty_queue_takes_from_the_local_feed_or_skips_the_slot(queue_settings):
    settings = queue_settings
    acts = TrendActivities(settings, Ledger(settings.ledger_url))
    topic = acts.take_topic(TopicRequest("sky", "", FEED, [], ["Octopuses have three hearts"],
                                         slot="s1"))
    assert topic.title and topic.title != "Octopuses have three hearts"
    assert acts.take_topic(TopicRequest("sky", "", "", [], [], slot="s2")).title == ""
