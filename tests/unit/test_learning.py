"""Learning from the channel's own reels: the k-nearest-neighbours estimate and its place in
the queue's score, the past reels' 7-day views, the hook styles in the script, and the hook
experiment's verdict with its confidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import select

from activities.gpu.llm_script import prompt_for as mlx_prompt
from activities.gpu.predicted import NEUTRAL, nearest_estimate, normalised
from activities.ledger import Ledger, TopicRow
from activities.ledger_tables import ReelRow
from activities.performance import ReelMetrics
from activities.performance.hooks import MIN_REELS, mann_whitney
from activities.performance.store import record, seven_day_views
from activities.script import ScriptActivities
from activities.script_api import prompt_for as api_prompt
from activities.trends import Candidate
from activities.trends import queue as topic_queue
from activities.trends.scoring import Scored, total
from tests.fakes.ledger_rows import published_reel
from workers.performance_report import performance_report, print_report
from workflows.contracts import (
    ChannelConfig,
    PublishedReel,
    ReelRecord,
    ScriptRequest,
    Topic,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
TOPIC = Topic("Octopuses have three hearts", facts=[
    "Two small hearts push blood through the gills, and one big heart feeds the rest.",
    "When an octopus swims, the main heart stops beating, which is why they crawl.",
    "Their blood is blue, because it carries oxygen with copper instead of iron."])


# --- the estimate ---


def test_views_are_normalised_by_rank_within_the_channel() -> None:
    assert normalised([10, 1_000_000, 300]).tolist() == [0.0, 1.0, 0.5]
    assert normalised([5, 5, 9]).tolist() == [0.25, 0.25, 1.0]  # ties share their rank
    assert normalised([42]).tolist() == [NEUTRAL]  # one reel: nothing to compare with


def test_the_estimate_is_the_similarity_weighted_mean_of_the_k_closest() -> None:
    views = np.array([1.0, 0.0, 0.0, 1.0])
    similarity = np.array([[0.9, 0.1, 0.2, 0.8],  # close to the winners
                           [0.1, 0.7, 0.9, 0.0],  # close to the losers
                           [-0.2, -0.1, -0.3, -0.05]])  # like nothing the channel made
    near_winners, near_losers, unlike = nearest_estimate(similarity, views, k=2)
    assert near_winners == 1.0 and near_losers == 0.0
    assert unlike == NEUTRAL
    # With k=3 the third closest (a loser at 0.2) pulls it down by its weight.
    assert nearest_estimate(similarity[:1], views, k=3) == [round(1.7 / 1.9, 4)]
    assert nearest_estimate(np.zeros((2, 0)), np.zeros(0), k=5) == [NEUTRAL, NEUTRAL]


def test_the_term_s_share_of_the_score() -> None:
    assert total(0.6, 0.9, 0.0) == 0.6  # off: the score as before
    assert total(0.6, 1.0, 0.25) == round(0.75 * 0.6 + 0.25, 4)
    assert total(0.6, None, 0.25) == round(0.75 * 0.6 + 0.25 * NEUTRAL, 4)


def test_a_prediction_stays_with_its_topic_when_the_scout_finds_it_again(
        tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    found = [Scored(Candidate("Squid change colour", ["a.", "b."], "feed:x"), 0.5, 0.0, 0.0, 1.0),
             Scored(Candidate("Tax forms", ["a.", "b."], "feed:x"), 0.5, 0.0, 0.0, 1.0)]
    assert topic_queue.enqueue(ledger, "demo", found, 0.5) == 2
    topic_queue.set_performance(ledger, "demo", ["Squid change colour", "Tax forms"],
                                [0.9, 0.1], 0.5)
    topic_queue.enqueue(ledger, "demo", found, 0.5)  # the next run: same parts, no prediction
    with ledger.session() as s:
        rows = {r.title: r for r in s.exec(select(TopicRow))}
    parts = found[0].score
    assert rows["Squid change colour"].performance == 0.9
    assert rows["Squid change colour"].score == round(0.5 * parts + 0.5 * 0.9, 4)
    assert rows["Tax forms"].score == round(0.5 * parts + 0.5 * 0.1, 4)
    taken = topic_queue.take(ledger, "demo", "slot-1", [])
    assert taken is not None and taken.title == "Squid change colour"


# --- the past reels ---


def _publish(ledger: Ledger, n: int, topic: str, at: datetime, platform: str = "youtube",
             hook: str = "") -> PublishedReel:
    return published_reel(ledger, "demo", n, at, platform=platform,
                          external_id=f"{platform}-{n}", topic=topic, title=topic,
                          hook_style=hook)


def _fetch(ledger: Ledger, reel: PublishedReel, at: datetime, views: int) -> None:
    record(ledger, "demo", reel.platform, [reel],
           [ReelMetrics(reel.reel_id, reel.external_id, views=views)], at)


def test_past_reels_are_those_with_a_7_day_count_their_platforms_added(
        tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    now = T0 + 20 * 24 * H
    old_yt = _publish(ledger, 1, "Octopus hearts", T0)
    old_ig = _publish(ledger, 1, "Octopus hearts", T0, "instagram")
    young = _publish(ledger, 2, "Honey never spoils", now - 3 * 24 * H)
    unfetched = _publish(ledger, 3, "Venus spins backwards", T0)
    short = _publish(ledger, 4, "Bananas are radioactive", T0)
    for age, views in ((1, 10), (100, 500), (200, 900)):
        _fetch(ledger, old_yt, T0 + age * H, views)
        _fetch(ledger, old_ig, T0 + age * H, views // 10)
    _fetch(ledger, young, now - H, 5000)
    _fetch(ledger, short, T0 + 50 * H, 300)  # its fetches stopped before 7 days
    del unfetched
    past = seven_day_views(ledger, "demo", now)
    at_week = 500 + 400 * (68 / 100)  # on the line between the fetches at 100 h and 200 h
    assert past == [("Octopus hearts", pytest.approx(at_week + (50 + 40 * 68 / 100)))]


# --- hook styles in the script ---


def _script(style: str, notes: str = "") -> str:
    req = ScriptRequest("reel/demo/2026-11-01/1", ChannelConfig("demo", "science facts"),
                        TOPIC, notes, style)
    return ScriptActivities(0.0).write_script(req).scenes[0].text


def test_the_template_opens_in_the_experiment_s_style() -> None:
    assert _script("question") == "Did you know that octopuses have three hearts?"
    assert _script("bold-claim") == ("Here is the truth nobody tells you: octopuses have"
                                     " three hearts.")
    assert _script("number") == ("Three facts in under a minute, starting here: octopuses"
                                 " have three hearts.")
    assert _script("story") == "This story starts with a surprise: octopuses have three hearts."
    assert _script("") == "Here is something about octopuses have three hearts you did not know."
    # A reviewer's hook beats the experiment's.
    assert _script("question", "hook: Three hearts, one octopus.") == "Three hearts, one octopus."


def test_the_llm_writers_are_asked_for_the_style() -> None:
    asked = "The hook (the first sentence) must be a question the viewer wants answered."
    assert asked in api_prompt(TOPIC, "science", "en", "question")
    assert asked in mlx_prompt(TOPIC, "science", "question")
    assert "The hook (the first" not in api_prompt(TOPIC, "science", "en")
    assert mlx_prompt(TOPIC, "science") == mlx_prompt(TOPIC, "science", "")


def test_the_ledger_records_the_reel_s_hook_style(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    ledger.record_reel(ReelRecord("reel/demo/2026-11-01/1", "demo", "t", "T", "published", "",
                                  {}, [], [], hook_style="bold-claim"))
    with ledger.session() as s:
        assert s.get(ReelRow, "reel/demo/2026-11-01/1").hook_style == "bold-claim"


# --- the experiment's verdict ---


def test_mann_whitney_u_matches_the_exact_tables() -> None:
    u, p = mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert (u, round(p, 5)) == (0.0, 0.00794)  # 2 of the 252 splits are this far apart
    u, p = mann_whitney([1, 5, 3, 8, 9], [2, 4, 6, 7, 10])
    assert (u, round(p, 4)) == (11.0, 0.8413)
    # 12 against 12: 2.7 million splits, the normal approximation (mean 72, variance 300,
    # continuity-corrected): z = 71.5 / sqrt(300) = 4.128, two-sided p = 3.66e-5.
    u, p = mann_whitney(list(range(1, 13)), list(range(13, 25)))
    assert u == 0.0 and p == pytest.approx(3.66e-5, rel=0.01)


def _experiment(tmp_path: Path, reels_each: int, old: bool) -> Ledger:
    """Question hooks get 2,000 views a reel, bold claims 300, give or take."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    for n in range(1, 2 * reels_each + 1):
        style = "question" if n % 2 else "bold-claim"
        at = T0 + n * 10 * H
        reel = _publish(ledger, n, f"topic {n}", at, hook=style)
        final = (2000 if style == "question" else 300) + 7 * n
        _fetch(ledger, reel, at + 23 * H, final // 2)
        _fetch(ledger, reel, at + 25 * H, final // 2 + 10)
        if old:
            _fetch(ledger, reel, at + 170 * H, final)
    return ledger


def test_the_report_names_the_winning_style_with_its_confidence(tmp_path: Path,
                                                                capsys) -> None:
    ledger = _experiment(tmp_path, MIN_REELS, old=True)
    report = performance_report(ledger, "demo", 28, now=T0 + 400 * H,
                                hook_styles=["question", "bold-claim"])
    hooks = report["hooks"]
    assert (hooks["metric"], hooks["winner"]) == ("views_7d", "question")
    assert hooks["p_value"] == pytest.approx(2 / 252, abs=1e-4)
    assert hooks["confidence"] == pytest.approx(1 - 2 / 252, abs=1e-4)
    assert [f["reels"] for f in hooks["figures"]] == [5, 5]
    json.dumps(report)  # what --json prints
    print_report(report)
    out = capsys.readouterr().out
    assert ("hook experiment (question vs bold-claim): question wins on views_7d with"
            " confidence 99% (Mann-Whitney U, p = 0.008)") in out


def test_young_reels_are_compared_on_24_hour_views(tmp_path: Path) -> None:
    ledger = _experiment(tmp_path, MIN_REELS, old=False)
    hooks = performance_report(ledger, "demo", 28, now=T0 + 200 * H,
                               hook_styles=["question", "bold-claim"])["hooks"]
    assert (hooks["metric"], hooks["winner"]) == ("views_24h", "question")
    assert hooks["confidence"] > 0.99


def test_under_the_minimum_the_report_says_not_enough_reels(tmp_path: Path, capsys) -> None:
    ledger = _experiment(tmp_path, MIN_REELS - 1, old=True)
    report = performance_report(ledger, "demo", 28, now=T0 + 400 * H,
                                hook_styles=["question", "bold-claim"])
    hooks = report["hooks"]
    assert hooks["winner"] == "" and hooks["confidence"] is None
    assert hooks["verdict"].startswith("not enough reels: question has 4 with views_24h")
    print_report(report)
    assert "not enough reels" in capsys.readouterr().out
    # A channel without an experiment has no verdict at all.
    assert performance_report(ledger, "demo", 28, now=T0 + 400 * H)["hooks"] is None
