"""A channel's own media: a folder of clips and images matched to scenes by keyword.

Tags come from the file name (`octopus-reef_arms.mp4` -> octopus, reef, arms) and from an
optional sidecar beside it: `<name>.txt` with words separated by commas or spaces, or
`<name>.json` with `{"tags": [...]}`. A scene takes the file sharing the most of its keywords;
no file is used twice in a reel while another matching one is left.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from temporalio import activity

from activities.errors import bad_input
from workflows.contracts import OwnMedia, OwnMediaItem, OwnMediaRequest

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class MediaItem:
    path: Path
    kind: str  # video | still
    tags: frozenset[str] = field(default_factory=frozenset)


def forms(word: str) -> set[str]:
    """A word in lower case with and without a plural ending, so "octopus" meets "Octopuses"
    and "shell" meets "shells" (two words match when their forms meet)."""
    word = word.lower()
    found = {word}
    for suffix in ("es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            found.add(word[: -len(suffix)])
    return found


def words(text: str) -> set[str]:
    return {form for w in _WORD.findall(text) if len(w) > 1 for form in forms(w)}


def scan(folder: Path) -> list[MediaItem]:
    if not folder.is_dir():
        raise FileNotFoundError(f"media_dir {folder} is not a folder")
    return [found for path in sorted(folder.rglob("*")) if (found := item(path)) is not None]


def item(path: Path) -> MediaItem | None:
    """One media file with its tags; None when the file is gone or is not media."""
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in VIDEO_EXTENSIONS | IMAGE_EXTENSIONS:
        return None
    kind = "video" if suffix in VIDEO_EXTENSIONS else "still"
    return MediaItem(path, kind, frozenset(words(path.stem) | _sidecar_tags(path)))


def _sidecar_tags(path: Path) -> set[str]:
    text_file, json_file = path.with_suffix(".txt"), path.with_suffix(".json")
    try:
        if json_file.is_file():
            raw = json.loads(json_file.read_text(encoding="utf-8"))
            tags = raw.get("tags", []) if isinstance(raw, dict) else []
            return words(" ".join(str(t) for t in tags)) if isinstance(tags, list) else set()
        if text_file.is_file():
            return words(text_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        log.warning("media sidecar for %s ignored: %s", path, err)
    return set()


def match(scene_keywords: list[list[str]], items: list[MediaItem]) -> list[MediaItem | None]:
    """For each scene, the item sharing most keywords with it (ties: the first by name),
    preferring items this reel has not used yet; None where nothing shares a keyword."""
    used: set[Path] = set()
    chosen: list[MediaItem | None] = []
    for keywords in scene_keywords:
        wanted = [forms(w) for w in _WORD.findall(" ".join(keywords)) if len(w) > 1]
        scored = [(sum(1 for f in wanted if f & item.tags), item) for item in items]
        scored = [(score, item) for score, item in scored if score > 0]
        if not scored:
            chosen.append(None)
            continue
        fresh = [s for s in scored if s[1].path not in used]
        _, pick = max(fresh or scored, key=lambda s: s[0])
        used.add(pick.path)
        chosen.append(pick)
    return chosen


class MediaLibraryActivities:
    """The channel's own media as text, for matching by meaning on the gpu worker."""

    @activity.defn(name="list_own_media")
    def list_own_media(self, req: OwnMediaRequest) -> OwnMedia:
        try:
            items = scan(Path(req.media_dir))
        except FileNotFoundError as err:
            raise bad_input(f"list_own_media: {err}") from err
        return OwnMedia(
            [OwnMediaItem(str(i.path), i.kind, describe(i)) for i in items if describe(i)]
        )


def describe(item: MediaItem) -> str:
    """File-name words and sidecar tags, longest forms only ("octopuses", not "octopus")."""
    tags = sorted(item.tags)
    return " ".join(t for t in tags if not any(o != t and o.startswith(t) for o in tags))
