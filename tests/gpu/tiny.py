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


F5_SIZES = {"dim": 32, "depth": 1, "heads": 2, "dim_head": 16, "ff_mult": 2, "text_dim": 16,
            "conv_layers": 1}


def build_f5(folder: Path, seed: int = 0) -> Path:
    """A random tiny F5-TTS + Vocos in the hub repos' layout (vocos weights in torch layout)."""
    import mlx.core as mx
    import yaml
    from f5_tts_mlx.dit import DiT
    from mlx.utils import tree_flatten
    from vocos_mlx import Vocos

    (folder / "vocos").mkdir(parents=True, exist_ok=True)
    chars = [" ", *"abcdefghijklmnopqrstuvwxyz", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ", *".,'!?-0123456789"]
    (folder / "vocab.txt").write_text("\n".join(chars) + "\n")  # the hub file ends in a newline
    (folder / "config.json").write_text(json.dumps(F5_SIZES))
    mx.random.seed(seed)
    dit = DiT(**F5_SIZES, text_num_embeds=len(chars), text_mask_padding=True)
    weights = {f"transformer.{k}": v for k, v in tree_flatten(dit.parameters())}
    mx.save_safetensors(str(folder / "model_v1.safetensors"), weights)
    config = {
        "feature_extractor": {"class_path": "vocos.feature_extractors.MelSpectrogramFeatures",
                              "init_args": {"sample_rate": 24000, "n_fft": 1024,
                                            "hop_length": 256, "n_mels": 100,
                                            "padding": "center"}},
        "backbone": {"class_path": "vocos.models.VocosBackbone",
                     "init_args": {"input_channels": 100, "dim": 16, "intermediate_dim": 32,
                                   "num_layers": 1}},
        "head": {"class_path": "vocos.heads.ISTFTHead",
                 "init_args": {"dim": 16, "n_fft": 1024, "hop_length": 256,
                               "padding": "center"}},
    }
    (folder / "vocos" / "config.yaml").write_text(yaml.safe_dump(config))
    vocos = Vocos.from_hparams(str(folder / "vocos" / "config.yaml"))
    vocos_weights = {}
    for key, value in tree_flatten(vocos.parameters()):
        if key.endswith("weight") and ("backbone.embed" in key or "dwconv" in key):
            value = value.moveaxis(2, 1)  # from_pretrained expects PyTorch's conv layout
        vocos_weights[key] = value
    mx.save_safetensors(str(folder / "vocos" / "model.safetensors"), vocos_weights)
    return folder


def write_clip(path: Path, seconds: float = 1.0, rate: int = 24000) -> Path:
    """A voiced-sounding reference clip: a 140 Hz buzz with harmonics and a little noise."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
    noise = np.random.default_rng(0).normal(0, 0.02, t.shape)
    sf.write(str(path), (0.2 * tone + noise).astype("float32"), rate)
    return path
