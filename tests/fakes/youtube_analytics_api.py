"""The loopback YouTube fake with the two read APIs the performance fetches use:

- GET /v2/reports?ids=channel==MINE&dimensions=video&metrics=...&filters=video==a,b
  (YouTube Analytics API v2 reports.query: columnHeaders + rows)
- GET /youtube/v3/videos?part=statistics&id=a,b   (Data API videos.list; a deleted video
  is simply not among the items)

Access tokens carry the scopes of the refresh token they came from (`granted`); reports.query
answers 403 insufficientPermissions to a token whose scopes it does not accept, as Google
does. Fault kinds besides FakeYouTube's: analytics, statistics. `views` sets a video's count;
the other figures follow from it, so a test can predict every column.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.server import Request, Response
from tests.fakes.youtube_api import FakeYouTube, google_error

ANALYTICS_SCOPES = {
    "https://www.googleapis.com/auth/youtube",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
}
METRICS = {"views", "estimatedMinutesWatched", "averageViewDuration", "averageViewPercentage",
           "likes", "comments", "shares", "subscribersGained"}
INTEGER = {"views", "estimatedMinutesWatched", "averageViewDuration", "likes", "comments",
           "shares", "subscribersGained"}


def figures(views: int) -> dict[str, float]:
    """What the fake reports for a video with this many views."""
    return {"views": views, "estimatedMinutesWatched": views * 3 // 10,
            "averageViewDuration": 18, "averageViewPercentage": 55.5 if views else 0.0,
            "likes": views // 20, "comments": views // 100, "shares": views // 50,
            "subscribersGained": views // 200}


class FakeYouTubeAnalytics(FakeYouTube):
    def __init__(self, cert: Any, quota_limit: int = 10_000,
                 analytics_quota: int = 1_000) -> None:
        super().__init__(cert, quota_limit)
        self.views: dict[str, int] = {}  # video id -> views now (absent: deleted)
        self.granted: dict[str, set[str]] = {"refresh-1": set(ANALYTICS_SCOPES)}
        self.token_scopes: dict[str, set[str]] = {}
        self.analytics_quota = analytics_quota
        self.analytics_calls = 0
        self.statistics_calls = 0

    def handle(self, req: Request) -> Response:
        if req.path == "/token":
            return self._scoped_token(req)
        if req.path == "/v2/reports":
            return self._guarded(req, "analytics", self._report)
        if req.path == "/youtube/v3/videos" and req.method == "GET" and \
                req.arg("part") == "statistics":
            return self._guarded(req, "statistics", self._statistics)
        return super().handle(req)

    def _scoped_token(self, req: Request) -> Response:
        refresh = req.form().get("refresh_token", "")
        response = super().handle(req)
        if response.status == 200 and isinstance(response.body, dict):
            self.token_scopes[response.body["access_token"]] = self.granted.get(refresh, set())
        return response

    def _guarded(self, req: Request, kind: str, answer: Any) -> Response:
        if req.bearer() not in self.access_tokens:
            return google_error(401, "authError", "Invalid Credentials")
        fault = self.fault(kind)
        if fault:
            return self._apply(fault, req)
        return answer(req)

    def _statistics(self, req: Request) -> Response:
        self.statistics_calls += 1
        ids = [i for i in req.arg("id").split(",") if i]
        if len(ids) > 50:
            return google_error(400, "badRequest", "id: at most 50 ids")
        items = []
        for video_id in ids:
            if video_id in self.views:
                f = figures(self.views[video_id])
                items.append({"kind": "youtube#video", "id": video_id, "statistics": {
                    "viewCount": str(f["views"]), "likeCount": str(f["likes"]),
                    "favoriteCount": "0", "commentCount": str(f["comments"])}})
        return Response(200, {"kind": "youtube#videoListResponse", "items": items,
                              "pageInfo": {"totalResults": len(items),
                                           "resultsPerPage": len(items)}})

    def _report(self, req: Request) -> Response:
        if not self.token_scopes.get(req.bearer(), ANALYTICS_SCOPES) & ANALYTICS_SCOPES:
            return google_error(403, "insufficientPermissions",
                                "Request had insufficient authentication scopes.")
        if self.analytics_calls >= self.analytics_quota:
            return google_error(403, "quotaExceeded", "The request cannot be completed"
                                " because you have exceeded your quota.")
        problem = self._invalid_query(req)
        if problem:
            return google_error(400, "badRequest", problem)
        self.analytics_calls += 1
        metrics = req.arg("metrics").split(",")
        ids = req.arg("filters").removeprefix("video==").split(",")
        headers = [{"name": "video", "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC",
             "dataType": "INTEGER" if m in INTEGER else "FLOAT"} for m in metrics]
        rows = [[video_id, *[figures(self.views[video_id])[m] for m in metrics]]
                for video_id in ids if video_id in self.views]
        rows.sort(key=lambda row: -row[1] if metrics[0] == "views" else 0)
        return Response(200, {"kind": "youtubeAnalytics#resultTable",
                              "columnHeaders": headers, "rows": rows})

    @staticmethod
    def _invalid_query(req: Request) -> str:
        for name in ("ids", "startDate", "endDate", "metrics"):
            if not req.arg(name):
                return f"Required parameter: {name}"
        if req.arg("ids") != "channel==MINE":
            return f"Invalid ids: {req.arg('ids')}"
        for name in ("startDate", "endDate"):
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", req.arg(name)):
                return f"Invalid {name}: {req.arg(name)}"
        if req.arg("startDate") > req.arg("endDate"):
            return "startDate is after endDate"
        unknown = set(req.arg("metrics").split(",")) - METRICS
        if unknown:
            return f"Unknown identifier ({min(unknown)}) given in field parameters.metrics"
        if req.arg("dimensions") != "video" or not req.arg("filters").startswith("video=="):
            return "The query is not supported: dimensions=video needs filters=video==..."
        if int(req.arg("maxResults", "0") or 0) > 200:
            return "maxResults: at most 200 with dimensions=video"
        return ""
