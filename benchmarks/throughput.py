"""Throughput benchmark: five demo channels on a dev server, against the x264 floor's rate.

As an operator runs them: an embedded Temporal dev server (own ports and files under the
work folder), one `monolathe worker <queue>` process per queue, five copies of the demo
channel with the real offline stages (template script, Piper, icon matching, illustrated
visuals or, with `--sources procedural`, procedural ones, compose, quality, local
publishing). After a warm-up (a reel per channel), it counts the reels
published in a window of about `--minutes` that opens and closes on a publication, and the
CPU the whole process tree spent in it (server, workers and their ffmpeg children, from
/proc). Then the floor: six published reels spread through the window are rendered again
from their own compose requests (read from their histories) with the picture written raw,
so x264 gets exactly the frames it got in the pipeline; each is encoded by x264 at the
channel's settings once alone (its CPU) and then once per core side by side (the rate x264
alone reaches with the machine full, as the pipeline runs it), with x264's default threads
(the target's floor) and again with one thread each (the composes' own setting side by
side, a few percent faster; reported beside it). The six reels' floor is scaled to the
window's by the CPU of every reel's last render against theirs.

Printed and written as JSON: reels per hour (wall: only meaningful on a quiet machine), CPU
seconds per reel (all processes, and by stage from the reels' own cost lines, exact through
wait4), the floor's rate side by side and the ratio of the two measured rates (the target,
>= 0.85), the same comparison in CPU seconds (cores x 3600 / CPU per reel against the
floor's CPU alone, which counts the cores' slowdown when both are busy against the
pipeline only), the load average beside each, and what the sampled renders held beyond x264
alone on their frames (about 0.8 s; much less or more says the floor ran slower or faster
than the window).

    python -m benchmarks.throughput [--minutes 3] [--channels 5] [--sources procedural]
        [--out var/bench/throughput.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import yaml
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.artifacts import ArtifactStore
from activities.compose import ComposeActivities, encode_frames_args
from activities.config import Settings, load_channel, load_settings
from activities.ffmpeg_run import run_ffmpeg
from benchmarks.compose import _tree
from workers.devserver import DevServer
from workflows.contracts import ChannelInput, ComposeRequest

ROOT = Path(__file__).resolve().parents[1]
TARGET_OF_FLOOR = 0.85
FLOOR_REELS = 6  # published reels whose frames the floor encodes, spread through the window
QUEUE_NAMES = ("reels", "media", "gpu", "publish")
CLK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_setup(work: Path, channels: int, sources: list[str] | None = None) -> Path:
    """temporal.yaml with its own ports and folders, and `channels` copies of the demo (its
    visual sources replaced by `sources` when given)."""
    config = yaml.safe_load((ROOT / "temporal.yaml").read_text())
    config["server"].update(address=f"127.0.0.1:{_free_port()}", ui_port=_free_port(),
                            db_file=str(work / "var" / "temporal.db"))  # fmt: skip
    config["data"].update(var_dir=str(work / "var"), artifacts_dir=str(work / "var" / "artifacts"),
                          ledger_url=f"sqlite:///{work / 'var' / 'ledger.db'}",
                          out_dir=str(work / "out"), channels_dir=str(work / "channels"))  # fmt: skip
    config["metrics"].update(port=0, sdk_port=0)
    config["logs"]["json_file"] = ""
    (work / "channels").mkdir(parents=True, exist_ok=True)
    demo = yaml.safe_load((ROOT / "channels" / "demo.yaml").read_text())
    for k in range(channels):
        channel = dict(demo, name=f"bench{k}")
        channel["trends"] = dict(demo["trends"], feed=str(ROOT / "channels" / "feeds" /
                                                          "science.yaml"))  # fmt: skip
        if sources:
            channel["visuals"] = dict(demo["visuals"], sources=sources)
        (work / "channels" / f"bench{k}.yaml").write_text(yaml.safe_dump(channel))
    path = work / "temporal.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _ticks(pid: int, last: int) -> int:
    """utime, stime[, cutime, cstime] of /proc/<pid>/stat: fields 14 to `last`; 0 once the
    process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11 : last - 2])


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds of these processes, their threads and their reaped children."""
    return sum(_ticks(pid, 17) for pid in pids) / CLK


def _tree_cpu(roots: list[int]) -> float:
    return _cpu_of(sorted({p for root in roots for p in _tree(root)}))


def _own_cpu(pid: int) -> float:
    """CPU seconds of this process and its threads alone, not its children."""
    return _ticks(pid, 15) / CLK


def _sidecar_count(out: Path) -> int:
    """Reels published so far: the local publisher writes a reel's sidecar last, atomically."""
    return sum(1 for _ in out.glob("*/*.json"))


