"""Tiny random-weight models built on the fly, in the folder layouts the real ones use.

The weights are random, so the text they write is noise; what they exercise is the real
load-and-generate path (mlx_lm.load on a folder, the tokenizer from tokenizer.json).
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = [
    "Octopuses have three hearts and blue blood.",
    "Honey never spoils; archaeologists found edible honey in ancient tombs.",
    'The script is JSON: {"title": "...", "hook": "...", "scenes": [{"text": "..."}]}',
    "Bananas are berries but strawberries are not.",
    "A day on Venus is longer than its year.",
] * 20


def train_tokenizer(folder: Path, vocab_size: int = 400) -> None:
    """A byte-level BPE tokenizer trained by `tokenizers`, saved as the hub layout expects."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>", "eos_token": "</s>", "model_max_length": 2048,
    }))


def build_llama(folder: Path, hidden: int = 64, layers: int = 2, vocab_size: int = 400,
                seed: int = 0, tied: bool = True, retrain: bool = True) -> Path:
    """A random llama in mlx-lm's folder layout: config.json, model.safetensors, tokenizer."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import llama

    folder.mkdir(parents=True, exist_ok=True)
    if retrain:
        train_tokenizer(folder, vocab_size)
    config = {
        "model_type": "llama", "hidden_size": hidden, "num_hidden_layers": layers,
        "intermediate_size": hidden * 4, "num_attention_heads": 4, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-5, "vocab_size": vocab_size, "rope_theta": 10000.0,
        "tie_word_embeddings": tied, "bos_token_id": 0, "eos_token_id": 1,
        "max_position_embeddings": 2048,
    }
    mx.random.seed(seed)
    model = llama.Model(llama.ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    mx.save_safetensors(str(folder / "model.safetensors"), dict(tree_flatten(model.parameters())))
    (folder / "config.json").write_text(json.dumps(config))
    return folder



def build_scripted_llama(folder: Path, prompt: str, chunks: list[str], hidden: int = 128,
                         endless: bool = False) -> Path:
    """A llama whose weights are wired so that greedy decoding after `prompt` says `chunks`.

    Each chunk is a token of its own (added to the trained tokenizer). Attention and MLP
    outputs are zeroed, so the last hidden state is the current token's embedding, and the
    untied output head maps each token's embedding to the next token of the chain: prompt's
    last token -> chunk 0 -> chunk 1 ... -> end of sequence (or back to chunk 0 when
    `endless`, for tests that need a generation to outlast them). Everything else is the real
    mlx-lm architecture, loader, tokenizer and sampler.
    """
    import mlx.core as mx
    import mlx_lm
    from mlx.utils import tree_flatten
    from tokenizers import Tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    train_tokenizer(folder)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.add_tokens(chunks)
    tokenizer.save(str(folder / "tokenizer.json"))
    vocab = tokenizer.get_vocab_size()
    build_llama(folder, hidden=hidden, layers=2, vocab_size=vocab, tied=False, retrain=False)
    model, wrapper = mlx_lm.load(str(folder))
    last = wrapper.encode(prompt)[-1]
    ids = [tokenizer.token_to_id(c) for c in chunks]
    chain = [last, *ids, ids[0] if endless else wrapper.eos_token_id]
    mx.random.seed(1)
    embed = mx.random.normal((vocab, hidden))
    head = mx.random.normal((vocab, hidden)) * 0.01
    rows = mx.array(chain[1:])
    head[rows] = embed[mx.array(chain[:-1])] * 10.0
    weights = dict(tree_flatten(model.parameters()))
    weights["model.embed_tokens.weight"] = embed
    weights["lm_head.weight"] = head
    for name, value in list(weights.items()):
        if name.endswith(("o_proj.weight", "down_proj.weight")):
            weights[name] = mx.zeros_like(value)
    mx.save_safetensors(str(folder / "model.safetensors"), weights)
    return folder
