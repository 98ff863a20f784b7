"""MLX figures for the gpu worker: `make bench-mlx` (or `python -m benchmarks.mlx`).

1. tokens/s of the script activity's generation vs raw mlx_lm.stream_generate on the same
   random llama, greedy, in the same run (alternating, median of rounds); target: within 5%.
2. embeddings/s of MiniLM on MLX (real weights) for a batch of sentences.
3. matmul and conv2d speed with the BLAS bundled in mlx vs Debian's OpenBLAS preloaded, each
   in a fresh process (LD_PRELOAD only works at exec).

Prints a table and writes JSON. Runs under OpenBLAS when present, as the gpu worker does.
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


def bench_llm(rounds: int, max_tokens: int) -> dict[str, Any]:
    import mlx_lm
    from mlx_lm.sample_utils import make_sampler

    from activities.gpu.llm_script import load_llm, render_prompt, write_with_llm
    from tests.gpu.conftest import TOPIC, script_request
    from tests.gpu.tiny import build_llama

    folder = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    # ~60M parameters: big enough that a token costs real matmuls, small enough for 2 cores.
    build_llama(folder, hidden=768, layers=8, vocab_size=8000)
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
    assert len(counts) == 1, "greedy decoding must give the same tokens both ways"
    ratio = statistics.median(o / r for r, o in pairs)
    cpu_ratio = statistics.median(cpu["raw"]) / statistics.median(cpu["ours"])
    return {
        "model": "random llama, hidden 768, 8 layers, vocab 8000",
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
    embed(texts[:32])  # load and warm up
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
a = mx.random.normal((1024, 1024)); b = mx.random.normal((1024, 1024))
x = mx.random.normal((1, 128, 128, 64)); w = mx.random.normal((64, 3, 3, 64))
mm = timed(lambda: a @ b, 5)
conv = timed(lambda: mx.conv2d(x, w, padding=1), 5)
print(json.dumps({"blas": blas_in_use(),
                  "matmul_1024_gflops": round(2 * 1024**3 / mm / 1e9, 2),
                  "conv2d_128x128x64_3x3_gflops": round(2 * 128 * 128 * 64 * 9 * 64 / conv / 1e9, 2),
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
        out = subprocess.run([sys.executable, "-c", BLAS_PROBE], env={**base, **extra},
                             capture_output=True, text=True, check=True, timeout=600).stdout
        runs[mode] = json.loads(out)
    if "openblas" in runs:
        for key in ("matmul_1024_gflops", "conv2d_128x128x64_3x3_gflops"):
            runs[f"openblas_speedup_{key.split('_')[0]}"] = round(
                runs["openblas"][key] / runs["bundled"][key], 1)
    else:
        runs["openblas"] = f"{OPENBLAS} not installed"
    return runs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--json", type=Path, default=Path("var/bench-mlx.json"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tokens", type=int, default=200)
    p.add_argument("--texts", type=int, default=512)
    args = p.parse_args(argv)
    if argv is None:
        reexec_with_openblas()
    # The random model's answers always fall back to the template; that is not news here.
    logging.getLogger("monolathe.gpu.script").setLevel(logging.ERROR)
    from activities.gpu.runtime import blas_in_use

    results = {"blas": blas_in_use(), "llm": bench_llm(args.rounds, args.tokens),
               "embeddings": bench_embeddings(args.texts), "blas_compare": bench_blas()}
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
            print(f"{mode:9s} matmul 1024^2 {run['matmul_1024_gflops']} GFLOP/s, conv2d "
                  f"{run['conv2d_128x128x64_3x3_gflops']} GFLOP/s  [{run['blas']}]")
    if "openblas_speedup_matmul" in blas:
        print(f"OpenBLAS speed-up: matmul x{blas['openblas_speedup_matmul']}, "
              f"conv2d x{blas['openblas_speedup_conv2d']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
