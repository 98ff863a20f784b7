"""Icons by meaning: the real MiniLM weights against the real OpenMoji index."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from activities import icons
from activities.gpu import icon_match
from activities.gpu.icon_match import IconMatchActivities, load_index, pick, ranked
from workflows.contracts import IconMatchRequest

SENTENCES = yaml.safe_load((Path(__file__).parent / "icon_sentences.yaml").read_text())


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("icon-index")


@pytest.fixture(scope="session")
def index(cache_dir: Path) -> icon_match.IconIndex:
    return load_index(cache_dir)


def test_the_sentence_set_names_real_icons():
    assert len(SENTENCES) >= 25
    for row in SENTENCES:
        assert row["icon"] in icons.by_code(), row


def test_expected_icon_is_in_the_top_three_for_most_sentences(index):
    hits, misses = 0, []
    for row in SENTENCES:
        top = [code for code, _ in ranked(index, row["text"], [])]
        if row["icon"] in top:
            hits += 1
        else:
            misses.append((row["text"], [icons.by_code()[c].name for c in top]))
    assert hits / len(SENTENCES) >= 0.85, misses


def test_the_demo_topics_name_their_subjects(index):
    scenes = ["An octopus has three hearts, and that is not even the strangest part.",
              "Archaeologists found pots of honey in Egyptian tombs that were still safe to eat.",
              "Glass is made by melting sand at very high temperatures."]
    shown = pick(index, IconMatchRequest(scenes))
    assert "octopus" in shown[0].names
    assert "honey pot" in shown[1].names
    assert any(name in shown[2].names for name in ("desert", "beach with umbrella",
                                                   "desert island", "hourglass done",
                                                   "glass of milk", "wine glass"))


def test_small_numbers_draw_that_many_and_large_ones_are_set_as_type(index):
    three, years = pick(index, IconMatchRequest([
        "An octopus has three hearts.",
        "Honey can stay good for 3,000 years.",
    ]))
    assert three.count == 3 and 1 <= len(three.codes) <= 2 and three.number == ""
    assert years.number == "3,000" and years.count == 1 and 1 <= len(years.codes) <= 2


def test_a_count_draws_the_counted_thing_once_per_unit(index):
    hearts, eggs = pick(index, IconMatchRequest([
        "An octopus has three hearts, and that is not even the strangest part.",
        "The hen laid three eggs this morning.",
    ]))
    # Three hearts, not three octopuses, and the octopus beside them; not three of "two
    # hearts" (six).
    assert hearts.count == 3 and "heart" in hearts.names[0] and hearts.names[1:] == ["octopus"]
    assert "two" not in hearts.names[0] and hearts.names[0] != "revolving hearts"
    assert eggs.count == 3 and eggs.names[0] == "egg"


def test_a_factor_or_a_count_no_icon_shows_is_set_as_type(index):
    hotter, extinctions = pick(index, IconMatchRequest([
        "A single bolt of lightning is five times hotter than the surface of the sun.",
        "Sharks survived all five great mass extinctions on our planet.",
    ]))
    assert (hotter.count, hotter.number) == (1, "5×")
    assert (extinctions.count, extinctions.number) == (1, "5")
    assert "shark" in extinctions.names


def test_an_alias_alone_brings_no_icon_the_sentence_does_not_mean(index):
    # "metal" is an alias of the sign of the horns (:metal:), not what acid dissolves.
    (acid,) = pick(index, IconMatchRequest(
        ["Your stomach is full of acid strong enough to dissolve metal."]))
    assert "sign of the horns" not in acid.names


def test_no_icon_twice_in_a_reel_unless_the_scene_is_about_it_again(index):
    scenes = ["Bees make honey from nectar.", "The honey is stored in wax cells.",
              "Honey. Honey pot. A pot of honey."]
    shown = pick(index, IconMatchRequest(scenes))
    first, second, third = (set(s.codes) for s in shown)
    assert not first & second  # the second scene mentions honey in passing
    assert "1F36F" in third  # the third is about the honey pot itself


def test_an_icon_a_scene_does_not_show_stays_free_for_the_next(index):
    # The acid scene reaches the sign of the horns through its alias :metal: and drops it;
    # a later scene about metal music may still show it.
    acid = "Your stomach is full of acid strong enough to dissolve metal."
    concert = "Metal concerts are loud."
    first, second = pick(index, IconMatchRequest([acid, concert]))
    (alone,) = pick(index, IconMatchRequest([concert]))
    assert "sign of the horns" not in first.names
    assert "sign of the horns" in alone.names
    assert second.names == alone.names


def test_words_and_names_the_index_holds_are_read_from_it_not_embedded(index, monkeypatch):
    asked: list[str] = []
    real = icon_match.embeddings.embed
    monkeypatch.setattr(icon_match.embeddings, "embed",
                        lambda texts, model: asked.extend(texts) or real(texts, model))
    scene = "An octopus pumps blue blood."
    (shown,) = pick(index, IconMatchRequest([scene]))
    assert "octopus" in shown.names
    # "octopus" is an icon's name, "blood" a CLDR keyword; "pumps" is neither.
    assert "pumps" in asked and "octopus" not in asked and "blood" not in asked
    assert asked.count(scene) == 1
    # Each text's vector is the model's, whichever way it came.
    assert index.known["blood"] @ real(["blood"], icon_match.embeddings.BUNDLED)[0] > 0.999


def test_every_scene_gets_one_to_three_icons_and_a_relevance(index):
    shown = pick(index, IconMatchRequest([row["text"] for row in SENTENCES[:8]]))
    for scene in shown:
        assert 1 <= len(scene.codes) <= 3
        assert 0.0 < scene.relevance <= 1.0
        assert len(scene.names) == len(scene.codes) == len(scene.scores)


def test_the_index_is_read_back_and_embedded_again_when_it_lists_other_icons(
        cache_dir, index, tmp_path, monkeypatch):
    path = icon_match.index_path(cache_dir, "minilm")
    assert path.is_file()
    calls: list[int] = []

    def counting(texts: list[str], model: str = "minilm") -> np.ndarray:
        calls.append(len(texts))
        return np.zeros((len(texts), 384), dtype=np.float32)

    monkeypatch.setattr(icon_match.embeddings, "embed", counting)
    again = load_index(cache_dir)
    assert calls == []  # read from disk
    assert again.codes == index.codes and np.array_equal(again.vectors, index.vectors)
    stale = icon_match.index_path(tmp_path, "minilm")
    stale.parent.mkdir(parents=True)
    np.savez(stale, codes=np.array(index.codes[:-1]), vectors=index.vectors[:-1],
             keywords=np.array(index.keywords), keyword_vectors=index.keyword_vectors)
    fresh = load_index(tmp_path)
    # Rebuilt from the shipped vectors (every icon text is there): nothing embedded.
    assert calls == [] and fresh.codes == index.codes
    assert list(np.load(stale)["codes"]) == index.codes
    assert np.array_equal(fresh.keyword_vectors, index.keyword_vectors)


def test_a_new_index_removes_this_models_stale_ones_and_keeps_another_models(tmp_path):
    folder = tmp_path / icons.CACHE_FOLDER
    folder.mkdir()
    dead_writer = folder / "index-minilm-0123456789abcdef.4242.tmp.npz"
    stale = [folder / "index-minilm-0123456789abcdef.npz",  # an older OpenMoji's
             folder / "index-0123456789abcdef.npz",  # unnamed, as older releases wrote
             dead_writer]
    kept = [folder / "index-e5-small-0123456789abcdef.npz",  # another model's
            folder / "index-minilm-0123456789abcdef.4343.tmp.npz",  # a live writer's
            folder / "0123456789abcdef.png"]  # a rendered icon
    for path in stale + kept:
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(dead_writer, (an_hour_ago, an_hour_ago))
    load_index(tmp_path)
    current = icon_match.index_path(tmp_path, "minilm")
    assert current.is_file() and current.name.startswith("index-minilm-")
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)


def test_activity_reports_the_library_version(cache_dir, index):
    found = IconMatchActivities(cache_dir, 0.0).match_icons(
        IconMatchRequest(["A rocket flies to the moon."]))
    assert found.library == icons.library_version()
    assert found.scenes[0].codes and found.cost is not None
