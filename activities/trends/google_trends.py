"""Google Trends' daily trending searches (`/trending/rss?geo=XX`).

Each item is a search query with an approximate traffic ("2000+") and a few news items
(title, snippet, url, source). The news titles and snippets are the facts; their URLs the
links. The `ht:` elements nest, which feedparser flattens (keeping one news item), so this
feed is read with ElementTree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

from activities.trends import Candidate, SourceContext, SourceFailed, label
from activities.trends.text import plain, sentences
from workflows.contracts import TrendSource

HT = "{https://trends.google.com/trending/rss}"
_TRAFFIC = re.compile(r"([\d.,]+)\s*([KkMm]?)")


def traffic(text: str) -> float:
    """"20,000+" -> 20000; "2K+" -> 2000; "" -> 0."""
    match = _TRAFFIC.search(text or "")
    if not match:
        return 0.0
    number = float(match.group(1).replace(",", ""))
    return number * {"k": 1e3, "m": 1e6}.get(match.group(2).lower(), 1)


def parse(body: bytes, source: TrendSource) -> list[Candidate]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceFailed(f"google_trends {source.geo}: not XML ({exc})") from None
    found = []
    for item in root.findall("./channel/item")[: source.limit]:
        title = plain(item.findtext("title", ""))
        facts, links, names = [], [], []
        for news in item.findall(f"{HT}news_item"):
            headline = plain(news.findtext(f"{HT}news_item_title", ""))
            snippet = plain(news.findtext(f"{HT}news_item_snippet", ""))
            facts += [f for f in [headline.rstrip(".") + "."] if len(headline.split()) >= 4]
            facts += sentences(snippet, 2)
            url = news.findtext(f"{HT}news_item_url", "").strip()
            links += [url] if url else []
            names += [plain(news.findtext(f"{HT}news_item_source", ""))]
        try:
            when = parsedate_to_datetime(item.findtext("pubDate", ""))
        except (TypeError, ValueError):
            when = None
        if title:
            found.append(Candidate(
                title=title, facts=list(dict.fromkeys(facts))[:6], source=label(source),
                summary="; ".join(n for n in names if n), url=links[0] if links else "",
                links=links[1:], published=when,
                traffic=traffic(item.findtext(f"{HT}approx_traffic", ""))))
    return found


class GoogleTrendsSource:
    def candidates(self, source: TrendSource, ctx: SourceContext) -> list[Candidate]:
        base = ctx.settings.trends.google_trends_url
        return parse(ctx.fetch(f"{base}?geo={source.geo}"), source)


SOURCE = GoogleTrendsSource()
