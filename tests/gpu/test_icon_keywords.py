"""Icons reached by their CLDR keywords: the shipped file, and what it adds to a match."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from activities import icons
from activities.assets import CLDR_LICENSE, ICON_KEYWORDS
from activities.gpu import icon_match
from activities.gpu.icon_match import IconIndex, load_index, ranked


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> IconIndex:
    return load_index(tmp_path_factory.mktemp("icon-index"))


def test_every_icon_has_its_cldr_keywords_and_the_licence_ships_beside_them():
    saved = json.loads(ICON_KEYWORDS.read_text(encoding="utf-8"))
    assert saved["cldr"] in icons.library_version()
    bare = [i.code for i in icons.catalogue() if not i.keywords]
    assert not bare, f"{len(bare)} icons without keywords: run tools/build_icon_keywords.py"
    assert "lightning" in icons.icon("26A1").keywords  # high voltage
    assert "Unicode" in CLDR_LICENSE.read_text(encoding="utf-8")


def test_a_word_reaches_the_icon_whose_keywords_say_it(index):
    # The name "money bag" is far from "money" for MiniLM; the keyword is the word itself.
    top = [code for code, _ in ranked(index, "Money in the bank earns interest.", [])]
    assert "1F4B0" in top
    cut = IconIndex(index.codes, index.names, index.vectors, index.keywords,
                    np.zeros_like(index.keyword_vectors), index.name_vectors)
    assert "1F4B0" not in [code for code, _ in ranked(cut, "Money in the bank earns interest.",
                                                      [])]


def test_an_icon_scores_its_best_keyword_and_one_without_keywords_scores_none(
        index, monkeypatch):
    query = index.keyword_vectors[index.keywords.index("thunderbolt")][None, :]
    best = index.by_keyword(query)[:, 0]
    holders = [i for i, c in enumerate(index.codes) if "thunderbolt" in icons.icon(c).keywords]
    assert index.codes.index("26A1") in holders
    assert np.allclose(best[holders], 1.0, atol=1e-3) and np.all(np.delete(best, holders) < 0.99)
    # An icon a new emoji release adds before CLDR names it has no keyword to answer with.
    catalogue = dict(icons.by_code())
    catalogue["1F4B0"] = dataclasses.replace(catalogue["1F4B0"], keywords=())
    monkeypatch.setattr(icons, "by_code", lambda: catalogue)
    two = IconIndex(["1F4B0", "26A1"], ["money bag", "high voltage"], index.vectors[:2],
                    index.keywords, index.keyword_vectors,
                    np.stack([index.known["money bag"], index.known["high voltage"]]))
    assert two.by_keyword(query)[:, 0].tolist() == pytest.approx([-1.0, 1.0], abs=1e-3)


def test_a_second_icon_must_fit_the_sentence_not_only_one_of_its_words(index):
    scene = icon_match.pick(index, icon_match.IconMatchRequest(
        ["Under every forest floor runs a hidden network of fungi."]))[0]
    assert scene.names[0] == "mushroom"
    assert "rolling on the floor laughing" not in scene.names
