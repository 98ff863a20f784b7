"""Predicted performance: how a candidate topic might do, from the channel's own past reels.

A k-nearest-neighbours estimate in MiniLM's space: the k past reels whose topics are closest
in meaning to the candidate's title, each counting by its similarity, give the mean of their
normalised 7-day views. Views are normalised within the channel by rank (0 = its least
watched reel, 1 = its most watched), so one viral reel does not flatten all the others and
the term stays 0..1 whatever the channel's size.
"""

from __future__ import annotations

import numpy as np

NEUTRAL = 0.5  # no past reel to learn from, or none with anything in common


def normalised(views: list[float]) -> np.ndarray:
    """Each reel's rank among the channel's reels, 0..1 (ties share their mean rank)."""
    values = np.asarray(views, dtype=float)
    if len(values) < 2:
        return np.full(len(values), NEUTRAL)
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):  # ties: the mean of the ranks they span
        same = values == value
        ranks[same] = ranks[same].mean()
    return ranks / (len(values) - 1)


def nearest_estimate(similarity: np.ndarray, normalised_views: np.ndarray,
                     k: int) -> list[float]:
    """One estimate per row of `similarity` (candidates x past reels): the similarity-
    weighted mean of the k closest reels' normalised views; NEUTRAL when none is similar."""
    if similarity.shape[1] == 0:
        return [NEUTRAL] * similarity.shape[0]
    k = min(k, similarity.shape[1])
    estimates = []
    for row in similarity:
        closest = np.argsort(-row, kind="stable")[:k]
        weights = np.clip(row[closest], 0.0, None)
        if weights.sum() <= 1e-9:
            estimates.append(NEUTRAL)
            continue
        estimates.append(round(float(weights @ normalised_views[closest] / weights.sum()), 4))
    return estimates
