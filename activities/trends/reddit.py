"""Top posts of the day in chosen subreddits, through Reddit's OAuth API (app-only).

Client credentials (`monolathe auth reddit NAME`: the app's id and secret) buy a bearer
token (kept per process until it expires); every call carries the User-Agent Reddit asks
for (`trends.user_agent`). Reddit counts calls per token and says so in X-Ratelimit-Remaining
and X-Ratelimit-Reset: with none left the source stops for this run and says until when.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from activities.bounded_fetch import Fetched, FetchFailed, fetch
from activities.trends import Candidate, SourceContext, SourceFailed, label
from activities.trends.text import plain, sentences
from workflows.contracts import TrendSource

KEY_FOLDER = "reddit"
_tokens: dict[str, tuple[str, float]] = {}  # key name -> (token, expires at, monotonic)
_lock = threading.Lock()


class RedditSource:
    def token(self, source: TrendSource, ctx: SourceContext) -> str:
        with _lock:
            token, until = _tokens.get(source.key, ("", 0.0))
            if token and time.monotonic() < until - 60:
                return token
        path = ctx.secrets.path(KEY_FOLDER, source.key)
        if not path.is_file():
            raise SourceFailed(f"{path}: no Reddit credentials; run `monolathe auth reddit"
                               f" {source.key}`")
        creds = ctx.secrets.load(KEY_FOLDER, source.key)
        try:
            answer = fetch(
                ctx.settings.trends.reddit_token_url, method="POST",
                auth=(creds.get("client_id", ""), creds.get("client_secret", "")),
                data={"grant_type": "client_credentials"},
                headers={"User-Agent": ctx.settings.trends.user_agent},
                timeout_s=ctx.settings.trends.timeout_s, verify=ctx.verify)
        except FetchFailed as exc:
            raise SourceFailed(f"reddit token: {exc}") from None
        body = answer.json_object()
        if answer.status != 200 or "access_token" not in body:
            raise SourceFailed(f"reddit token refused (HTTP {answer.status}:"
                               f" {body.get('error', '')}); check `monolathe auth reddit"
                               f" {source.key}`")
        with _lock:
            _tokens[source.key] = (body["access_token"],
                                   time.monotonic() + float(body.get("expires_in", 3600)))
        return str(body["access_token"])

    def candidates(self, source: TrendSource, ctx: SourceContext) -> list[Candidate]:
        token = self.token(source, ctx)
        found: list[Candidate] = []
        per_sub = max(1, source.limit // len(source.subreddits))
        for sub in source.subreddits:
            try:
                answer = fetch(
                    f"{ctx.settings.trends.reddit_url}/r/{sub}/top",
                    params={"t": "day", "limit": per_sub, "raw_json": 1},
                    headers={"Authorization": f"bearer {token}",
                             "User-Agent": ctx.settings.trends.user_agent},
                    timeout_s=ctx.settings.trends.timeout_s, verify=ctx.verify)
            except FetchFailed as exc:
                raise SourceFailed(f"reddit r/{sub}: {exc}") from None
            if answer.status == 401:
                with _lock:
                    _tokens.pop(source.key, None)  # the next run asks for a new one
            if answer.status == 429:
                raise SourceFailed(f"reddit rate limited for {_reset(answer)} s")
            if answer.status != 200:
                raise SourceFailed(f"reddit r/{sub}: HTTP {answer.status}")
            found += [c for c in (self.post(p.get("data", {}), source)
                                  for p in answer.json_object().get("data", {}).get("children", []))
                      if c is not None]
            remaining = answer.headers.get("X-Ratelimit-Remaining", "")
            if remaining and float(remaining) < 1:
                if found:
                    break  # keep what we have; the next run starts after the reset
                raise SourceFailed(f"reddit rate limited for {_reset(answer)} s")
        return found

    @staticmethod
    def post(data: dict, source: TrendSource) -> Candidate | None:
        if data.get("stickied") or data.get("over_18") or not data.get("title"):
            return None
        title = plain(data["title"])
        link = data.get("url", "")
        return Candidate(
            title=title, facts=sentences(data.get("selftext", "")), source=label(source),
            summary=plain(data.get("selftext", ""))[:500],
            url=f"https://www.reddit.com{data.get('permalink', '')}",
            links=[link] if link and "reddit.com" not in link else [],
            published=datetime.fromtimestamp(float(data.get("created_utc", 0)), UTC)
            if data.get("created_utc") else None,
            traffic=float(data.get("score", 0)) + float(data.get("num_comments", 0)))


def _reset(answer: Fetched) -> str:
    return answer.headers.get("X-Ratelimit-Reset") or answer.headers.get("Retry-After") or "?"


SOURCE = RedditSource()
