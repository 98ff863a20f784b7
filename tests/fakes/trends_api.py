"""Loopback trend sources, on one TLS server, speaking the real services' formats.

- GET  /trending/rss?geo=XX            Google Trends' daily trending searches (ht: namespace)
- POST /api/v1/access_token            Reddit's app-only OAuth (HTTP Basic client id/secret)
- GET  /r/<sub>/top?t=day&limit=N      a Reddit listing, with X-Ratelimit-* headers
- GET  /youtube/v3/videos?chart=mostPopular&key=K   YouTube's chart, API key in `key`
- GET  /feeds/science.xml              an RSS 2.0 feed; /feeds/malformed.xml is not XML;
                                       /feeds/slow.xml answers after `slow_s` seconds

Fault kinds: trends, reddit-token, reddit, youtube.
"""

from __future__ import annotations

import base64
import time
from email.utils import format_datetime
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

REDDIT_ID, REDDIT_SECRET, YOUTUBE_KEY = "reddit-app", "reddit-secret", "yt-key"


def _rss_date(hours_ago: float) -> str:
    from datetime import UTC, datetime, timedelta

    return format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago))


def google_trends_rss(geo: str) -> bytes:
    items = [
        ("james webb telescope", "50000+", 2, [
            ("James Webb telescope finds water vapour around a distant rocky planet",
             ("Astronomers say the planet orbits a small red star. The finding is the clearest"
             " sign of water so far on a world this size."), "https://news.example/webb"),
            ("What the new Webb images tell us about planets",
             ("Scientists used the telescope's infrared camera. They measured starlight passing"
             " through the planet's thin atmosphere."), "https://science.example/webb")]),
        ("celebrity wedding", "200000+", 1, [
            ("A famous singer married in a private ceremony on Saturday evening",
             ("Guests arrived by boat to the island venue. The couple had been engaged for two"
             " years before the ceremony."), "https://gossip.example/wedding")]),
    ]
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            ('<rss xmlns:atom="http://www.w3.org/2005/Atom"'
            ' xmlns:ht="https://trends.google.com/trending/rss" version="2.0"><channel>'),
            f"<title>Daily Search Trends</title><link>https://trends.google.com/trending/rss?geo={geo}</link>"]
    for title, traffic, hours, news in items:
        body.append(f"<item><title>{title}</title><ht:approx_traffic>{traffic}</ht:approx_traffic>"
                    f"<description></description><pubDate>{_rss_date(hours)}</pubDate>")
        for headline, snippet, url in news:
            body.append(f"<ht:news_item><ht:news_item_title>{headline}</ht:news_item_title>"
                        f"<ht:news_item_snippet>{snippet}</ht:news_item_snippet>"
                        f"<ht:news_item_url>{url}</ht:news_item_url>"
                        "<ht:news_item_source>Example News</ht:news_item_source></ht:news_item>")
        body.append("</item>")
    body.append("</channel></rss>")
    return "".join(body).encode()


