"""Topics: the local feed file, RSS/Atom parsing, choosing a fresh one, a real HTTP feed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.topics import TopicActivities, choose, find_topic, parse_feed, read_feed_file
from workflows.contracts import ChannelConfig, Topic, TopicRequest

REPO = Path(__file__).resolve().parents[2]
SHIPPED_FEED = REPO / "channels" / "feeds" / "science.yaml"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Loopback science</title>
    <item>
      <title>Comets carry &amp; keep ancient ice</title>
      <link>https://example.org/comets</link>
      <description>&lt;p&gt;Comets are leftovers from the birth of the solar system.&lt;/p&gt;
        &lt;p&gt;Their ice has barely changed in four billion years!&lt;/p&gt;
        Short one. &lt;b&gt;Each pass near the sun boils some of it away.&lt;/b&gt;
        A fourth sentence that is long enough. A fifth sentence that is long enough.
      </description>
    </item>
    <item>
      <title>Too thin to film</title>
      <description>Only one sentence here, nothing more to say.</description>
    </item>
    <item>
      <title></title>
      <description>No title at all on this one. So it cannot be a reel.</description>
    </item>
  </channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom science</title>
  <entry>
    <title>Moons outnumber planets</title>
    <link href="https://example.org/moons" rel="alternate"/>
    <summary type="html">&lt;i&gt;Saturn has well over a hundred known moons.&lt;/i&gt;
      Some of them orbit backwards around the planet.</summary>
  </entry>
  <entry>
    <title>Content instead of summary</title>
    <content type="html">The content element is used here instead. It still has two sentences.</content>
  </entry>
  <entry>
    <title>One liner</title>
    <summary>Just a single sentence about nothing much.</summary>
  </entry>
</feed>
"""


def topic(title: str) -> Topic:
    return Topic(title=title, facts=["One fact here.", "Another fact here."])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def bad_input_message(path: Path) -> str:
    with pytest.raises(ApplicationError) as caught:
        read_feed_file(path)
    assert caught.value.type == "BadInput"
    assert caught.value.non_retryable is True
    return caught.value.message


# --- local feed file ---


def test_shipped_feed_reads_into_topics_in_file_order() -> None:
    topics = read_feed_file(SHIPPED_FEED)

    assert len(topics) == 10
    first = topics[0]
    assert first.title == "Octopuses have three hearts"
    assert first.keywords == ["octopus", "ocean"]
    assert first.hook.startswith("An octopus has three hearts")
    assert len(first.facts) == 4
    assert (
        first.facts[2]
        == "Their blood is blue, because it carries oxygen with copper instead of iron."
    )
    assert first.source == str(SHIPPED_FEED)
    assert topics[2].title == "Glass is made from sand"  # the demo's third reel
    assert topics[-1].title == "Crows remember faces"
    assert all(len(t.facts) >= 2 for t in topics)


def test_feed_entry_without_title_names_its_index(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (
            "topics:\n"
            "  - title: Fine\n    facts: [One fact., Two facts.]\n"
            "  - facts: [One fact., Two facts.]\n"
        ),
    )

    assert bad_input_message(path) == f"{path}: topics[1].title: required"


def test_feed_entry_with_one_fact_names_its_index(tmp_path: Path) -> None:
    path = write(tmp_path, "topics:\n  - title: Lonely\n    facts: [Only one fact.]\n")

    message = bad_input_message(path)
    assert message.startswith(f"{path}: topics[0].facts:")
    assert "at least 2 facts" in message


def test_feed_entry_with_non_text_facts_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "topics:\n  - title: Odd\n    facts: [One fact., 42]\n")

    assert bad_input_message(path) == f"{path}: topics[0].facts: must be a list of sentences"


def test_feed_without_topics_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "title: not a feed\n")

    assert bad_input_message(path) == f"{path}: topics: must be a non-empty list"


def test_unreadable_feed_yaml_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path, "topics: [unclosed\n")

    assert "cannot read the trend feed" in bad_input_message(path)


def test_missing_feed_file_is_bad_input(tmp_path: Path) -> None:
    assert "cannot read the trend feed" in bad_input_message(tmp_path / "nope.yaml")


def test_empty_hook_in_feed_reads_as_no_hook(tmp_path: Path) -> None:
    path = write(tmp_path, "topics:\n  - title: T\n    hook:\n    facts: [One fact., Two.]\n")

    assert read_feed_file(path)[0].hook == ""


def test_scalar_keywords_in_feed_are_not_split_into_letters(tmp_path: Path) -> None:
    path = write(tmp_path, "topics:\n  - title: T\n    keywords: octopus\n    facts: [A., B.]\n")

    try:
        keywords = read_feed_file(path)[0].keywords
    except ApplicationError:
        return  # rejecting it as BadInput would be fine too
    assert keywords == ["octopus"]


# --- RSS and Atom ---


def test_rss_items_become_topics_with_html_stripped() -> None:
    topics = parse_feed(RSS, "https://example.org/rss")

    assert [t.title for t in topics] == ["Comets carry & keep ancient ice"]
    comet = topics[0]
    assert comet.url == "https://example.org/comets"
    assert comet.source == "https://example.org/rss"
    assert comet.facts == [
        "Comets are leftovers from the birth of the solar system.",
        "Their ice has barely changed in four billion years!",
        "Each pass near the sun boils some of it away.",
        "A fourth sentence that is long enough.",
    ]
    assert "<" not in comet.summary and ">" not in comet.summary


