"""Compose benchmark: our one-pass render against the x264 encoder floor, in one run.

Inputs are generated on the fly and deterministic: five 8 s 1920x1080 clips from lavfi
sources (a channel's own footage), a 30 s voice with word timings and a 45 s music file. The
clips are first ingested as a reel would ingest them (one mezzanine each at the reel's size,
made once per file: its CPU is printed apart). For each preset the real compose activity then
renders a 30 s 1080x1920 reel (captions, ducked music, measured loudness); the same render
then writes the frames it hands x264 to a raw file, and x264 alone encodes that file with the
same preset and options and its default threads: that encode is the floor no composer can
beat. (Frames decoded from the finished reel would not do: x264 has smoothed them, and they
cost it 2-8% less to encode again.) Printed and written
as JSON: wall and CPU seconds, peak memory of the whole process tree, and compose/floor. One
more veryfast compose reads the 1080p clips themselves, as it does downloaded footage (not a
target; shows what the mezzanine saves).

    python -m benchmarks.compose [--presets veryfast medium] [--out var/bench/compose.json]

Targets: compose/floor <= 1.3 at veryfast and medium; peak tree memory <= 600 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Self

from activities.artifacts import ArtifactStore, to_uri
from activities.compose import ComposeActivities, encode_frames_args
from activities.ffmpeg_run import ffmpeg_exe, run_ffmpeg
from activities.mezzanine import ensure as ensure_mezzanine
from workflows.contracts import (
    ComposeRequest,
    LookConfig,
    SceneClip,
    SceneSpan,
    StageCost,
    Visuals,
    VoiceTrack,
)

VOICE_S = 30.0
CLIP_S = 8.0
SOURCES = (  # five kinds of motion and detail, all deterministic, at camera-like bitrates
    "testsrc2=s=1920x1080:r=30",
    "life=s=480x270:r=30:seed=7:mold=10:ratio=0.3,scale=1920:1080:flags=neighbor",
    "cellauto=s=480x270:r=30:rule=110:seed=3:random_fill_ratio=0.4,scale=1920:1080:flags=neighbor",
    "gradients=s=1920x1080:r=30:speed=0.05:seed=11:type=spiral",
    "smptehdbars=s=1920x1080:r=30,noise=alls=6:allf=t",
)
TARGET_RATIO = 1.3
TARGET_PEAK_MB = 600
WORDS = [
    "octopuses",
    "have",
    "three",
    "hearts",
    "and",
    "blue",
    "blood",
    "two",
    "hearts",
    "pump",
    "blood",
    "to",
    "the",
    "gills",
    "while",
    "the",
    "third",
    "sends",
    "it",
    "around",
    "the",
    "body",
    "they",
    "can",
    "taste",
    "with",
    "their",
    "arms",
    "and",
    "some",
    "carry",
    "coconut",
    "shells",
    "as",
    "portable",
    "armour",
    "scientists",
    "think",
    "they",
    "may",
    "even",
    "dream",
]


@dataclass
class Measure:
    wall_s: float
    cpu_s: float
    peak_tree_mb: float


@dataclass
class PresetResult:
    preset: str
    clips: str  # "mezzanine" (own footage, ingested) or "source" (the 1080p files as they are)
    compose: Measure
    floor: Measure
    ratio: float  # wall over wall: the target, and only meaningful on a quiet machine
    cpu_ratio: float  # CPU over CPU (exact through wait4): holds on a loaded machine
    frames: int
    load_average: list[float]  # 1, 5, 15 minutes, when the preset finished
    # Every run of this preset (wall ratio, CPU ratio, peak MB): the figures above are the run
    # with the median wall ratio. On this VM one encode's CPU moves by up to 8% between runs.
    runs: list[tuple[float, float, float]] = field(default_factory=list)


def _ffmpeg(*args: str) -> None:
    run_ffmpeg(list(args), what="benchmark input")


def make_inputs(folder: Path) -> tuple[list[Path], Path, Path, list[SceneSpan]]:
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for k, source in enumerate(SOURCES):
        clip = folder / f"clip-{k}.mp4"
        if not clip.exists():
            _ffmpeg("-f", "lavfi", "-i", source, "-t", str(CLIP_S), "-c:v", "libx264",
                    "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p", str(clip))  # fmt: skip
        clips.append(clip)
    voice = folder / "voice.wav"
    expr = "0.3*sin(2*PI*(170+40*sin(2*PI*3*t))*t)*(0.55+0.45*sin(2*PI*4*t))"
    _ffmpeg("-f", "lavfi", "-i", f"aevalsrc=exprs='{expr}':s=22050:d={VOICE_S}", str(voice))
    music = folder / "music.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=45,aecho=0.8:0.7:60:0.4", "-c:a", "aac",
            str(music))  # fmt: skip
    spans = [SceneSpan(k * VOICE_S / 5, (k + 1) * VOICE_S / 5) for k in range(5)]
    step = VOICE_S / len(WORDS)
    alignment = [
        {"text": w, "start": round(i * step, 3), "end": round(i * step + 0.8 * step, 3),
         "scene": min(4, int(i * step / (VOICE_S / 5)))}
        for i, w in enumerate(WORDS)
    ]  # fmt: skip
    (folder / "alignment.json").write_text(json.dumps(alignment))
    return clips, voice, music, spans


class TreeMemory:
    """Peak resident memory of this process and all its descendants, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        root = os.getpid()
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, sum(_rss_pages(p) for p in _tree(root)) * page)


