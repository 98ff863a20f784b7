"""Illustrated scenes: icons rasterized once and cached, kept out of the captions, and a
rasterizer that fails leaves the scene to the procedural source with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities import icons, illustrated
from activities.artifacts import ArtifactStore, to_path
from activities.script import template_script
from activities.topics import read_feed_file
from activities.visuals import PROCEDURAL, VisualsActivities
from tests.activities.test_visuals import FEEDS, SMALL, _spans
from workflows.contracts import LookConfig, SceneIcons, VisualsRequest

PALETTE = ["14213d", "3a0ca3", "f72585", "4cc9f0"]


def test_an_icon_is_rasterized_once_per_size_and_the_same_every_time(tmp_path: Path) -> None:
    first = icons.rasterize(tmp_path, "1F419", 120)
    data = first.read_bytes()
    assert data.startswith(b"\x89PNG") and first.parent.name == icons.CACHE_FOLDER
    first.unlink()
    again = icons.rasterize(tmp_path, "1F419", 120)
    assert again == first and again.read_bytes() == data  # same name, same pixels
    mtime = again.stat().st_mtime_ns
    assert icons.rasterize(tmp_path, "1F419", 120).stat().st_mtime_ns == mtime  # cached
    assert icons.rasterize(tmp_path, "1F419", 64) != first


def test_names_come_from_the_emoji_package_for_real_openmoji_files() -> None:
    catalogue = icons.catalogue()
    assert len(catalogue) > 1500
    octopus = icons.icon("1F419")
    assert octopus.name == "octopus" and octopus.char == "\U0001f419"
    assert "heart" in icons.icon("2764").text
    assert all((icons.svg_folder() / f"{i.code}.svg").is_file() for i in catalogue[:50])


@pytest.mark.parametrize("aspect,size", [("9:16", (540, 960)), ("1:1", (540, 540)),
                                         ("16:9", (960, 540))])
@pytest.mark.parametrize("position", [0.63, 0.3, 0.85])
def test_icons_never_reach_into_the_caption_band(tmp_path: Path, aspect, size, position):
    look = LookConfig(aspect=aspect, caption_position=position)
    shows = [SceneIcons(codes=["1F419"]), SceneIcons(codes=["1F419"], count=5),
             SceneIcons(codes=["1F36F", "1F41D", "1F33C"]),
             SceneIcons(codes=["1F36F", "23F3"], number="3,000"),
             SceneIcons(codes=["2665", "1F419"], count=5), SceneIcons(codes=["2600"], number="5×")]
    for shown in shows:
        recipe = illustrated.plan(look, shown, PALETTE, size, 3.0, 1, tmp_path)
        assert recipe.icons and illustrated.caption_band_clear(recipe), (aspect, shown)
        region = illustrated.region_for(look, *size)
        for icon in recipe.icons:
            assert region.left <= icon.x and icon.x + icon.size <= region.right
            assert region.top <= icon.y and icon.y + icon.size <= region.bottom


def test_a_count_is_drawn_under_the_scenes_subject(tmp_path: Path) -> None:
    # "An octopus has three hearts": the octopus on a row of its own, three hearts below it.
    recipe = illustrated.plan(LookConfig(), SceneIcons(codes=["2665", "1F419"], count=3),
                              PALETTE, (540, 960), 3.0, 1, tmp_path)  # fmt: skip
    subject, *hearts = recipe.icons
    assert subject.code == "1F419" and [h.code for h in hearts] == ["2665"] * 3
    assert len({h.y for h in hearts}) == 1 and all(subject.y + subject.size < h.y for h in hearts)
    alone = illustrated.plan(LookConfig(), SceneIcons(codes=["2665"], count=3), PALETTE,
                             (540, 960), 3.0, 1, tmp_path)  # fmt: skip
    assert [i.code for i in alone.icons] == ["2665"] * 3


def test_a_failing_rasterizer_falls_through_to_procedural_with_the_reason(tmp_path, monkeypatch):
    import resvg_py

    def broken(**_: object) -> bytes:
        raise RuntimeError("out of memory in the renderer")

    monkeypatch.setattr(resvg_py, "svg_to_bytes", broken)
    script = template_script(read_feed_file(FEEDS[0])[0], "science", [])
    spans = _spans(script)
    shown = [SceneIcons(codes=["1F419"], names=["octopus"], relevance=0.6) for _ in spans]
    made = VisualsActivities(ArtifactStore(tmp_path), 0.0).make_visuals(
        VisualsRequest("reel/t/r", SMALL, script, spans, illustrations=shown))
    for clip in made.clips:
        assert clip.kind == PROCEDURAL
        assert "out of memory in the renderer" in clip.note
        assert clip.relevance == 0.0


def test_illustrated_scenes_carry_their_icons_credit_and_relevance(tmp_path: Path) -> None:
    script = template_script(read_feed_file(FEEDS[0])[0], "science", [])
    spans = _spans(script)
    shown = [SceneIcons(codes=["1F419"], names=["octopus"], relevance=0.61)] * len(spans)
    made = VisualsActivities(ArtifactStore(tmp_path), 0.0).make_visuals(
        VisualsRequest("reel/t/i", SMALL, script, spans, illustrations=shown))
    for clip in made.clips:
        assert clip.kind == illustrated.ILLUSTRATED and clip.icons == ["octopus"]
        assert "OpenMoji" in clip.attribution and "CC BY-SA 4.0" in clip.attribution
        assert clip.relevance == 0.61
        assert illustrated.read(to_path(clip.uri)).icons


def test_a_recipe_naming_a_file_outside_the_icon_cache_is_bad_input(tmp_path: Path) -> None:
    recipe = illustrated.plan(LookConfig(), SceneIcons(codes=["1F419"]), PALETTE, (540, 960),
                              2.0, 1, tmp_path)
    recipe.icons[0].png = "/etc/passwd"
    path = tmp_path / "r.json"
    illustrated.write(path, recipe)
    with pytest.raises(Exception, match="not a rasterized icon"):
        illustrated.read(path)


def test_a_compose_host_without_the_icons_draws_the_same_ones_again(tmp_path: Path) -> None:
    planner, composer = ArtifactStore(tmp_path / "media-a"), ArtifactStore(tmp_path / "media-b")
    recipe = illustrated.plan(LookConfig(), SceneIcons(codes=["1F419", "1F36F"]), PALETTE,
                              (540, 960), 2.0, 1, planner.root)
    drawn = [Path(i.png).read_bytes() for i in recipe.icons]
    fetched = tmp_path / "fetched.json"  # the recipe as the other host fetched it
    illustrated.write(fetched, recipe)
    for icon in recipe.icons:  # that host never had the planner's disk
        Path(icon.png).unlink()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    here = illustrated.read(illustrated.localized(fetched, composer.root, scratch))
    assert [Path(i.png).parent for i in here.icons] == [composer.root / icons.CACHE_FOLDER] * 2
    assert [Path(i.png).read_bytes() for i in here.icons] == drawn
    assert [(i.x, i.y, i.size) for i in here.icons] == [(i.x, i.y, i.size) for i in recipe.icons]


def test_a_recipe_whose_icons_are_here_is_used_as_it_is(tmp_path: Path) -> None:
    recipe = illustrated.plan(LookConfig(), SceneIcons(codes=["1F419"]), PALETTE, (540, 960),
                              2.0, 1, tmp_path)
    path = tmp_path / "r.json"
    illustrated.write(path, recipe)
    assert illustrated.localized(path, tmp_path / "elsewhere", tmp_path) == path
