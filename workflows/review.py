"""Human review decisions that must replay identically: which reels wait, and what a
timeout means. Pure functions, unit-tested without Temporal."""

from __future__ import annotations

import zlib

from workflows.contracts import ReviewConfig, ReviewState

REVIEW_PATCH = "human-review-v1"
ANSWERS = ("approve", "reject", "revise")


def needs_review(config: ReviewConfig, reel_id: str) -> bool:
    """`required`: every reel; `sample`: a stable fraction, chosen by a hash of the reel id
    so the choice is the same on every replay and in every process that asks."""
    if config.mode == "required":
        return True
    if config.mode == "sample":
        return zlib.crc32(reel_id.encode()) % 10_000 < round(config.sample * 10_000)
    return False


def refusal(review: ReviewState | None, answer: str, text: str) -> str:
    """Why an answer cannot be taken now, or "" when it can (the updates' validators)."""
    if review is None:
        return "this reel is not under review"
    if review.status != "waiting":
        return (f"this reel is not waiting for review (it is {review.status}"
                + (f": {review.decision} already answered" if review.decision else "") + ")")
    if answer in ("reject", "revise") and not text.strip():
        return f"{answer}: text: give the {'reason' if answer == 'reject' else 'notes'}"
    if answer == "revise" and review.revisions >= review.max_revisions:
        return (f"revise: this reel was revised {review.revisions} time(s), the channel's"
                " limit; approve or reject it")
    return ""