SCIENCE_RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Science</title>
<item><title>Octopus arms taste what they touch</title><link>https://rss.example/octopus</link>
<pubDate>{_rss_date(5)}</pubDate>
<description>Researchers found receptors in the suckers of octopus arms. Each arm can
taste a surface and decide on its own whether to grab it. The brain gets only a summary.
</description></item>
<item><title>Too short to narrate</title><description>One line only.</description></item>
</channel></rss>""".encode()


class FakeTrends(FakeServer):
    def __init__(self, cert: Any, slow_s: float = 3.0) -> None:
        super().__init__(cert)
        self.slow_s = slow_s
        self.tokens_issued = 0
        self.ratelimit_remaining = 600.0
        self.user_agents: list[str] = []

    def handle(self, req: Request) -> Response:
        self.user_agents.append(req.headers.get("User-Agent", ""))
        if req.path == "/trending/rss":
            return self.faulted("trends") or Response(200, google_trends_rss(req.arg("geo")))
        if req.path == "/api/v1/access_token":
            return self.faulted("reddit-token") or self.reddit_token(req)
        if req.path.startswith("/r/") and req.path.endswith("/top"):
            return self.faulted("reddit") or self.reddit_top(req)
        if req.path == "/youtube/v3/videos":
            return self.faulted("youtube") or self.youtube_chart(req)
        if req.path == "/feeds/science.xml":
            return Response(200, SCIENCE_RSS)
        if req.path == "/feeds/malformed.xml":
            return Response(200, b"\x00\x01 this is <not <a feed")
        if req.path == "/feeds/slow.xml":
            time.sleep(self.slow_s)
            return Response(200, SCIENCE_RSS)
        return Response(404, {"error": "not found"})

    def faulted(self, kind: str) -> Response | None:
        fault = self.fault(kind)
        if fault is None:
            return None
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        return Response(int(fault.action), {"error": fault.reason or "fault"}, headers)

    def reddit_token(self, req: Request) -> Response:
        auth = req.headers.get("Authorization", "")
        expected = base64.b64encode(f"{REDDIT_ID}:{REDDIT_SECRET}".encode()).decode()
        form = req.form()
        if auth != f"Basic {expected}" or form.get("grant_type") != "client_credentials":
            return Response(401, {"message": "Unauthorized", "error": 401})
        self.tokens_issued += 1
        return Response(200, {"access_token": f"reddit-token-{self.tokens_issued}",
                              "token_type": "bearer", "expires_in": 86400, "scope": "*"})

    def reddit_top(self, req: Request) -> Response:
        if not req.headers.get("Authorization", "").startswith("bearer reddit-token-"):
            return Response(401, {"message": "Unauthorized", "error": 401})
        sub = req.path.split("/")[2]
        now = time.time()
        posts = [
            {"title": "Daily discussion thread", "stickied": True, "selftext": "", "score": 5},
            {"title": "Bees can count up to four, a new experiment shows",
             "selftext": "Researchers trained bees to find sugar after a set number of"
                         " landmarks. The bees kept count even when the landmarks moved."
                         " They failed only when there were more than four.",
             "score": 15400, "num_comments": 820, "created_utc": now - 3 * 3600,
             "permalink": f"/r/{sub}/comments/abc/bees_count/", "url": "https://journal.example/bees"},
            {"title": "Link post without text", "selftext": "", "score": 900,
             "num_comments": 10, "created_utc": now - 3600, "permalink": f"/r/{sub}/comments/x/"},
        ]
        self.ratelimit_remaining -= 1
        return Response(200, {"kind": "Listing", "data": {"children": [
            {"kind": "t3", "data": {"subreddit": sub, "over_18": False, **p}} for p in posts]}},
            {"X-Ratelimit-Used": str(600 - self.ratelimit_remaining),
             "X-Ratelimit-Remaining": str(self.ratelimit_remaining),
             "X-Ratelimit-Reset": "412"})

    def youtube_chart(self, req: Request) -> Response:
        if req.arg("key") != YOUTUBE_KEY:
            return Response(400, {"error": {"code": 400, "message": "API key not valid.",
                                            "errors": [{"reason": "keyInvalid"}]}})
        if req.arg("chart") != "mostPopular":
            return Response(400, {"error": {"code": 400, "message": "chart required"}})
        return Response(200, {"kind": "youtube#videoListResponse", "items": [{
            "kind": "youtube#video", "id": "vid1",
            "snippet": {"publishedAt": "2026-11-24T10:00:00Z", "channelTitle": "Space Daily",
                        "title": f"Why Mars is red ({req.arg('regionCode')},"
                                 f" category {req.arg('videoCategoryId')})",
                        "description": "Mars is covered in iron oxide dust. The dust is fine"
                                       " enough to float for weeks in the thin air.",
                        "tags": ["Mars", "space"]},
            "statistics": {"viewCount": "1200000", "likeCount": "50000"}}]})
