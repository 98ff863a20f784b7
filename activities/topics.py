"""pick_topic: a fresh topic from the channel's local feed and its RSS/Atom feeds.

RSS items come first (they are what is trending now), then the local feed in file order.
A topic the channel used recently is skipped; when every topic is recent the one used
longest ago comes back, so a small feed never stalls a channel.
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from temporalio import activity

from activities import yaml_plain
from activities.bounded_fetch import FetchFailed, fetch
from activities.errors import bad_input
from activities.redact import redact
from workflows.contracts import ChannelConfig, Topic, TopicRequest

log = logging.getLogger(__name__)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ATOM = "{http://www.w3.org/2005/Atom}"
RSS_TIMEOUT_S = 10  # the whole fetch, a slow sender included


def read_feed_file(path: Path) -> list[Topic]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            data = yaml_plain.load(f.read(yaml_plain.MAX_BYTES + 1)) or {}
    except OSError as exc:
        raise bad_input(f"{path}: cannot read the trend feed ({exc.strerror or exc})") from None
    except yaml_plain.YamlRefused as exc:
        raise bad_input(f"{path}: cannot read the trend feed ({exc})") from None
    entries = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise bad_input(f"{path}: topics: must be a non-empty list")
    topics = []
    for i, entry in enumerate(entries):
        where = f"{path}: topics[{i}]"
        if not isinstance(entry, dict) or not str(entry.get("title", "")).strip():
            raise bad_input(f"{where}.title: required")
        facts = entry.get("facts") or []
        if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip() for f in facts):
            raise bad_input(f"{where}.facts: must be a list of sentences")
        if len(facts) < 2:
            raise bad_input(f"{where}.facts: give at least 2 facts (one scene each)")
        topics.append(
            Topic(
                title=str(entry["title"]).strip(),
                summary=str(entry.get("summary") or ""),
                hook=str(entry.get("hook") or ""),
                facts=[f.strip() for f in facts],
                keywords=_keywords(entry.get("keywords"), where),
                source=str(path),
            )
        )
    return topics


def _keywords(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise bad_input(f"{where}.keywords: must be a list of words")
    return [str(k) for k in value]


def _text(node: ET.Element | None) -> str:
    if node is None:
        return ""
    raw = "".join(node.itertext()) if len(node) else (node.text or "")
    return " ".join(html.unescape(_TAG.sub(" ", raw)).split())


def parse_feed(xml_text: str, source: str) -> list[Topic]:
    """Topics from an RSS 2.0 or Atom document; items with under 2 sentences are skipped."""
    root = ET.fromstring(xml_text)
    items = root.findall("./channel/item") or root.findall(f"{_ATOM}entry")
    topics = []
    for item in items:
        title = _text(item.find("title")) or _text(item.find(f"{_ATOM}title"))
        summary = (
            _text(item.find("description"))
            or _text(item.find(f"{_ATOM}summary"))
            or _text(item.find(f"{_ATOM}content"))
        )
        link = _text(item.find("link"))
        atom_link = item.find(f"{_ATOM}link")
        if not link and atom_link is not None:
            link = atom_link.get("href", "")
        sentences = [s for s in _SENTENCE.split(summary) if len(s.split()) >= 4][:4]
        if not title or len(sentences) < 2:
            continue
        topics.append(Topic(title=title, summary=summary, facts=sentences, source=source,
                            url=link))
    return topics


def fetch_feed(url: str) -> list[Topic]:
    answer = fetch(url, timeout_s=RSS_TIMEOUT_S, headers={"User-Agent": "monolathe/0.1"})
    if answer.status >= 400:
        raise FetchFailed(f"{redact(url)}: HTTP {answer.status}")
    return parse_feed(answer.body.decode("utf-8", errors="replace"), url)


def choose(candidates: list[Topic], recent: list[str]) -> Topic:
    used = {t.casefold(): i for i, t in enumerate(recent)}
    for topic in candidates:
        if topic.title.casefold() not in used:
            return topic
    return min(candidates, key=lambda t: used.get(t.title.casefold(), -1))


def gather_candidates(req: TopicRequest) -> list[Topic]:
    """Every topic of the channel's feeds, RSS first; BadInput when there is none."""
    candidates: list[Topic] = []
    for url in req.rss_urls:
        try:
            candidates.extend(fetch_feed(url))
        except (FetchFailed, ET.ParseError, ValueError) as exc:
            # A dead feed must not stop the channel while the local feed has topics.
            log.warning("trend feed %s unreadable: %s", url, exc)
    if req.trends_feed:
        candidates.extend(read_feed_file(Path(req.trends_feed)))
    if not candidates:
        raise bad_input(f"channel {req.channel}: no topics in any trend feed")
    return candidates


class TopicActivities:
    @activity.defn(name="pick_topic")
    def pick_topic(self, req: TopicRequest) -> Topic:
        return choose(gather_candidates(req), req.recent_topics)


def find_topic(config: ChannelConfig, text: str, facts: list[str]) -> Topic:
    """The topic for a one-off reel: given facts, or the feed entry whose title matches."""
    if facts:
        return Topic(title=text.strip(), facts=facts, source="command line")
    candidates: list[Topic] = []
    if config.trends_feed:
        candidates = read_feed_file(Path(config.trends_feed))
    wanted = text.strip().casefold()
    for topic in candidates:
        if wanted == topic.title.casefold() or wanted in topic.title.casefold():
            return topic
    titles = "; ".join(t.title for t in candidates[:12])
    raise bad_input(
        f"topic {text!r}: not in {config.trends_feed or 'the channel feed'}; pass its facts"
        f" with --fact (repeat), or pick one of: {titles}"
    )