@dataclass
class Floor:
    cpu_s: float  # x264 alone on one reel's frames
    side_by_side_wall_s: float  # `copies` such encodes at once, one per core: the machine full
    copies: int
    # The same with one x264 thread each, as the pipeline's composes run side by side: x264
    # spends a few percent less CPU without frame threads, so this floor is the faster one.
    one_thread_wall_s: float


def floor_of(req: ComposeRequest, store: ArtifactStore, work: Path) -> Floor:
    """x264 alone (default threads) on the frames one reel's compose handed x264, rendered
    again from the reel's own request to a raw file beforehand: once alone for its CPU, then
    once per core side by side for the rate the machine itself reaches, with x264's threads
    and with one each."""
    raw, args, alone = encode_alone(req, store, work)
    copies = len(os.sched_getaffinity(0))

    def side_by_side(threads: list[str]) -> float:
        started = time.monotonic()
        with ThreadPoolExecutor(copies) as pool:
            list(pool.map(lambda k: run_ffmpeg([*args, *threads, str(work / f"floor-{k}.mp4")],
                                               what="encoder floor"), range(copies)))  # fmt: skip
        return time.monotonic() - started

    wall, one_thread = side_by_side([]), side_by_side(["-threads", "1"])
    raw.unlink()
    return Floor(alone, wall, copies, one_thread)


def encode_alone(req: ComposeRequest, store: ArtifactStore, work: Path
                 ) -> tuple[Path, list[str], float]:
    """The frames one reel's compose handed x264, rendered again from its request to a raw
    file in `work`, and x264 alone (default threads) on them: the raw file (left for more
    encodes), the encode's arguments and its CPU seconds."""
    raw = work / "floor.nut"
    ComposeActivities(store, 0.0).write_frames(req, raw)
    args = encode_frames_args(req, raw)
    return raw, args, run_ffmpeg([*args, str(work / "floor.mp4")], what="encoder floor").cpu_seconds


