"""MLX figures for the gpu worker: `make bench-mlx` (or `python -m benchmarks.mlx`).

1. tokens/s of the script activity's generation vs raw mlx_lm.stream_generate on the same
   random llama, greedy, in the same run (alternating, median of rounds); target: within 5%.
2. embeddings/s of MiniLM on MLX (real weights) for a batch of sentences.
3. matmul and conv2d speed with the BLAS bundled in mlx vs Debian's OpenBLAS preloaded, each
   in a fresh process (LD_PRELOAD only works at exec).

Prints progress as it goes, then a table, and writes JSON. Runs under OpenBLAS when present,
as the gpu worker does. The bundled BLAS runs about 1 GFLOP/s on CPU (30x-90x slower), so
without OpenBLAS the benchmark measures smaller problems (`--size small`, chosen by `auto`)
and finishes in a minute or two instead of running for more than ten.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workers.blas import OPENBLAS, reexec_with_openblas

STARTED = time.perf_counter()
# Problem sizes: full under a fast BLAS, small under the bundled one.
SIZES = {
    "full": {"hidden": 768, "layers": 8, "vocab": 8000, "rounds": 5, "tokens": 200,
             "texts": 512},
    "small": {"hidden": 256, "layers": 4, "vocab": 4000, "rounds": 3, "tokens": 60,
              "texts": 32},
}


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {message}", flush=True)


def bench_llm(rounds: int, max_tokens: int, hidden: int, layers: int,
              vocab: int) -> dict[str, Any]:
    import mlx_lm
    from mlx_lm.sample_utils import make_sampler

    from activities.gpu.llm_script import load_llm, render_prompt, write_with_llm
    from tests.gpu.conftest import TOPIC, script_request
    from tests.gpu.tiny import build_llama

    folder = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    # full: ~60M parameters, big enough that a token costs real matmuls, small enough for
    # 2 cores; small: ~6M, for the bundled BLAS.
    build_llama(folder, hidden=hidden, layers=layers, vocab_size=vocab)
    progress(f"llm: random llama hidden {hidden}, {layers} layers built; warming up")
    req = script_request(folder, max_tokens=max_tokens, temperature=0.0)
    model, tokenizer = load_llm(folder.resolve())
    prompt = render_prompt(tokenizer, TOPIC, req.channel.niche)

    def raw() -> tuple[int, float, float]:
        last = None
        cpu0 = time.process_time()
        for last in mlx_lm.stream_generate(model, tokenizer, prompt, max_tokens=max_tokens,
                                           sampler=make_sampler(temp=0.0)):
            pass
        assert last is not None
        return last.generation_tokens, last.generation_tps, time.process_time() - cpu0

    def ours() -> tuple[int, float, float]:
        _, generation = write_with_llm(req)
        return generation.tokens, generation.tokens_per_s, generation.cpu_seconds

    raw()  # warm-up: first-call compilation and allocations
    ours()
    pairs: list[tuple[float, float]] = []  # (raw, ours) tokens/s, run back to back
    cpu: dict[str, list[float]] = {"raw": [], "ours": []}
    counts: set[int] = set()
    for i in range(rounds):
        # Alternate which goes first, so drift in the machine's load hits both alike.
        runs = {}
        for which in (("raw", "ours") if i % 2 == 0 else ("ours", "raw")):
            tokens, tps, cpu_s = raw() if which == "raw" else ours()
            counts.add(tokens)
            runs[which] = tps
            cpu[which].append(cpu_s / tokens)
        pairs.append((runs["raw"], runs["ours"]))
        progress(f"llm: round {i + 1}/{rounds}: raw {runs['raw']:.1f} tok/s, activity"
                 f" {runs['ours']:.1f} tok/s")
    assert len(counts) == 1, "greedy decoding must give the same tokens both ways"
    ratio = statistics.median(o / r for r, o in pairs)
    cpu_ratio = statistics.median(cpu["raw"]) / statistics.median(cpu["ours"])
    return {
        "model": f"random llama, hidden {hidden}, {layers} layers, vocab {vocab}",
        "tokens": counts.pop(),
        "rounds": rounds,
        "raw_mlx_lm_tokens_per_s": round(statistics.median(r for r, _ in pairs), 1),
        "activity_tokens_per_s": round(statistics.median(o for _, o in pairs), 1),
        "activity_vs_raw": round(ratio, 3),  # median of back-to-back pairs
        "activity_vs_raw_cpu": round(cpu_ratio, 3),  # CPU s/token, raw over ours
        "pairs_tokens_per_s": [[round(r, 1), round(o, 1)] for r, o in pairs],
        "within_5_percent": abs(ratio - 1) <= 0.05,
    }


def bench_embeddings(count: int) -> dict[str, Any]:
    from activities.gpu.embeddings import embed

    texts = [f"Fact number {i}: octopuses have three hearts and blue blood." for i in range(count)]
    embed(texts[:8])  # load and warm up
    progress(f"embeddings: MiniLM loaded; embedding {count} texts")
    started = time.perf_counter()
    vectors = embed(texts)
    seconds = time.perf_counter() - started
    return {"texts": count, "dims": int(vectors.shape[1]), "seconds": round(seconds, 3),
            "embeddings_per_s": round(count / seconds, 1)}


BLAS_PROBE = r"""
import json, time, mlx.core as mx
from activities.gpu.runtime import blas_in_use
def timed(fn, reps):
    mx.eval(fn())
    t = time.perf_counter()
    for _ in range(reps):
        mx.eval(fn())
    return (time.perf_counter() - t) / reps
