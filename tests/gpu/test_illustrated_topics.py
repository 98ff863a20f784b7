"""Every shipped topic, illustrated with the real matcher: no scene black or frozen."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import pytest

from activities import illustrated
from activities.artifacts import ArtifactStore, to_path
from activities.ffmpeg_run import run_ffmpeg
from activities.gpu.icon_match import load_index, pick
from activities.quality import ANALYSIS_FILTERS, MAX_BLACK_S, MAX_FROZEN_S, parse_defects
from activities.script import template_script
from activities.topics import read_feed_file
from activities.visuals import VisualsActivities
from tests.activities.test_visuals import FEEDS, _spans
from workflows.contracts import IconMatchRequest, LookConfig, VisualsRequest

# The reel's own size (recipes draw at half of it): the float and drift scale with the frame,
# and on a frame five times smaller their turns read as still to freezedetect's -60 dB.
REEL = LookConfig(fps=15)


def _defects(path: Path) -> tuple[list, list]:
    recipe = illustrated.read(path)
    stream = illustrated.scene(recipe, recipe.duration_s, 4, 1000)
    for name, options in ANALYSIS_FILTERS:
        stream = stream.filter(name, **options)
    args = ffmpeg.output(stream, "-", f="null", t=f"{recipe.duration_s:.3f}").get_args()
    found = parse_defects(run_ffmpeg(args, what="check").stderr, recipe.duration_s)
    return ([b for b in found.black if b[1] > MAX_BLACK_S],
            [f for f in found.frozen if f[1] > MAX_FROZEN_S])


@pytest.mark.parametrize("feed", FEEDS, ids=lambda p: p.stem)
def test_every_shipped_topic_is_illustrated_and_never_black_or_frozen(
        feed: Path, tmp_path: Path) -> None:
    index = load_index(tmp_path)
    visuals = VisualsActivities(ArtifactStore(tmp_path), 0.0)
    bad, scenes, drawn = [], 0, 0
    for n, topic in enumerate(read_feed_file(feed)):
        script = template_script(topic, "science", [])
        shown = pick(index, IconMatchRequest([s.text for s in script.scenes],
                                             [list(s.keywords) for s in script.scenes]))
        made = visuals.make_visuals(VisualsRequest(f"reel/t/{n}", REEL, script,
                                                   _spans(script), illustrations=shown))
        for i, clip in enumerate(made.clips):
            scenes += 1
            if clip.kind != illustrated.ILLUSTRATED:
                continue
            drawn += 1
            black, frozen = _defects(to_path(clip.uri))
            if black or frozen:
                bad.append(f"{topic.title!r} scene {i} ({clip.icons}): black {black} "
                           f"frozen {frozen}")
    assert not bad, "\n".join(bad)
    assert drawn >= 0.8 * scenes