def _sidecars(out: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(out.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "costs" in data:
            data["_path"] = str(path)
            data["_mtime"] = path.stat().st_mtime
            found.append(data)
    return found


class Stack:
    """The dev server and one worker process per queue, started and stopped in order."""

    def __init__(self, work: Path, channels: int, sources: list[str] | None = None) -> None:
        self.work = work
        self.config = write_setup(work, channels, sources)
        self.settings = load_settings(self.config)
        self.server = DevServer(self.settings)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.log_path = work / "workers.log"

    def __enter__(self) -> Self:
        self.server.start()
        exe = str(Path(sys.executable).parent / "monolathe")
        with open(self.log_path, "wb") as log:  # each child keeps its own copy of the fd
            for queue in QUEUE_NAMES:
                self.workers.append(subprocess.Popen(
                    [exe, "--config", str(self.config), "worker", queue],
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        self.server.stop()

    def own_cpu(self) -> dict[str, float]:
        """Each process's own CPU (the server; a worker's Python, not its ffmpeg children)."""
        named = {f"worker {q}": w.pid for q, w in zip(QUEUE_NAMES, self.workers, strict=True)}
        if self.server.process:
            named["server"] = self.server.process.pid
        return {name: _own_cpu(pid) for name, pid in named.items()}

    def roots(self) -> list[int]:
        server = [self.server.process.pid] if self.server.process else []
        return [w.pid for w in self.workers] + server


async def compose_requests(settings: Settings, reel_ids: list[str]) -> dict[str, ComposeRequest]:
    """Each reel's last compose request, from its history (a remedied reel composes again)."""
    client = await Client.connect(settings.address, namespace=settings.namespace)
    found = {}
    for reel_id in reel_ids:
        payloads = None
        async for event in client.get_workflow_handle(reel_id).fetch_history_events():
            attrs = event.activity_task_scheduled_event_attributes
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and \
                    attrs.activity_type.name == "compose_reel":
                payloads = attrs.input.payloads
        if payloads:
            [found[reel_id]] = await client.data_converter.decode(payloads, [ComposeRequest])
    return found


async def measure(stack: Stack, names: list[str], minutes: float) -> dict[str, Any]:
    """Reels published and CPU spent by the whole tree in a window after the warm-up.

    Both ends of the window are publications: it opens as the warm-up's last reel is
    published and closes as the first reel after `minutes` is. A window closing at a fixed
    time would end with the two media slots' renders half done on average: CPU spent (about
    20 s) for no reel counted, which put a few percent on the CPU per reel and took as much
    off the rate."""
    settings = stack.settings
    client = await Client.connect(settings.address, namespace=settings.namespace)
    for name in names:
        await client.start_workflow("ChannelWorkflow", ChannelInput(channel=name, slot_seconds=1),
                                    id=f"channel/{name}", task_queue=settings.queues.reels)
    # One reel per channel first: every stage has run (the voice loaded, the pad drawn).
    warmup = len(names)
    print(f"{len(names)} channels started; warming up until {warmup} reels are published ...",
          flush=True)  # fmt: skip
    start = await _at_publication(stack, warmup)
    print(f"window of {minutes:g} min from {start['count']} published reels "
          f"(load {start['load'][0]:.1f}) ...", flush=True)
    await asyncio.sleep(minutes * 60)
    end = await _at_publication(stack, _sidecar_count(stack.work / "out") + 1)
    for name in names:
        await client.get_workflow_handle(f"channel/{name}").terminate("benchmark over")
    return {"start": start, "end": end}


async def _at_publication(stack: Stack, count: int) -> dict[str, Any]:
    """The tree's CPU and the time as the `count`-th reel is published (polled every 0.2 s,
    from the files alone: a query would cost the server and the reels worker CPU)."""
    out = stack.work / "out"
    while (published := _sidecar_count(out)) < count:
        if any(w.poll() is not None for w in stack.workers):
            raise RuntimeError(f"a worker exited; see {stack.log_path}")
        await asyncio.sleep(0.2)
    return {"count": published, "cpu": _tree_cpu(stack.roots()), "own": stack.own_cpu(),
            "wall": time.time(), "load": os.getloadavg()}  # fmt: skip


def in_window(sidecars: list[dict[str, Any]], window: dict[str, Any]) -> list[dict[str, Any]]:
    """The sidecars of the reels published in the window, oldest first."""
    start, end = window["start"], window["end"]
    return sorted((s for s in sidecars if start["wall"] <= s["_mtime"] <= end["wall"]),
                  key=lambda s: s["_mtime"])  # fmt: skip


def _composes(sidecar: dict[str, Any]) -> list[float]:
    """CPU seconds of each compose of a reel, in order."""
    return [c["cpu_seconds"] for c in sidecar["costs"] if c["stage"] == "compose"]


def _render_cpu(sidecar: dict[str, Any]) -> float:
    """The CPU of the render the published reel is, its last compose: the one the floor
    encodes again (compose_requests). A reel remade after a failed quality check composed
    twice, and its first render is the pipeline's work, not the floor's: scaling by both
    once took a sampled reel at 47 CPU s against its 23 s floor and the run's floor 17% down."""
    composes = _composes(sidecar)
    return composes[-1] if composes else 0.0


def floor_reels(sidecars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    step = max(1, len(sidecars) // FLOOR_REELS)
    return sidecars[::step][:FLOOR_REELS]


def report(work: Path, every: list[dict[str, Any]], window: dict[str, Any],
           requests: dict[str, ComposeRequest], store: ArtifactStore) -> dict[str, Any]:
    """`every`: the sidecars of every reel published, in the window or not."""
    start, end = window["start"], window["end"]
    reels = end["count"] - start["count"]
    seconds = end["wall"] - start["wall"]
    sidecars = in_window(every, window)
    by_stage: dict[str, float] = {}
    for sidecar in sidecars:
        for cost in sidecar["costs"]:
            by_stage[cost["stage"]] = by_stage.get(cost["stage"], 0.0) + cost["cpu_seconds"]
    per_stage = {k: round(v / max(1, len(sidecars)), 2) for k, v in sorted(by_stage.items())}
    all_passed = all((s.get("quality") or {}).get("passed") for s in every)
    durations = [float((s.get("quality") or {}).get("duration_s", 0)) for s in sidecars]
    # Reels differ (a topic's length, a style that is costlier to encode: one reel's floor is
    # 10% off the next one's), and six reels spread through the window are encoded again:
    # their floor is scaled by the compose CPU of every reel in the window against theirs.
    # A reel's compose is its x264 encode and 10% around it, measured exactly (wait4) as it
    # ran, so the scale carries each reel's length and style: scaled by length alone, which
    # six reels were sampled moved the floor by several percent from one run to the next.
    floors, sampled = [], floor_reels(sidecars)
    for sidecar in sampled:
        floors.append(floor_of(requests[sidecar["reel_id"]], store, work))
    sampled_render = sum(map(_render_cpu, sampled)) / len(sampled)
    alone = sum(f.cpu_s for f in floors) / len(floors)
    scale = (sum(map(_render_cpu, sidecars)) / len(sidecars)) / sampled_render
    floor_per_reel = alone * scale
    cores = len(os.sched_getaffinity(0))
    cpu_per_reel = (end["cpu"] - start["cpu"]) / reels if reels else float("inf")
    rate, floor_rate = cores * 3600 / cpu_per_reel, cores * 3600 / floor_per_reel
    wall_rate = reels * 3600 / seconds
    floor_wall = sum(f.side_by_side_wall_s for f in floors) / len(floors) * scale
    floor_wall_rate = floors[0].copies * 3600 / floor_wall
    one_thread_wall = sum(f.one_thread_wall_s for f in floors) / len(floors) * scale
    one_thread_rate = floors[0].copies * 3600 / one_thread_wall
    return {
        "machine": {"cpus": cores, "platform": platform.platform()},
        "window_s": round(seconds, 1),
        "load_average": {"start": [round(x, 2) for x in start["load"]],
                         "end": [round(x, 2) for x in end["load"]]},
        "reels_published_in_window": reels,
        "reels_per_hour_wall": round(wall_rate, 1),
        "mean_reel_s": round(sum(durations) / max(1, len(durations)), 2),
        "cpu_s_per_reel_all_processes": round(cpu_per_reel, 2),
        "cpu_s_per_reel_by_stage": per_stage,
        "cpu_s_per_reel_stages_total": round(sum(per_stage.values()), 2),
        # The processes' own CPU (voice runs inside the gpu worker; ffmpeg is a child, not
        # counted here): what the server and the Python around the stages cost.
        "cpu_s_per_reel_by_process": {
            name: round((end["own"][name] - start["own"].get(name, 0.0)) / max(1, reels), 2)
            for name in sorted(end["own"])},
        "x264_floor_cpu_s_per_reel": round(floor_per_reel, 2),
        "reels_per_hour_at_cpu_per_reel": round(rate, 1),
        "reels_per_hour_at_floor": round(floor_rate, 1),
        "ratio_to_floor_cpu": round(rate / floor_rate, 3),
        # The floor's own rate on this machine: one x264 encode per core side by side, as the
        # pipeline runs with its cores full; the target compares the two measured rates.
        "floor_reels_per_hour_side_by_side_wall": round(floor_wall_rate, 1),
        "ratio_to_floor_wall": round(wall_rate / floor_wall_rate, 3),
        "floor_one_thread_reels_per_hour_side_by_side_wall": round(one_thread_rate, 1),
        "ratio_to_floor_one_thread_wall": round(wall_rate / one_thread_rate, 3),
        "floor_scale": round(scale, 3),
        # What the sampled renders held beyond x264 alone on their frames: about 0.8 s when
        # the floor ran at the window's speed (docs/throughput.md), less when it ran slow.
        "sampled_render_beyond_floor_cpu_s": round(sampled_render - alone, 2),
        "reels_composed_again": sum(len(_composes(s)) > 1 for s in sidecars),
        "floor_reels": [
            {"reel_id": s["reel_id"], "render_cpu_s": round(_render_cpu(s), 2),
             "x264_alone_cpu_s": round(f.cpu_s, 2),
             "side_by_side_wall_s": round(f.side_by_side_wall_s, 2),
             "one_thread_side_by_side_wall_s": round(f.one_thread_wall_s, 2)}
            for s, f in zip(sampled, floors, strict=True)],
        "target_ratio": TARGET_OF_FLOOR,
        "every_reel_passed_quality": all_passed,
        "met": wall_rate / floor_wall_rate >= TARGET_OF_FLOOR and all_passed and reels > 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--sources", default="",
                        help="the demo channels' visual sources, comma-separated "
                             "(default: the demo's own; procedural: the reel without icons)")
    parser.add_argument("--out", type=Path, default=Path("var/bench/throughput.json"))
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    names = [f"bench{k}" for k in range(args.channels)]
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    try:
        with Stack(work, args.channels, sources) as stack:
            window = asyncio.run(measure(stack, names, args.minutes))
            every = _sidecars(work / "out")
            chosen = [s["reel_id"] for s in floor_reels(in_window(every, window))]
            if not chosen:
                raise SystemExit(f"no reel was published in the {args.minutes:g} min window; "
                                 f"give it more --minutes (workers' log: {stack.log_path})")
            requests = asyncio.run(compose_requests(stack.settings, chosen))
        store = ArtifactStore(stack.settings.artifacts_dir)
        # What the channels ran, as the workers read it: the demo's own unless --sources.
        ran = list(load_channel(stack.settings, names[0]).visuals.sources)
        result = {"channels": args.channels, "visual_sources": ran,
                  **report(work, every, window, requests, store)}
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"target (>= {TARGET_OF_FLOOR:.0%} of the floor's rate) met: {result['met']}; "
          f"written to {args.out}")


if __name__ == "__main__":
    main()
