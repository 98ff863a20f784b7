"""Text helpers shared by the sources: plain sentences out of HTML snippets."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MIN_FACT_WORDS = 4


def plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text or "")).split())


def sentences(text: str, limit: int = 4) -> list[str]:
    """Whole sentences of at least a few words: facts a script can narrate."""
    found = [s.strip() for s in _SENTENCE.split(plain(text))]
    return [s for s in found if len(s.split()) >= MIN_FACT_WORDS][:limit]
