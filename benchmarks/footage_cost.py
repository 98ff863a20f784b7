"""Footage cost per reel by policy, and how long one routing decision takes.

    .venv/bin/python -m benchmarks.footage_cost [--out var/bench/footage_cost.json]

Prices every shipped channel policy (channels/*.yaml) and a few reference policies against
the price table below (the issue's seed figures: Runway gen4_turbo 5 credits/s, Veo fast
$0.15/s, a Replicate video model per clip, FLUX schnell stills, free stock), for a typical
reel (six 5 s scenes) and a long one (ten 6 s scenes). Prints the estimate of the policy's
first choices, the most a fall-through can spend (the reservation), the cost ratio to the
$0.10 a reel our users target, and the routing decision time (median and p99 over many
calls, on a 20-source catalog with open breakers, well under 100 ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from activities.config import load_channel, load_settings
from workflows.contracts import BreakerView, SourceInfo, VisualsPolicy
from workflows.routing import route

TARGET_USD = 0.10
PRICE_TABLE = [
    SourceInfo("runway", "video", 0.95, usd_per_second=0.05, durations=[5, 10],
               seconds_per_clip=60),
    SourceInfo("veo", "video", 0.92, usd_per_second=0.15, durations=[4, 6, 8],
               seconds_per_clip=90),
    SourceInfo("replicate", "video", 0.75, usd_per_clip=0.25, durations=[5],
               seconds_per_clip=120),
    SourceInfo("replicate-flux", "still", 0.6, usd_per_clip=0.003, seconds_per_clip=4),
    SourceInfo("pexels", "video", 0.65, seconds_per_clip=3),
    SourceInfo("pixabay", "video", 0.6, seconds_per_clip=3),
    SourceInfo("flux-mlx", "still", 0.6, seconds_per_clip=30, configured=False,
               reason="needs Apple silicon"),
]
REELS = {"typical": [5.0] * 6, "long": [6.0] * 10}
REFERENCE = {
    "stock+stills (cost)": VisualsPolicy(["pexels", "replicate-flux", "procedural"], 0.5,
                                         0.10, "cost"),
    "stills only": VisualsPolicy(["replicate-flux", "procedural"], 0.0, 0.10, "quality"),
    "runway first": VisualsPolicy(["runway", "veo", "pexels", "procedural"], 0.7, 10.0,
                                  "quality"),
    "veo first": VisualsPolicy(["veo", "runway", "pexels", "procedural"], 0.7, 10.0, "cost"),
    "offline": VisualsPolicy(["procedural"]),
}


def policies() -> dict[str, VisualsPolicy]:
    found = dict(REFERENCE)
    settings = load_settings()
    for path in sorted(settings.channels_dir.glob("*.yaml")):
        found[f"channels/{path.name}"] = load_channel(settings, path.stem).visuals
    return found


def decision_times(runs: int) -> dict[str, float]:
    catalog = PRICE_TABLE + [SourceInfo(f"extra{n}", "video", 0.5 + n / 40, usd_per_second=0.01)
                             for n in range(13)]
    policy = VisualsPolicy([s.name for s in catalog] + ["procedural"], 0.55, 5.0, "quality")
    breakers = [BreakerView(s.name, "open" if n % 4 == 0 else "closed", n % 4 != 0)
                for n, s in enumerate(catalog)]
    scenes = [4.5] * 12
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        route(policy, catalog, breakers, scenes, 2.0)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 4),
            "p99_ms": round(times[int(len(times) * 0.99) - 1], 4),
            "max_ms": round(times[-1], 4), "runs": runs, "sources": len(catalog),
            "scenes": len(scenes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/bench/footage_cost.json"))
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    rows = []
    print(f"{'policy':<28} {'reel':<8} {'first choice':<16} {'estimate':>9} {'reserve':>9}"
          f" {'x $0.10':>8}")
    for name, policy in policies().items():
        for reel, scenes in REELS.items():
            plan = route(policy, PRICE_TABLE, [], scenes, policy.max_usd_per_reel)
            first = plan.scenes[0].chain[0]
            ratio = plan.estimate_usd / TARGET_USD
            rows.append({"policy": name, "reel": reel, "scenes": len(scenes),
                         "first_choice": first, "chain": plan.scenes[0].chain,
                         "estimate_usd": plan.estimate_usd, "reserve_usd": plan.reserve_usd,
                         "ratio_to_target": round(ratio, 3),
                         "skipped": {s.source: s.reason for s in plan.skipped}})
            print(f"{name:<28} {reel:<8} {first:<16} ${plan.estimate_usd:>8.4f}"
                  f" ${plan.reserve_usd:>8.4f} {ratio:>8.2f}")
    timing = decision_times(args.runs)
    print(f"routing decision: median {timing['median_ms']} ms, p99 {timing['p99_ms']} ms,"
          f" max {timing['max_ms']} ms ({timing['sources']} sources, {timing['scenes']} scenes;"
          f" target < 100 ms: {100 / max(timing['p99_ms'], 1e-6):.0f}x under at p99)")
    stock = [r for r in rows if r["policy"] in ("channels/stock.yaml", "stock+stills (cost)")]
    worst = max(r["reserve_usd"] for r in stock)  # every scene falling through to stills
    print(f"stock + stills: at most ${worst:.4f} a reel"
          f" ({'under' if worst < TARGET_USD else 'OVER'} the ${TARGET_USD:.2f} target)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"target_usd": TARGET_USD, "policies": rows,
                                    "decision": timing}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
