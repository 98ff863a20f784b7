"""How a candidate ranks: freshness, reported traffic or votes, niche relevance, novelty.

Each part is 0..1 and kept in the ledger beside the total, so an operator can see why a
topic came first. Relevance is keyword overlap with the niche here; MiniLM cosine replaces
it where a gpu worker runs (activities/gpu/embeddings.py). A channel with
`trends.performance_weight` above 0 mixes in a last part, the performance predicted from its
past reels (activities/gpu/predicted.py): that share of the score is the prediction, the
rest the four parts above; a topic not predicted yet counts NEUTRAL there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from activities.script import _STOP
from activities.trends import Candidate

WEIGHTS = {"freshness": 0.25, "traffic": 0.2, "relevance": 0.4, "novelty": 0.15}
HALF_LIFE_H = 24.0  # a day-old story counts half as fresh
NEUTRAL = 0.5  # the predicted-performance term of a topic nothing could be predicted for
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass
class Scored:
    candidate: Candidate
    freshness: float
    traffic: float
    relevance: float
    novelty: float

    @staticmethod
    def weights() -> dict[str, float]:
        return dict(WEIGHTS)

    @property
    def score(self) -> float:
        return round(sum(WEIGHTS[k] * getattr(self, k) for k in WEIGHTS), 4)


def total(parts: float, performance: float | None, weight: float) -> float:
    """The score: the weighted parts, and the predicted performance's share on top."""
    if weight <= 0:
        return round(parts, 4)
    predicted = NEUTRAL if performance is None else performance
    return round((1 - weight) * parts + weight * predicted, 4)


def stems(text: str) -> set[str]:
    """Lowercase word stems (the first 6 letters) without stop words: crude, language-light."""
    return {w[:6] for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP}


def freshness(published: datetime | None, now: datetime) -> float:
    if published is None:
        return 0.5
    age_h = max(0.0, (now - published).total_seconds() / 3600)
    return round(0.5 ** (age_h / HALF_LIFE_H), 4)


def traffic(value: float) -> float:
    """log scale: 10 -> 0.17, 1,000 -> 0.5, 1,000,000 -> 1."""
    return round(min(1.0, math.log10(1 + max(0.0, value)) / 6), 4)


def keyword_relevance(niche: set[str], candidate: Candidate) -> float:
    if not niche:
        return 0.5
    text = stems(" ".join([candidate.title, candidate.summary, *candidate.facts,
                           *candidate.keywords]))
    return round(min(1.0, len(niche & text) / min(3, len(niche))), 4)


def novelty(candidate: Candidate, seen: list[set[str]]) -> float:
    words = stems(candidate.title)
    if not words or not seen:
        return 1.0
    closest = max(len(words & s) / len(words | s) for s in seen if s) if any(seen) else 0.0
    return round(1.0 - closest, 4)


def score(candidates: list[Candidate], niche: str, seen_titles: list[str],
          now: datetime) -> list[Scored]:
    """Candidates ranked best first; titles already seen (used or queued) are dropped."""
    niche_stems = stems(niche)
    seen = [stems(t) for t in seen_titles]
    folded = {t.casefold() for t in seen_titles}
    ranked = [
        Scored(c, freshness(c.published, now), traffic(c.traffic),
               keyword_relevance(niche_stems, c), novelty(c, seen))
        for c in candidates if c.title.casefold() not in folded
    ]
    return sorted(ranked, key=lambda s: -s.score)
