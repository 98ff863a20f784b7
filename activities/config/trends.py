"""temporal.yaml's `trends`: where the trend scout's sources live (loopback fakes in tests)
and how long to wait for them."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from activities.config.common import Strict


class _TrendApis(Strict):
    """Where the trend scout's sources live (loopback fakes in tests) and how long to wait."""

    google_trends_url: str = "https://trends.google.com/trending/rss"
    reddit_url: str = "https://oauth.reddit.com"
    reddit_token_url: str = "https://www.reddit.com/api/v1/access_token"
    # Reddit asks for <platform>:<app id>:<version> (by /u/<username>); put yours here.
    user_agent: str = "python:monolathe:0.1 (self-hosted reel factory)"
    timeout_s: float = Field(15.0, gt=0, le=120)  # a whole fetch, slow senders included


@dataclass(frozen=True)
class TrendApis:
    google_trends_url: str = "https://trends.google.com/trending/rss"
    reddit_url: str = "https://oauth.reddit.com"
    reddit_token_url: str = "https://www.reddit.com/api/v1/access_token"
    user_agent: str = "python:monolathe:0.1 (self-hosted reel factory)"
    timeout_s: float = 15.0
