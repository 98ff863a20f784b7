"""YouTube's most popular videos (`videos.list(chart=mostPopular)`) in a region and category.

google-api-python-client, built offline from the discovery document shipped in the library,
with an API key (`monolathe auth youtube-key NAME`). One quota unit a call, counted in the
ledger with the publishing quota of the same Cloud project (the channel's OAuth client when
it has a YouTube token) so scouting never eats the uploads' share unnoticed.
"""

from __future__ import annotations

import json
from datetime import datetime

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from activities.publishers.youtube import NETWORK_ERRORS, attempt_time, quota_day
from activities.redact import describe
from activities.trends import Candidate, SourceContext, SourceFailed, label
from activities.trends.text import sentences
from workflows.contracts import TrendSource

KEY_FOLDER = "youtube-key"
LIST_UNITS = 1


def account(source: TrendSource, ctx: SourceContext) -> str:
    """The quota's owner: the channel's OAuth client when it publishes to YouTube."""
    token = ctx.secrets.path(ctx.channel, "youtube")
    if token.is_file():
        try:
            return str(json.loads(token.read_text()).get("client_id") or f"key:{source.key}")
        except (OSError, ValueError):
            pass
    return f"key:{source.key}"


class YouTubeSource:
    def candidates(self, source: TrendSource, ctx: SourceContext) -> list[Candidate]:
        path = ctx.secrets.path(KEY_FOLDER, source.key)
        if not path.is_file():
            raise SourceFailed(f"{path}: no YouTube API key; run `monolathe auth youtube-key"
                               f" {source.key}`")
        key = str(ctx.secrets.load(KEY_FOLDER, source.key).get("api_key", ""))
        owner, day = account(source, ctx), quota_day(attempt_time())
        used, exhausted = ctx.ledger.quota_used("youtube", owner, day)
        if exhausted or used + LIST_UNITS > ctx.settings.publishing.youtube_daily_quota_units:
            raise SourceFailed(f"youtube quota of {owner} spent for {day} (Pacific)")
        endpoint = ctx.settings.publishing.youtube_api_endpoint
        http = httplib2.Http(timeout=ctx.settings.trends.timeout_s,
                             ca_certs=ctx.settings.publishing.ca_bundle or None)
        params = {"part": "snippet,statistics", "chart": "mostPopular",
                  "regionCode": source.geo.split("-")[0], "maxResults": source.limit}
        if source.category:
            params["videoCategoryId"] = source.category
        try:
            youtube = build("youtube", "v3", http=http, developerKey=key, static_discovery=True,
                            cache_discovery=False,
                            client_options={"api_endpoint": endpoint} if endpoint else None)
            answer = youtube.videos().list(**params).execute()
            ctx.ledger.spend_quota("youtube", owner, day, LIST_UNITS)
        except HttpError as error:
            quota = b"quotaExceeded" in (error.content or b"")
            ctx.ledger.spend_quota("youtube", owner, day, LIST_UNITS, exhausted=quota)
            raise SourceFailed(f"youtube HTTP {error.resp.status}: {_message(error)}") from None
        except NETWORK_ERRORS as error:
            raise SourceFailed(f"youtube: {describe(error)}") from None
        return [self.video(v, source) for v in answer.get("items", [])]

    @staticmethod
    def video(item: dict, source: TrendSource) -> Candidate:
        snippet, stats = item.get("snippet", {}), item.get("statistics", {})
        try:
            when = datetime.fromisoformat(snippet.get("publishedAt", ""))
        except ValueError:
            when = None
        return Candidate(
            title=snippet.get("title", ""), facts=sentences(snippet.get("description", "")),
            source=label(source), summary=snippet.get("channelTitle", ""),
            keywords=[t.lower() for t in snippet.get("tags", [])[:5]],
            url=f"https://www.youtube.com/watch?v={item.get('id', '')}", published=when,
            traffic=float(stats.get("viewCount", 0) or 0))


def _message(error: HttpError) -> str:
    try:
        return str(json.loads(error.content)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return (error.content or b"").decode("utf-8", "replace")[:200]


SOURCE = YouTubeSource()
