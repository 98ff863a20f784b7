"""Icons by meaning: the real MiniLM weights against the real OpenMoji index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from activities import icons
from activities.gpu import icon_match
from activities.gpu.icon_match import IconMatchActivities, load_index, pick
from workflows.contracts import IconMatchRequest

SENTENCES = yaml.safe_load((Path(__file__).parent / "icon_sentences.yaml").read_text())


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> icon_match.IconIndex:
    return load_index(tmp_path_factory.mktemp("icons"))


def test_the_sentence_set_names_real_icons():
    assert len(SENTENCES) >= 25
    for row in SENTENCES:
        assert row["icon"] in icons.by_code(), row


def test_expected_icon_is_in_the_top_three_for_most_sentences(index):
    req = IconMatchRequest([row["text"] for row in SENTENCES], max_icons=3)
    # Each sentence on its own: in one request the reel's no-repeat rule would apply.
    hits, misses = 0, []
    for row in SENTENCES:
        shown = pick(index, IconMatchRequest([row["text"]], max_icons=3))[0]
        if row["icon"] in shown.codes:
            hits += 1
        else:
            misses.append((row["text"], shown.names))
    assert len(req.scenes) == len(SENTENCES)
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
    assert three.count == 3 and len(three.codes) == 1 and three.number == ""
    assert years.number == "3,000" and years.count == 1 and 1 <= len(years.codes) <= 2


def test_no_icon_twice_in_a_reel_unless_the_scene_is_about_it_again(index):
    scenes = ["Bees make honey from nectar.", "The honey is stored in wax cells.",
              "Honey. Honey pot. A pot of honey."]
    shown = pick(index, IconMatchRequest(scenes))
    first, second, third = (set(s.codes) for s in shown)
    assert not first & second  # the second scene mentions honey in passing
    assert "1F36F" in third  # the third is about the honey pot itself


def test_every_scene_gets_one_to_three_icons_and_a_relevance(index):
    shown = pick(index, IconMatchRequest([row["text"] for row in SENTENCES[:8]]))
    for scene in shown:
        assert 1 <= len(scene.codes) <= 3
        assert 0.0 < scene.relevance <= 1.0
        assert len(scene.names) == len(scene.codes) == len(scene.scores)


def test_the_index_is_embedded_once_and_read_back(tmp_path, monkeypatch):
    first = load_index(tmp_path)
    path = icon_match.index_path(tmp_path, "minilm")
    assert path.is_file() and icons.library_version() in str(
        icons.library_version())  # the file's name hashes the library version
    calls = []
    monkeypatch.setattr(icon_match.embeddings, "embed",
                        lambda texts, model="minilm": calls.append(len(texts)))
    again = load_index(tmp_path)
    assert calls == []
    assert again.codes == first.codes
    assert np.array_equal(again.vectors, first.vectors)


def test_activity_reports_the_library_version(tmp_path):
    found = IconMatchActivities(tmp_path, 0.0).match_icons(
        IconMatchRequest(["A rocket flies to the moon."]))
    assert found.library == icons.library_version()
    assert found.scenes[0].codes and found.cost is not None