# 512^2 and 64x64: a second or two each with the bundled BLAS, same sizes for both.
a = mx.random.normal((512, 512)); b = mx.random.normal((512, 512))
x = mx.random.normal((1, 64, 64, 64)); w = mx.random.normal((64, 3, 3, 64))
mm = timed(lambda: a @ b, 5)
conv = timed(lambda: mx.conv2d(x, w, padding=1), 5)
print(json.dumps({"blas": blas_in_use(),
                  "matmul_512_gflops": round(2 * 512**3 / mm / 1e9, 2),
                  "conv2d_64x64x64_3x3_gflops": round(2 * 64 * 64 * 64 * 9 * 64 / conv / 1e9, 2),
                  "matmul_ms": round(mm * 1e3, 2), "conv2d_ms": round(conv * 1e3, 2)}))
"""


def bench_blas() -> dict[str, Any]:
    base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MONOLATHE_BLAS",
                                                             "MONOLATHE_BLAS_PRELOADED")}
    runs: dict[str, Any] = {}
    modes = {"bundled": {"MONOLATHE_BLAS": "bundled"}}
    if OPENBLAS.is_file():
        modes["openblas"] = {"LD_PRELOAD": str(OPENBLAS)}
    for mode, extra in modes.items():
        progress(f"blas: matmul and conv2d with the {mode} BLAS")
        out = subprocess.run([sys.executable, "-c", BLAS_PROBE], env={**base, **extra},
                             capture_output=True, text=True, check=True, timeout=600).stdout
        runs[mode] = json.loads(out)
    if "openblas" in runs:
        for key in ("matmul_512_gflops", "conv2d_64x64x64_3x3_gflops"):
            runs[f"openblas_speedup_{key.split('_')[0]}"] = round(
                runs["openblas"][key] / runs["bundled"][key], 1)
    else:
        runs["openblas"] = f"{OPENBLAS} not installed"
    return runs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--json", type=Path, default=Path("var/bench-mlx.json"))
    p.add_argument("--size", choices=["auto", *SIZES], default="auto",
                   help="auto: full under OpenBLAS or Accelerate, small under the bundled BLAS")
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--tokens", type=int, default=None)
    p.add_argument("--texts", type=int, default=None)
    args = p.parse_args(argv)
    if argv is None:
        reexec_with_openblas()
    # The random model's answers always fall back to the template; that is not news here.
    logging.getLogger("monolathe.gpu.script").setLevel(logging.ERROR)
    import mlx.core as mx

    from activities.gpu.runtime import blas_in_use

    mx.eval(mx.ones((8, 8)) @ mx.ones((8, 8)))  # resolve the BLAS before asking which
    blas = blas_in_use()
    size = args.size if args.size != "auto" else "small" if "bundled" in blas else "full"
    sizes = {**SIZES[size], **{k: v for k, v in vars(args).items()
                              if k in ("rounds", "tokens", "texts") and v is not None}}
    progress(f"BLAS in this process: {blas}; {size} problem sizes {sizes}")
    results = {"blas": blas, "size": size,
               "llm": bench_llm(sizes["rounds"], sizes["tokens"], sizes["hidden"],
                                sizes["layers"], sizes["vocab"]),
               "embeddings": bench_embeddings(sizes["texts"]), "blas_compare": bench_blas()}
    llm, emb, blas = results["llm"], results["embeddings"], results["blas_compare"]
    print(f"BLAS in this process: {results['blas']}")
    print(f"script generation: activity {llm['activity_tokens_per_s']} tok/s vs raw mlx_lm "
          f"{llm['raw_mlx_lm_tokens_per_s']} tok/s -> ratio {llm['activity_vs_raw']} "
          f"(median of {llm['rounds']} back-to-back pairs of {llm['tokens']} tokens; within "
          f"5%: {llm['within_5_percent']}); CPU per token ratio {llm['activity_vs_raw_cpu']}")
    print(f"embeddings: {emb['embeddings_per_s']} texts/s ({emb['texts']} in {emb['seconds']} s)")
    for mode in ("bundled", "openblas"):
        if isinstance(blas.get(mode), dict):
            run = blas[mode]
            print(f"{mode:9s} matmul 512^2 {run['matmul_512_gflops']} GFLOP/s, conv2d "
                  f"{run['conv2d_64x64x64_3x3_gflops']} GFLOP/s  [{run['blas']}]")
    if "openblas_speedup_matmul" in blas:
        print(f"OpenBLAS speed-up: matmul x{blas['openblas_speedup_matmul']}, "
              f"conv2d x{blas['openblas_speedup_conv2d']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
