"""What telemetry costs: per-activity instrument time and the time of one /metrics scrape.

    .venv/bin/python benchmarks/telemetry_overhead.py [--channels 5] [--reels 200]

Fills a scratch ledger with `channels` x `reels` reels of today (six cost rows each),
starts the telemetry of a worker running every queue (ledger gauges included), and
measures (1) what the interceptor records per activity run, (2) how long a scrape takes,
against (3) the shortest stage of a real reel (write_script, ~0.05 s) for scale.
Prints the figures and writes them as JSON to var/benchmarks/telemetry_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from activities.config import load_settings
from activities.ledger import Ledger
from workers.telemetry.setup import start_telemetry
from workflows.contracts import ReelRecord, StageCost

STAGES = [("script", "template"), ("voice", "piper"), ("visuals", "procedural"),
          ("compose", "ffmpeg"), ("quality", "ffmpeg"), ("publish", "local")]


def fill_ledger(url: str, channels: int, reels: int) -> None:
    ledger = Ledger(url)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    for c in range(channels):
        for n in range(1, reels + 1):
            costs = [StageCost(stage, backend, 1.0, 0.5, 0.0001) for stage, backend in STAGES]
            ledger.record_reel(ReelRecord(f"reel/ch{c}/{day}/{n}", f"ch{c}", "topic", "title",
                                          "published", "", {}, costs, []))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--reels", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "channels").mkdir()
        (root / "temporal.yaml").write_text(
            "metrics: {port: 0, sdk_port: 0}\nlogs: {json_file: ''}\n"
            "data: {ledger_url: 'sqlite:///var/ledger.db'}\n")
        settings = load_settings(root / "temporal.yaml")
        fill_ledger(settings.ledger_url, args.channels, args.reels)
        telemetry = start_telemetry(settings, ["reels", "media", "gpu", "publish"])
        m = telemetry.metrics_interceptor.instruments
        runs = 20_000
        labels = {"stage": "compose_reel", "backend": "ffmpeg", "queue": "media",
                  "channel": "ch0", "outcome": "ok"}
        started = time.perf_counter()
        for i in range(runs):
            # what the interceptor records around one activity run
            m.stage_active.add(1, {"stage": "compose_reel", "queue": "media"})
            m.stage_active.add(-1, {"stage": "compose_reel", "queue": "media"})
            m.stage_duration.record(1.0 + i % 7, labels)
        per_run_us = (time.perf_counter() - started) / runs * 1e6
        scrapes = []
        for _ in range(20):
            t0 = time.perf_counter()
            with urllib.request.urlopen(telemetry.metrics_url, timeout=10) as resp:
                body = resp.read()
            scrapes.append(time.perf_counter() - t0)
            time.sleep(2.1)  # past the figures cache, so every scrape reads the ledger
        telemetry.shutdown()
    figures = {
        "channels": args.channels,
        "reels_in_ledger": args.channels * args.reels,
        "instrument_us_per_activity": round(per_run_us, 2),
        "ratio_to_shortest_stage": round(per_run_us / 1e6 / 0.05, 6),
        "scrape_ms_median": round(statistics.median(scrapes) * 1000, 1),
        "scrape_ms_max": round(max(scrapes) * 1000, 1),
        "scrape_bytes": len(body),
    }
    for key, value in figures.items():
        print(f"{key:30} {value}")
    out = Path("var/benchmarks/telemetry_overhead.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
