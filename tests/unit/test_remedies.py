"""The remedy planner: what each failed check asks for, and when remedies are spent."""

from __future__ import annotations

from workflows.remedies import LAYOUT, MIX, SAFE, VISUALS, Verdict, plan_remedy

SPANS = [(0.0, 5.0), (5.0, 10.0), (10.0, 15.0)]


def test_a_frozen_stretch_remakes_only_the_scenes_it_overlaps():
    verdict = Verdict({"frozen": "frozen for 1.1 s"}, {"frozen": [[4.5, 1.1]]})
    remedy = plan_remedy(verdict, SPANS, {})
    assert remedy is not None and remedy.kinds == [VISUALS] and remedy.scenes == [0, 1]


def test_black_without_known_stretches_remakes_every_scene():
    remedy = plan_remedy(Verdict({"black": "black for 2 s"}), SPANS, {})
    assert remedy is not None and remedy.scenes == [0, 1, 2]


def test_loudness_correction_is_what_was_measured_bounded():
    remedy = plan_remedy(Verdict({"loudness": "x"}, loudness_lufs=-25.0, true_peak_dbtp=-2.0),
                         SPANS, {})
    assert remedy is not None and remedy.kinds == [MIX]
    assert remedy.loudness_offset_db == 6.0 and remedy.peak_margin_db == 0.0


def test_several_failed_checks_get_their_remedies_together_in_table_order():
    verdict = Verdict({"av_sync": "x", "captions": "y", "frozen": "z"}, {"frozen": [[12, 1]]})
    remedy = plan_remedy(verdict, SPANS, {})
    assert remedy is not None and remedy.kinds == [VISUALS, LAYOUT, SAFE]
    assert remedy.scenes == [2]
    assert remedy.describe() == ("new visuals for scene 2, captions laid out again, smaller, "
                                 "safe compose")


def test_a_spent_remedy_ends_the_reel_even_beside_a_fresh_one():
    verdict = Verdict({"frozen": "x", "loudness": "y"})
    assert plan_remedy(verdict, SPANS, {VISUALS: 2}) is None
    assert plan_remedy(Verdict({"size": "1080x1080"}), SPANS, {SAFE: 1}) is None
    assert plan_remedy(Verdict({}), SPANS, {}) is None
