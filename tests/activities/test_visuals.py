"""Procedural scenes never look frozen or black, and remedies and footage reach make_visuals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.errors import BAD_INPUT
from activities.ffmpeg_run import run_ffmpeg
from activities.quality import ANALYSIS_VIDEO, MAX_BLACK_S, MAX_FROZEN_S, parse_defects
from activities.script import template_script
from activities.topics import read_feed_file
from activities.visuals import (
    PROCEDURAL,
    STYLES,
    VisualsActivities,
    motes_over,
    read_recipe,
    scene_graph,
)
from workflows.contracts import LookConfig, SceneClip, SceneSpan, Script, VisualsRequest

ROOT = Path(__file__).resolve().parents[2]
FEEDS = sorted((ROOT / "channels" / "feeds").glob("*.yaml"))
# A small frame keeps the test fast; motes and styles scale with it.
SMALL = LookConfig(width=216, height=384, fps=15)
SECONDS_PER_WORD = 0.4  # about Piper's pace, for spans without synthesising the voice


def _spans(script: Script) -> list[SceneSpan]:
    spans, at = [], 0.0
    for scene in script.scenes:
        length = max(1.5, len(scene.text.split()) * SECONDS_PER_WORD)
        spans.append(SceneSpan(round(at, 3), round(at + length, 3)))
        at += length
    return spans


def _defects(clip: Path) -> tuple[list, list]:
    """Black and frozen stretches of a scene as compose draws it (a recipe through lavfi)."""
    recipe = read_recipe(clip)
    run = run_ffmpeg(["-f", "lavfi", "-t", str(recipe.duration_s), "-i", scene_graph(recipe),
                      "-vf", ANALYSIS_VIDEO, "-f", "null", "-"], what="check")  # fmt: skip
    found = parse_defects(run.stderr, recipe.duration_s)
    return ([b for b in found.black if b[1] > MAX_BLACK_S],
            [f for f in found.frozen if f[1] > MAX_FROZEN_S])


@pytest.mark.parametrize("feed", FEEDS, ids=lambda p: p.stem)
def test_every_shipped_topic_renders_scenes_that_are_never_black_or_frozen(
    tmp_path: Path, feed: Path
) -> None:
    visuals = VisualsActivities(ArtifactStore(tmp_path), 0.0)
    styles_seen = set()
    bad = []
    for n, topic in enumerate(read_feed_file(feed)):
        script = template_script(topic, "science", [])
        made = visuals.make_visuals(VisualsRequest(f"reel/t/{n}", SMALL, script, _spans(script)))
        for i, clip in enumerate(made.clips):
            styles_seen.add(clip.source)
            black, frozen = _defects(to_path(clip.uri))
            if black or frozen:
                bad.append(f"{topic.title!r} scene {i} ({clip.source}): black {black} "
                           f"frozen {frozen}")
    assert not bad, "\n".join(bad)
    assert styles_seen == set(STYLES)


def test_a_remedied_scene_gets_another_style_and_the_others_stay(tmp_path: Path) -> None:
    visuals = VisualsActivities(ArtifactStore(tmp_path), 0.0)
    topic = read_feed_file(FEEDS[0])[0]
    script = template_script(topic, "science", [])
    spans = _spans(script)
    first = visuals.make_visuals(VisualsRequest("reel/t/v", SMALL, script, spans))
    variants = [0] * len(spans)
    variants[1] = 1
    again = visuals.make_visuals(VisualsRequest("reel/t/v", SMALL, script, spans,
                                                variants=variants))
    assert again.clips[1].source != first.clips[1].source
    assert again.clips[1].uri != first.clips[1].uri
    assert [c.uri for i, c in enumerate(again.clips) if i != 1] == [
        c.uri for i, c in enumerate(first.clips) if i != 1]


def test_footage_clips_take_their_scenes_and_a_remedy_drops_own_media(
    tmp_path: Path,
) -> None:
    store = ArtifactStore(tmp_path / "art")
    visuals = VisualsActivities(store, 0.0)
    topic = read_feed_file(FEEDS[0])[0]
    script = template_script(topic, "science", [])
    spans = _spans(script)
    clip = tmp_path / "stock.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=216x384:r=15:d=2", "-pix_fmt", "yuv420p",
                str(clip)], what="footage")
    footage = [SceneClip("", 0.0)] * len(spans)
    footage[0] = SceneClip(to_uri(clip), 2.0, kind="video", source="pexels: 123",
                           attribution="Video by A on Pexels")
    made = visuals.make_visuals(VisualsRequest("reel/t/f", SMALL, script, spans, footage=footage))
    assert made.clips[0] == footage[0]
    assert made.cost.backend == "footage+procedural"
    picks = [str(clip)] + [""] * (len(spans) - 1)
    own = visuals.make_visuals(VisualsRequest("reel/t/o", SMALL, script, spans,
                                              media_picks=picks, variants=[1] + [0] * (len(spans) - 1)))
    assert own.clips[0].kind == PROCEDURAL and own.cost.backend == "procedural"


def test_variants_of_the_wrong_length_are_bad_input(tmp_path: Path) -> None:
    visuals = VisualsActivities(ArtifactStore(tmp_path), 0.0)
    script = template_script(read_feed_file(FEEDS[0])[0], "science", [])
    with pytest.raises(Exception) as error:
        visuals.make_visuals(VisualsRequest("reel/t/b", SMALL, script, _spans(script),
                                            variants=[1]))
    assert getattr(error.value, "type", "") == BAD_INPUT
    assert re.search(r"variants must be \d+ numbers", str(error.value))


def test_motes_drawn_once_keep_rising_until_the_scene_ends(tmp_path: Path) -> None:
    # Each mote is a single drawn frame that overlay holds and moves: the squares must still
    # be in view and moving at the end of a scene, and the scene must keep all its frames.
    width, height, fps, seconds = SMALL.width, SMALL.height, SMALL.fps, 6
    graph = (f"color=c=0x808080:s={width}x{height}:r={fps},format=yuv420p[bg];"
             f"{motes_over(7, ['14213d', 'f72585', '4cc9f0'], fps, (width, height), 'bg')}")
    raw = tmp_path / "motes.gray"
    run_ffmpeg(["-f", "lavfi", "-t", str(seconds), "-i", graph, "-f", "rawvideo",
                "-pix_fmt", "gray", str(raw)], what="motes")  # fmt: skip
    data = raw.read_bytes()
    size = width * height
    assert len(data) == size * fps * seconds
    flat = bytes([data[0]]) * size  # a corner never reached by a mote: the grey itself
    late = [data[n * size : (n + 1) * size] for n in (fps * 4, fps * 5, fps * seconds - 1)]
    assert all(frame != flat for frame in late)  # motes in view
    assert late[0] != late[1] != late[2]  # and still moving


def test_own_media_shows_the_words_of_its_name_and_tags(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "art")
    script = template_script(read_feed_file(FEEDS[0])[0], "science", [])
    spans = _spans(script)
    still = tmp_path / "octopus-reef.jpg"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=216x384", "-frames:v", "1", str(still)],
               what="still")
    (tmp_path / "octopus-reef.txt").write_text("coral, underwater")
    picks = [str(still)] + [""] * (len(spans) - 1)
    made = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest("reel/t/s", SMALL, script, spans, media_picks=picks))
    assert made.clips[0].shows == "coral octopus reef underwater"
    assert made.clips[0].relevance == -1.0  # scored by the workflow, on the gpu queue
    assert all(c.shows == "" for c in made.clips[1:])  # procedural scenes show no words
