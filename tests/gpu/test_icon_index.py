"""The icon index shipped with the package: every icon's text, and the real model's vectors."""

from __future__ import annotations

import numpy as np

from activities import icons
from activities.gpu import embeddings, icon_match


def test_the_shipped_index_holds_every_icon_text_name_and_keyword():
    shipped = icon_match.shipped_vectors(embeddings.BUNDLED)
    missing = {t for texts in icon_match.catalogue_texts() for t in texts} - set(shipped)
    assert not missing, (f"{len(missing)} texts not in {icon_match.ICON_INDEX.parent}: run "
                         "tools/build_icon_index.py")


def test_shipped_vectors_are_what_the_model_says_today():
    shipped = icon_match.shipped_vectors(embeddings.BUNDLED)
    sample = [i.text for i in icons.catalogue()][::97]
    fresh = embeddings.embed(sample)
    cosines = np.sum(fresh * np.stack([shipped[t] for t in sample]), axis=1)
    assert cosines.min() > 0.999, list(zip(sample, cosines.round(4), strict=True))


def test_texts_the_shipped_index_lacks_are_embedded_and_the_rest_reused(monkeypatch):
    asked: list[list[str]] = []
    real = embeddings.embed
    monkeypatch.setattr(embeddings, "embed", lambda texts, model: asked.append(texts)
                        or real(texts, model))
    vectors = icon_match.embed_catalogue(["octopus", "a word no icon says, surely"],
                                         embeddings.BUNDLED)
    assert asked == [["a word no icon says, surely"]]
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_another_model_never_takes_the_bundled_vectors():
    assert icon_match.shipped_vectors("/models/other-minilm") == {}
