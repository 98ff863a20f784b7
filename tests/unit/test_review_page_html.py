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


def test_the_channel_panel_shows_the_figures_and_escapes_the_name():
    report = {"channel": "demo", "totals": {"reels": 2, "views": 12345, "views_7d": 2000,
                                            "avg_view_percentage": 47.6,
                                            "usd_per_1k_views": 0.0412},
              "daily": [{"day": "2026-12-01", "views": 0}, {"day": "2026-12-02", "views": 30},
                        {"day": EVIL, "views": 60}]}
    html = review_page(Principal("ana", "operator"), [],
                       [{"channel": "demo", "running": False}],
                       {"demo": {"by_status": {}, "spend_usd": 0.0}}, {"demo": report})
    assert "views 12,345 · 7 d 2,000 · retention 48% · $/1k views $0.04" in html
    assert html.count("<rect ") == 3 and "2026-12-02: 30 views" in html
    assert EVIL not in html
    empty = {**report, "totals": {**report["totals"], "reels": 0}}
    html = review_page(Principal("ana", "operator"), [], [{"channel": "demo", "running": False}],
                       {"demo": {"by_status": {}, "spend_usd": 0.0}}, {"demo": empty})
    assert "no figures from the platforms yet" in html and "<svg" not in html