def test_atom_entries_become_topics_with_link_href() -> None:
    topics = parse_feed(ATOM, "https://example.org/atom")

    assert [t.title for t in topics] == ["Moons outnumber planets", "Content instead of summary"]
    moons = topics[0]
    assert moons.url == "https://example.org/moons"
    assert moons.facts == [
        "Saturn has well over a hundred known moons.",
        "Some of them orbit backwards around the planet.",
    ]
    assert "<i>" not in moons.summary
    assert topics[1].facts == [
        "The content element is used here instead.",
        "It still has two sentences.",
    ]


def test_feed_without_items_gives_no_topics() -> None:
    assert parse_feed("<rss><channel><title>x</title></channel></rss>", "u") == []


# --- choose ---


def test_choose_takes_the_first_topic_not_used_recently() -> None:
    candidates = [topic("Alpha"), topic("Beta"), topic("Gamma")]

    assert choose(candidates, []).title == "Alpha"
    assert choose(candidates, ["alpha"]).title == "Beta"
    assert choose(candidates, ["ALPHA", "bEtA"]).title == "Gamma"


def test_choose_when_all_are_recent_returns_the_one_used_longest_ago() -> None:
    candidates = [topic("Alpha"), topic("Beta"), topic("Gamma")]

    # recent_topics is oldest first (as the ledger and the channel workflow keep it)
    assert choose(candidates, ["Beta", "Gamma", "Alpha"]).title == "Beta"
    assert choose(candidates, ["gamma", "alpha", "beta"]).title == "Gamma"


def test_choose_counts_the_latest_use_of_a_repeated_topic() -> None:
    candidates = [topic("Alpha"), topic("Beta")]

    # Alpha was used first but also last: Beta is the one used longest ago.
    assert choose(candidates, ["Alpha", "Beta", "Alpha"]).title == "Beta"


# --- pick_topic over real HTTP on loopback ---


@pytest.fixture
def serve() -> Iterator[Callable[[str, str], str]]:
    """Serve documents over HTTP on 127.0.0.1; returns the URL of each path registered."""
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()

    def add(path: str, text: str) -> str:
        documents[path] = text.encode("utf-8")
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    yield add
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def request(
    rss_urls: list[str], recent: list[str] | None = None, feed: str = str(SHIPPED_FEED)
) -> TopicRequest:
    return TopicRequest(
        channel="demo",
        niche="science facts",
        trends_feed=feed,
        rss_urls=rss_urls,
        recent_topics=recent or [],
    )


def test_pick_topic_puts_the_rss_item_first(serve: Callable[[str, str], str]) -> None:
    url = serve("/rss.xml", RSS)

    picked = TopicActivities().pick_topic(request([url]))

    assert picked.title == "Comets carry & keep ancient ice"
    assert picked.source == url
    assert picked.url == "https://example.org/comets"


def test_pick_topic_falls_back_to_the_local_feed_when_rss_is_recent(
    serve: Callable[[str, str], str],
) -> None:
    url = serve("/atom.xml", ATOM)
    recent = ["Moons outnumber planets", "content instead of summary"]

    picked = TopicActivities().pick_topic(request([url], recent))

    assert picked.title == "Octopuses have three hearts"
    assert picked.source == str(SHIPPED_FEED)


def test_dead_feed_url_is_skipped_and_the_local_feed_used(
    serve: Callable[[str, str], str],
) -> None:
    missing = serve("/rss.xml", RSS).replace("/rss.xml", "/gone.xml")  # 404

    picked = TopicActivities().pick_topic(request([closed_port_url(), missing]))

    assert picked.title == "Octopuses have three hearts"


def test_feed_that_is_not_xml_is_skipped(serve: Callable[[str, str], str]) -> None:
    url = serve("/broken.xml", "<html><body>oops")

    assert TopicActivities().pick_topic(request([url])).title == "Octopuses have three hearts"


def test_truncated_feed_response_is_skipped() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<rss>")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        try:
            picked = TopicActivities().pick_topic(request([url]))
        finally:
            thread.join(timeout=5)

    assert picked.title == "Octopuses have three hearts"


def test_no_topics_anywhere_is_bad_input() -> None:
    with pytest.raises(ApplicationError) as caught:
        TopicActivities().pick_topic(request([closed_port_url()], feed=""))

    assert caught.value.type == "BadInput"
    assert "channel demo: no topics in any trend feed" in caught.value.message


# --- find_topic (one-off reels) ---


def demo_config() -> ChannelConfig:
    return ChannelConfig(name="demo", niche="science facts", trends_feed=str(SHIPPED_FEED))


def test_find_topic_matches_a_title_substring_case_insensitively() -> None:
    found = find_topic(demo_config(), "  HONEY never ", [])

    assert found.title == "Honey never spoils"
    assert found.facts[0].startswith("Archaeologists found pots of honey")


def test_find_topic_uses_the_given_facts() -> None:
    facts = ["Snails can sleep for three years.", "They have thousands of teeth."]

    found = find_topic(demo_config(), " Snails ", facts)

    assert found == Topic(title="Snails", facts=facts, source="command line")


def test_find_topic_without_a_match_lists_the_feed_titles() -> None:
    with pytest.raises(ApplicationError) as caught:
        find_topic(demo_config(), "quantum gravity", [])

    message = caught.value.message
    assert caught.value.type == "BadInput"
    assert "topic 'quantum gravity': not in" in message
    assert "--fact" in message
    assert "Octopuses have three hearts; Honey never spoils" in message
    assert "Glass is made from sand" in message
