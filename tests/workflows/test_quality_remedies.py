"""A failed quality check gets the remedy for what failed, not the same render again."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.doubles import QUEUE, Doubles, channel_config, unique, worker
from tests.workflows.test_reel import _input
from workflows.reel import ReelWorkflow

CHECKS = ("streams", "size", "fps", "duration", "audio", "loudness", "av_sync", "captions",
          "black", "frozen", "silence")


def failed(defects: dict | None = None, lufs: float = -14.0, peak: float = -1.5,
           **bad: str) -> dict:
    """A failed QualityReport as the real check_quality puts it in its error."""
    checks = {name: bad.get(name, "ok") for name in CHECKS}
    return {"passed": False, "checks": checks, "defects": defects or {},
            "loudness_lufs": lufs, "true_peak_dbtp": peak}


async def _run(env: WorkflowEnvironment, doubles: Doubles, prefix: str):
    name = unique(prefix)
    async with worker(env.client, doubles):
        return await env.client.execute_workflow(
            ReelWorkflow.run, _input(name), id=f"reel/{name}", task_queue=QUEUE)


async def test_frozen_scene_is_made_again_and_the_reel_published(time_env: WorkflowEnvironment):
    # Four scenes of 5 s; the stretch 11.0-11.6 s lies in scene 2 only.
    doubles = Doubles(channel_config(), scenes=4, quality_reports=[
        failed({"frozen": [[11.0, 0.6]]}, frozen="frozen for 0.60 s from 11.00 s")])
    result = await _run(time_env, doubles, "frozen")
    assert [r.variants for r in doubles.visuals_requests] == [[], [0, 0, 1, 0]]
    assert doubles.compose_requests[-1].visuals.clips[2].uri == "file:///s2.mp4"
    assert doubles.compose_safe_flags == [False, False]
    assert result.publications
    assert doubles.records[-1].status == "published"
    assert doubles.records[-1].remedies == [
        "quality check failed: frozen -> new visuals for scene 2"]


async def test_loudness_failure_mixes_again_with_the_measured_correction(
    time_env: WorkflowEnvironment,
):
    doubles = Doubles(channel_config(), quality_reports=[
        failed(lufs=-15.6, peak=-0.4, loudness="integrated -15.6 LUFS; true peak -0.4 dBTP")])
    await _run(time_env, doubles, "loud")
    again = doubles.compose_requests[-1]
    assert again.loudness_offset_db == pytest.approx(1.6)
    assert again.peak_margin_db == pytest.approx(1.1)
    assert not again.safe and doubles.calls["make_visuals"] == 1


async def test_captions_outside_the_safe_area_are_laid_out_again(time_env: WorkflowEnvironment):
    look = channel_config().look
    doubles = Doubles(channel_config(), quality_reports=[
        failed(captions="caption at 3.0 s leaves the safe area")])
    await _run(time_env, doubles, "captions")
    again = doubles.compose_requests[-1].look
    assert again.caption_size < look.caption_size
    assert again.caption_words == max(1, look.caption_words - 1)


async def test_av_drift_gets_the_safe_compose(time_env: WorkflowEnvironment):
    doubles = Doubles(channel_config(), quality_reports=[failed(av_sync="differ by 80 ms")])
    await _run(time_env, doubles, "drift")
    assert doubles.compose_safe_flags == [False, True]


async def test_reel_whose_remedies_all_fail_ends_failed_listing_each_attempt(
    time_env: WorkflowEnvironment,
):
    frozen = failed({"frozen": [[0.0, 20.0]]}, frozen="frozen for 20.00 s from 0.00 s")
    doubles = Doubles(channel_config(), scenes=2, quality_reports=[frozen] * 3)
    with pytest.raises(WorkflowFailureError) as failure:
        await _run(time_env, doubles, "spent")
    message = str(failure.value.cause)
    assert "quality checks failed 3 times" in message
    assert "new visuals for scenes 0, 1" in message and "no remedy left" in message
    assert [r.variants for r in doubles.visuals_requests] == [[], [1, 1], [2, 2]]
    record = doubles.records[-1]
    assert record.status == "failed"
    assert len(record.remedies) == 3 and record.remedies[-1].endswith("no remedy left")
    assert "publish_reel" not in doubles.calls
