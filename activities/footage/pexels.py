"""Pexels: stock videos (and photos when no video matches) searched by the scene's keywords,
portrait first, over its JSON API with `httpx`. Free with a key; the credit line is kept.

The "job" is the chosen item (`video:<id>` or `photo:<id>`): fetching the item again hands out
fresh file links, so a retry or an expired link never changes the pick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from activities.errors import bad_input
from activities.footage.common import (
    Context,
    Job,
    best_file,
    fetch,
    page_words,
    portrait_first,
    stock_get,
    stock_query,
)
from workflows.contracts import FootageRequest

ENV = ("PEXELS_API_KEY",)
BASE_URL = "https://api.pexels.com"


class PexelsSource:
    refreshes_urls = True

    def __init__(self, context: Context) -> None:
        self.context = context
        self.name = context.name
        self._http = context.http()

    def missing(self) -> str:
        return self.context.key_missing("pexels", ENV)

    def get(self, path: str, **params: Any) -> Any:
        base = self.context.settings.base_url or BASE_URL
        headers = {"Authorization": self.context.key("pexels", ENV)}
        return stock_get(self._http, self.name, f"{base}{path}", "pexels", params, headers)

    def submit(self, req: FootageRequest) -> str:
        query = stock_query(self.name, req.keywords, req.prompt)
        orientation = "landscape" if req.width > req.height else "portrait"
        videos = self.get("/videos/search", query=query, orientation=orientation,
                          per_page=15).get("videos") or []
        videos = portrait_first(videos, lambda v: (v.get("width", 0), v.get("height", 0)))
        if videos:
            return f"video:{videos[req.variant % len(videos)]['id']}"
        photos = self.get("/v1/search", query=query, orientation=orientation,
                          per_page=15).get("photos") or []
        if photos:
            return f"photo:{photos[req.variant % len(photos)]['id']}"
        raise bad_input(f"{self.name}: nothing found for {query!r}")

    def poll(self, job_id: str) -> Job:
        kind, item_id = job_id.split(":", 1)
        if kind == "photo":
            photo = self.get(f"/v1/photos/{item_id}")
            src = photo.get("src") or {}
            return Job("done", urls=[src.get("portrait") or src.get("original")], kind="still",
                       what=f"photo {item_id} {photo.get('url', '')}",
                       shows=photo.get("alt") or page_words(photo.get("url", "")),
                       attribution=f"Photo by {photo.get('photographer', '?')} on Pexels")
        video = self.get(f"/videos/videos/{item_id}")
        files = [(f.get("width") or 0, f.get("height") or 0, f["link"])
                 for f in video.get("video_files") or []
                 if f.get("link") and f.get("file_type", "video/mp4") == "video/mp4"]
        if not files:
            raise bad_input(f"{self.name}: video {item_id} has no MP4 file")
        user = (video.get("user") or {}).get("name", "?")
        # Videos carry no title: the page's address is named after it, tags where given.
        tags = [t for t in video.get("tags") or [] if isinstance(t, str)]
        return Job("done", urls=[best_file(files)], what=f"video {item_id} {video.get('url', '')}",
                   shows=", ".join([page_words(video.get("url", "")), *tags]).strip(", "),
                   attribution=f"Video by {user} on Pexels")

    def download(self, job: Job, dest: Path) -> None:
        fetch(self._http, self.name, job.urls[0], dest)

    def cancel(self, job_id: str) -> None:
        """Nothing runs at Pexels."""
