"""The loopback Instagram fake with media insights:

- GET /{v}/{media}/insights?metric=a,b,...   {"data": [{"name", "period", "values"}]}

A metric in `retired` fails the whole call with code 100 naming it, as the Graph API does for
plays, impressions and the others it retired; an unknown media id (deleted) is code 100,
subcode 33; a media in `too_new` is code 10 "Not enough viewers". Fault kind: insights.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.instagram_api import VERSION, FakeInstagram, graph_error
from tests.fakes.server import Request, Response

SUPPORTED = {"views", "reach", "saved", "shares", "comments", "likes", "total_interactions",
             "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"}
RETIRED = {"plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count",
           "impressions", "video_views"}


def insights(views: int) -> dict[str, int]:
    """What the fake reports for a reel with this many views."""
    return {"views": views, "reach": views * 8 // 10, "saved": views // 40,
            "shares": views // 50, "comments": views // 100, "likes": views // 20,
            "total_interactions": views // 20 + views // 100,
            "ig_reels_avg_watch_time": 9500 if views else 0,
            "ig_reels_video_view_total_time": views * 9500}


class FakeInstagramInsights(FakeInstagram):
    def __init__(self, cert: Any, limit: int = 50) -> None:
        super().__init__(cert, limit)
        self.views: dict[str, int] = {}  # media id -> views now (absent: deleted)
        self.retired = set(RETIRED)
        self.too_new: set[str] = set()
        self.insights_calls = 0

    def handle(self, req: Request) -> Response:
        parts = req.path.strip("/").split("/")
        if len(parts) == 3 and parts[2] == "insights" and req.method == "GET":
            return self._insights(req, parts[0], parts[1])
        return super().handle(req)

    def _insights(self, req: Request, version: str, media_id: str) -> Response:
        scheme, _, token = req.headers.get("Authorization", "").partition(" ")
        if scheme not in ("OAuth", "Bearer") or token != self.token:
            return graph_error(400, 190, "Error validating access token: Session has expired.",
                               subcode=463)
        if version != VERSION:
            return graph_error(400, 2500, f"Unknown version {version}")
        fault = self.fault("insights")
        if fault:
            return self._apply(fault)
        self.insights_calls += 1
        wanted = [m for m in req.arg("metric").split(",") if m]
        for name in wanted:
            if name in self.retired:
                return graph_error(400, 100, f"(#100) Starting from version v22.0 and above,"
                                   f" the {name} metric is no longer supported for Instagram"
                                   " media. Please use views instead.")
            if name not in SUPPORTED:
                return graph_error(400, 100, f"(#100) metric[0] must be one of the following"
                                   f" values: {', '.join(sorted(SUPPORTED))}")
        if media_id not in self.views:
            return graph_error(400, 100, f"Unsupported get request. Object with ID"
                               f" '{media_id}' does not exist, cannot be loaded due to missing"
                               " permissions, or does not support this operation.", 33)
        if media_id in self.too_new:
            return graph_error(400, 10, "(#10) Not enough viewers for the media to show"
                               " insights")
        figures = insights(self.views[media_id])
        return Response(200, {"data": [
            {"name": name, "period": "lifetime", "values": [{"value": figures[name]}],
             "title": name, "id": f"{media_id}/insights/{name}/lifetime"}
            for name in wanted]})
