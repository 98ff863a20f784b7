"""Pixabay: stock videos (and photos when no video matches) searched by the scene's keywords,
portrait first, over its JSON API with `httpx`. Free with a key; the credit line is kept.

The key travels in the query string (Pixabay's API wants it there), so errors never quote a
URL. The "job" is the chosen item; fetching it again by id hands out fresh links.
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

ENV = ("PIXABAY_API_KEY",)
BASE_URL = "https://pixabay.com"


def _renditions(hit: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(v.get("width") or 0, v.get("height") or 0, v["url"])
            for v in (hit.get("videos") or {}).values() if isinstance(v, dict) and v.get("url")]


class PixabaySource:
    refreshes_urls = True

    def __init__(self, context: Context) -> None:
        self.context = context
        self.name = context.name
        self._http = context.http()

    def missing(self) -> str:
        return self.context.key_missing("pixabay", ENV)

    def get(self, path: str, **params: Any) -> Any:
        base = self.context.settings.base_url or BASE_URL
        params["key"] = self.context.key("pixabay", ENV)
        return stock_get(self._http, self.name, f"{base}{path}", "pixabay", params)

    def submit(self, req: FootageRequest) -> str:
        query = stock_query(self.name, req.keywords, req.prompt)
        hits = self.get("/api/videos/", q=query, per_page=20, safesearch="true").get("hits")
        hits = [h for h in hits or [] if _renditions(h)]
        hits = portrait_first(hits, lambda h: max(_renditions(h), key=lambda r: r[1])[:2])
        if hits:
            return f"video:{hits[req.variant % len(hits)]['id']}"
        images = self.get("/api/", q=query, per_page=20, safesearch="true",
                          image_type="photo", orientation="vertical").get("hits") or []
        if images:
            return f"image:{images[req.variant % len(images)]['id']}"
        raise bad_input(f"{self.name}: nothing found for {query!r}")

    def poll(self, job_id: str) -> Job:
        kind, item_id = job_id.split(":", 1)
        if kind == "image":
            hits = self.get("/api/", id=item_id).get("hits") or []
            if not hits:
                raise bad_input(f"{self.name}: image {item_id} is gone")
            hit = hits[0]
            return Job("done", urls=[hit.get("largeImageURL") or hit["webformatURL"]],
                       kind="still", what=f"image {item_id} {hit.get('pageURL', '')}",
                       shows=hit.get("tags") or page_words(hit.get("pageURL", "")),
                       attribution=f"Image by {hit.get('user', '?')} on Pixabay")
        hits = self.get("/api/videos/", id=item_id).get("hits") or []
        if not hits or not _renditions(hits[0]):
            raise bad_input(f"{self.name}: video {item_id} is gone")
        hit = hits[0]
        return Job("done", urls=[best_file(_renditions(hit))],
                   what=f"video {item_id} {hit.get('pageURL', '')}", shows=hit.get("tags") or page_words(hit.get("pageURL", "")),
                   attribution=f"Video by {hit.get('user', '?')} on Pixabay")

    def download(self, job: Job, dest: Path) -> None:
        fetch(self._http, self.name, job.urls[0], dest)

    def cancel(self, job_id: str) -> None:
        """Nothing runs at Pixabay."""
