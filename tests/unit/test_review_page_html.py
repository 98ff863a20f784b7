"""The review page escapes what reels and channels carry, and hides answers from viewers."""

from __future__ import annotations

from workers.api.page import review_page
from workers.api.tokens import Principal
from workers.jobs import JobView

EVIL = '<script>alert("x")</script>'


def _queue():
    job = JobView(id="reel/demo/2026-01-01/1", status="awaiting-review", stage="review",
                  topic=EVIL, channel="demo")
    manifest = {"script": {"title": EVIL, "description": EVIL, "hashtags": [EVIL],
                           "scenes": [{"text": EVIL}]},
                "clips": [{"source": EVIL, "kind": "video"}],
                "costs": [{"stage": "compose", "backend": EVIL, "usd": 0.001}],
                "quality": {"checks": {"black": EVIL}}, "actual_usd": 0.001,
                "estimate_usd": 0.002, "review": {"since": "2026-01-01T10:00:00+00:00",
                                                  "revisions": 0, "max_revisions": 2}}
    return [(job, manifest)]


def test_everything_shown_is_escaped():
    html = review_page(Principal("ana", "operator"), _queue(),
                       [{"channel": "demo", "running": True, "paused": False,
                         "daily_budget_usd": 1.0, "awaiting_review": {"x": "y"}}],
                       {"demo": {"by_status": {"published": 2}, "spend_usd": 0.01}})
    assert EVIL not in html and "&lt;script&gt;" in html
    assert "Approve" in html and "2 published" in html and "$0.0100 of $1.00" in html
    assert "2026-01-01 10:00 UTC" in html


def test_viewers_see_the_queue_without_answer_buttons():
    html = review_page(Principal("wall", "viewer"), _queue(), [], {})
    assert "compose" in html and "<button" not in html.split("<script>")[0]