@cache
def _children_listed() -> bool:
    if not Path(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children").exists():
        raise SystemExit("this kernel lists no /proc/<pid>/task/<tid>/children "
                         "(CONFIG_PROC_CHILDREN): the benchmark cannot see its children")
    return True


def _tree(root: int) -> list[int]:
    """`root` and its descendants, read from each thread's `children` list: scanning all of
    /proc instead cost the sampler 0.05 CPU s per second, taken from the work it measures."""
    _children_listed()  # once per process, not on every sample
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            tasks = list(os.scandir(f"/proc/{pid}/task"))
        except OSError:
            continue  # it has exited
        for task in tasks:
            try:
                todo.extend(int(c) for c in Path(task.path, "children").read_text().split())
            except OSError:
                continue
    return found


def _rss_pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _cpu() -> float:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(work: object) -> Measure:
    assert callable(work)
    cpu, wall = _cpu(), time.monotonic()
    with TreeMemory() as memory:
        work()
    return Measure(round(time.monotonic() - wall, 2), round(_cpu() - cpu, 2),
                   round(memory.peak / 2**20, 1))  # fmt: skip


def ingest(work: Path, clips: list[Path]) -> tuple[list[Path], float]:
    """Each clip's mezzanine, as the visuals stage makes it for own footage; and the CPU
    seconds that cost (paid once per library file, not per reel)."""
    look = LookConfig()
    store = ArtifactStore(work / "artifacts")
    made = [ensure_mezzanine(store, c, look.width, look.height, look.fps) for c in clips]
    return [m.path for m in made], round(sum(m.cpu_seconds for m in made), 2)


def run_preset(
    preset: str, work: Path, inputs: tuple[list[Path], Path, Path, list[SceneSpan]],
    kind: str = "mezzanine",
) -> PresetResult:  # fmt: skip
    clips, voice, music, spans = inputs
    look = LookConfig(x264_preset=preset, music_file=str(music), encoder="libx264")
    store = ArtifactStore(work / "artifacts")
    reel_id = f"reel/bench/2026-01-01/{preset}-{kind}"
    no_cost = StageCost("bench", "bench", 0.0, 0.0, 0.0)
    voice_track = VoiceTrack(to_uri(voice), to_uri(work / "inputs" / "alignment.json"), VOICE_S,
                             spans, no_cost)  # fmt: skip
    visuals = Visuals([SceneClip(to_uri(c), CLIP_S, "video") for c in clips], no_cost)
    request = ComposeRequest(reel_id, look, voice_track, visuals)
    composer = ComposeActivities(store, 0.0)
    compose = _timed(lambda: composer.compose_reel(request))

    raw = work / "frames.nut"  # the frames compose hands x264, written before the floor's clock
    frames = round(composer.write_frames(request, raw) * look.fps)
    encode = [*encode_frames_args(request, raw), str(work / f"floor-{preset}.mp4")]
    floor = _timed(lambda: run_ffmpeg(encode, what="encoder floor"))
    raw.unlink()
    return PresetResult(preset, kind, compose, floor, round(compose.wall_s / floor.wall_s, 3),
                        round(compose.cpu_s / floor.cpu_s, 3), frames,
                        [round(x, 2) for x in os.getloadavg()])


def _print(result: PresetResult) -> None:
    c, f = result.compose, result.floor
    print(
        f"[{result.preset}, {result.clips}] compose {c.wall_s:6.2f} s wall {c.cpu_s:6.2f} s cpu"
        f" {c.peak_tree_mb:6.1f} MB"
        f" | floor {f.wall_s:6.2f} s wall {f.cpu_s:6.2f} s cpu {f.peak_tree_mb:6.1f} MB"
        f" | compose/floor {result.ratio:.2f} (target <= {TARGET_RATIO}), CPU"
        f" {result.cpu_ratio:.2f} | {result.frames} frames, {result.frames / c.wall_s:.1f} fps"
        f" | load {result.load_average[0]:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=["veryfast", "medium"])
    parser.add_argument("--work", type=Path, default=Path("var/bench/compose"))
    parser.add_argument("--out", type=Path, default=Path("var/bench/compose.json"))
    parser.add_argument("--repeat", type=int, default=3,
                        help="compose-and-floor pairs per preset; the median ratio is reported")
    args = parser.parse_args()
    print(f"generating inputs in {args.work / 'inputs'} ...", flush=True)
    clips, voice, music, spans = make_inputs(args.work / "inputs")
    mezzanines, ingest_cpu = ingest(args.work, clips)
    print(f"ingest: {len(clips)} clips to 1080x1920 mezzanines, {ingest_cpu:.2f} s cpu "
          "(once per library file; 0 when made by an earlier run)", flush=True)  # fmt: skip
    runs = [(p, "mezzanine") for p in args.presets] + [("veryfast", "source")]
    results = []
    for preset, kind in runs:
        repeat = args.repeat if kind == "mezzanine" else 1
        print(f"[{preset}, {kind} clips] composing a {VOICE_S:.0f} s 1080x1920 reel, then the "
              f"encoder floor, {repeat} time(s) ...", flush=True)  # fmt: skip
        tries = []
        for _ in range(repeat):
            tries.append(run_preset(preset, args.work,
                                    (mezzanines if kind == "mezzanine" else clips, voice, music,
                                     spans), kind))  # fmt: skip
            _print(tries[-1])
        median = sorted(tries, key=lambda r: r.ratio)[len(tries) // 2]
        results.append(replace(median, runs=[(r.ratio, r.cpu_ratio, r.compose.peak_tree_mb)
                                             for r in tries]))  # fmt: skip
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "ffmpeg": ffmpeg_exe(),
        "targets": {"ratio": TARGET_RATIO, "peak_tree_mb": TARGET_PEAK_MB,
                    "on": "mezzanine clips; memory at veryfast"},
        "ingest_cpu_s": ingest_cpu,
        "results": [asdict(r) for r in results],
        "met": all(
            r.ratio <= TARGET_RATIO
            and (r.preset != "veryfast" or max(run[2] for run in r.runs) <= TARGET_PEAK_MB)
            for r in results
            if r.clips == "mezzanine"
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"targets met: {report['met']}; written to {args.out}")


if __name__ == "__main__":
    main()
