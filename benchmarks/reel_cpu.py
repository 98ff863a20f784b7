"""CPU seconds of one demo reel, stage by stage, from the real activities in this process.

The media stages bill their ffmpeg children exactly (wait4), so these figures hold on a
loaded machine where wall times do not: the stages of one reel, beside the whole process
trees that benchmarks/throughput.py counts.

    python -m benchmarks.reel_cpu [--topics 3] [--floor] [--out var/bench/reel_cpu.json]

`--floor` also renders each reel's frames raw and has x264 alone encode them (default
threads, as the throughput benchmark's floor): the compose graph's own cost is the compose
stage less that floor. A quick way, two minutes for three reels, to see whether a change to
the drawing moves x264's work as well as the graph's; one encode moves by a few percent
from run to run, so compare a few reels, not one.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from activities.artifacts import ArtifactStore
from activities.compose import ComposeActivities
from activities.config import load_channel, load_settings
from activities.gpu.icon_match import IconMatchActivities
from activities.illustrated import ILLUSTRATED
from activities.quality import QualityActivities
from activities.script import template_script
from activities.topics import read_feed_file
from activities.visuals import VisualsActivities
from activities.voice import VoiceActivities
from benchmarks.throughput import encode_alone
from workers.blas import reexec_with_openblas
from workflows.contracts import (
    ComposeRequest,
    IconMatchRequest,
    QualityRequest,
    StageCost,
    VisualsRequest,
    VoiceRequest,
)

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("voice", "icons", "visuals", "compose", "quality")


@dataclass
class ReelCpu:
    topic: str
    duration_s: float
    cpu_s: dict[str, float]  # stage -> CPU seconds (the stage's own process time + children)
    passed: bool
    floor_cpu_s: float | None = None  # x264 alone on the frames compose handed it


def one_reel(store: ArtifactStore, n: int, topic_index: int, floor: bool = False) -> ReelCpu:
    channel = load_channel(load_settings(ROOT / "temporal.yaml"), "demo")
    topics = read_feed_file(ROOT / "channels" / "feeds" / "science.yaml")
    topic = topics[topic_index % len(topics)]
    reel_id = f"reel/bench/2026-01-01/{n}"
    script = template_script(topic, channel.niche, channel.hashtags)
    costs: list[StageCost] = []
    voice = VoiceActivities(store, 0.0).synthesize_voice(VoiceRequest(reel_id, channel.voice,
                                                                      script))
    costs.append(voice.cost)
    illustrations = []
    if ILLUSTRATED in channel.visuals.sources:  # the demo channel's first source
        found = IconMatchActivities(store.root, 0.0).match_icons(IconMatchRequest(
            [s.text for s in script.scenes], [list(s.keywords) for s in script.scenes]))
        assert found.cost is not None
        costs.append(replace(found.cost, stage="icons"))
        illustrations = found.scenes
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(reel_id, channel.look, script, voice.scenes, channel.media_dir,
                       illustrations=illustrations))
    costs.append(visuals.cost)
    compose = ComposeRequest(reel_id, channel.look, voice, visuals)
    composed = ComposeActivities(store, 0.0).compose_reel(compose)
    costs.append(composed.cost)
    floor_s = None
    if floor:
        raw, _, x264 = encode_alone(compose, store, store.root)
        raw.unlink()
        floor_s = round(x264, 2)
    report = QualityActivities(store, 0.0).check_quality(
        QualityRequest(reel_id, composed.video_uri, channel.look, voice.duration_s,
                       composed.captions_uri, composed.analysis_uri))
    assert report.cost is not None
    costs.append(report.cost)
    return ReelCpu(topic.title, composed.duration_s,
                   {c.stage: round(c.cpu_seconds, 2) for c in costs}, report.passed, floor_s)


def measure(topics: int, floor: bool = False) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="reel-cpu-") as tmp:
        store = ArtifactStore(Path(tmp))
        # Not counted: the first reel of a process loads the voice and MiniLM and writes the
        # music pad, which a long-lived worker does once (0.8 CPU s more in voice and icons).
        one_reel(store, topics, topics)
        reels = [one_reel(store, n, n, floor) for n in range(topics)]
    mean = {s: round(sum(r.cpu_s.get(s, 0.0) for r in reels) / len(reels), 2) for s in STAGES}
    floors: dict[str, object] = {}
    if floor:
        x264 = sum(r.floor_cpu_s or 0.0 for r in reels) / len(reels)
        floors = {"mean_floor_cpu_s": round(x264, 2),
                  "mean_compose_graph_cpu_s": round(mean["compose"] - x264, 2)}  # fmt: skip
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "reels": [asdict(r) for r in reels],
        "mean_cpu_s": mean,
        "mean_total_cpu_s": round(sum(mean.values()), 2),
        "mean_duration_s": round(sum(r.duration_s for r in reels) / len(reels), 2),
        **floors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=3)
    parser.add_argument("--floor", action="store_true",
                        help="also encode each reel's frames with x264 alone")
    parser.add_argument("--out", type=Path, default=Path("var/bench/reel_cpu.json"))
    args = parser.parse_args()
    # The icon matching's MiniLM on the gpu worker's BLAS: on the mlx wheel's own it cost
    # ten times the CPU (3.5 against 0.33 s a reel).
    reexec_with_openblas()
    result = measure(args.topics, args.floor)
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
