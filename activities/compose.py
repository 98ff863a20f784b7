"""The compose stage: scenes + voice + captions + a music bed -> one H.264 reel and its cover.

One ffmpeg command per reel, built as a graph with ffmpeg-python and run through `run_ffmpeg`
so it heartbeats, stops on cancel and is billed by its exact CPU time: every scene (a
generated clip, the channel's own footage cover-cropped and looped, or a still with a slow
zoom) is fitted to its narration, cross-faded into the next, captioned and encoded once; a
procedural scene is drawn by lavfi sources inside the same command from its recipe. The
captions are libass's pictures, drawn once per change in a branch of the same graph and
overlaid on every frame (`caption_track`).
The same frames feed the quality stage's black and frozen detectors through a second, null
output, and the cover through a third. Before it, one short audio-only pass measures the mix
(ebur128) for one linear gain to -14 LUFS (and, with a music file, the file's loudness is
measured once per file and cached by its hash). The reel is written under a temporary name
and renamed, so `reel.mp4` is always whole.

This module is the activity; the picture and the command are built in `compose_graph`, the
sound in `compose_audio`, and what both read from the measuring passes is `compose_plan`.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from temporalio import activity

from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.caption_track import caption_track
from activities.captions import group_captions, load_words, to_ass
from activities.compose_audio import (
    CHORDS,
    InputLevels,
    _mix,
    limited_gain,
    measure_inputs,
    measure_mix,
    needs_limiter,
    pad_file,
)
from activities.compose_audio import sound as _sound
from activities.compose_graph import (
    SCENE_KINDS,
    _full_size,
    compose_args,
    encode_frames_args,
    frames_args,
    transition,
    working_size,
    x264_threads,
)
from activities.compose_plan import CompositionPlan
from activities.encoders import SOFTWARE, pick_encoder
from activities.errors import bad_input
from activities.ffmpeg_run import out_seconds, run_ffmpeg
from activities.illustrated import ILLUSTRATED, localized
from activities.loudness import TARGET_LUFS
from activities.metering import Meter
from activities.progress import heartbeat, heartbeating, raise_if_cancelled
from activities.quality import parse_caption_boxes, write_picture_analysis
from workflows.contracts import ComposedReel, ComposeRequest

# The stage's pieces as its callers (benchmarks, tests) reach them: through the stage's module.
__all__ = [
    "ComposeActivities",
    "CompositionPlan",
    "_full_size",
    "_mix",
    "_sound",
    "compose_args",
    "encode_frames_args",
    "frames_args",
    "measure_inputs",
    "side_by_side",
    "transition",
    "working_size",
    "x264_threads",
]

TAIL_S = 0.4  # picture and music run on briefly after the last word
CAPTIONS = "captions.ass"  # in the reel's folder, next to the reel


class ComposeActivities:
    def __init__(self, store: ArtifactStore, cpu_second_usd: float) -> None:
        self.store = store
        self.cpu_second_usd = cpu_second_usd

    # See VisualsActivities.make_visuals for why cancel is polled rather than injected.
    @activity.defn(name="compose_reel", no_thread_cancel_exception=True)
    def compose_reel(self, req: ComposeRequest) -> ComposedReel:
        _validate(req)
        encoder = SOFTWARE if req.safe else pick_encoder(req.look.encoder)
        meter = Meter("compose", f"ffmpeg/{encoder}", self.cpu_second_usd)
        out = self.store.path_for(req.reel_id, "reel.mp4")
        cover = self.store.path_for(req.reel_id, "cover.jpg")
        with tempfile.TemporaryDirectory(prefix="compose-") as tmp:
            # The measuring passes before the render send no progress of their own; on a
            # busy machine they can outlast the heartbeat timeout.
            with heartbeating(lambda: {"progress": 0.0}):
                plan = self.plan(req, Path(tmp), encoder, meter)
            raise_if_cancelled()
            total = plan.total

            def tick(progress: dict[str, str]) -> None:
                heartbeat({"progress": round(min(1.0, out_seconds(progress) / total), 3)})

            with side_by_side() as threads:
                plan.threads = threads
                run = run_ffmpeg(compose_args(req, plan), tick, what=f"compose ({encoder})")
            assert plan.cover is not None  # plan() always names the cover's partial file
            os.replace(plan.cover, cover)
            os.replace(plan.out, out)
        meter.add_child_cpu(run.cpu_seconds)
        analysis = self.store.path_for(req.reel_id, "picture-analysis.json")
        boxes = []  # no caption track: nothing is ever shown
        if (track := plan.captions) is not None:
            boxes = parse_caption_boxes(run.stderr, req.look.width, req.look.height, track.top)
        write_picture_analysis(analysis, run.stderr, total, boxes)
        heartbeat({"progress": 1.0})
        return ComposedReel(
            video_uri=to_uri(out),
            cover_uri=to_uri(cover),
            duration_s=round(total, 3),
            cost=meter.cost(),
            captions_uri=to_uri(self.store.path_for(req.reel_id, CAPTIONS)),
            encoder=encoder,
            analysis_uri=to_uri(analysis),
        )

    def write_frames(self, req: ComposeRequest, path: Path) -> float:
        """The render with its picture written raw to `path` (`frames_args`): the frames the
        benchmarks' x264 floor encodes. Returns the reel's length in seconds."""
        with tempfile.TemporaryDirectory(prefix="frames-") as scratch:
            plan = self.plan(req, Path(scratch))
            run_ffmpeg(frames_args(req, plan, path), what="the reel's frames")
        return plan.total

    def plan(self, req: ComposeRequest, scratch: Path, encoder: str = SOFTWARE,
             meter: Meter | None = None) -> CompositionPlan:
        """The captions written and the sound measured: everything the render needs but its
        threads. `scratch` (the captions and fonts as ffmpeg reads them) outlives the render."""
        meter = meter or Meter("compose", f"ffmpeg/{encoder}", self.cpu_second_usd)
        clips = [to_path(clip.uri) for clip in req.visuals.clips]
        clips = [localized(path, self.store.root, scratch) if clip.kind == ILLUSTRATED else path
                 for path, clip in zip(clips, req.visuals.clips, strict=True)]
        voice = to_path(req.voice.audio_uri)
        music = Path(req.look.music_file) if req.look.music_file else None
        captions = self.store.path_for(req.reel_id, CAPTIONS)
        events = group_captions(
            load_words(to_path(req.voice.alignment_uri)), req.look.caption_words
        )
        captions.write_text(to_ass(events, req.look), encoding="utf-8")
        # A whole number of frames, so picture and sound can end together.
        fps = req.look.fps
        total = math.ceil(round((req.voice.duration_s + TAIL_S) * fps, 6)) / fps
        levels = (
            measure_inputs(self.store, voice, music)
            if music
            else InputLevels(TARGET_LUFS, TARGET_LUFS, 0)
        )
        meter.add_child_cpu(levels.cpu_seconds)
        pad = None
        if music is None and req.look.music != "none":
            pad, cpu = pad_file(self.store, req.look.music)
            meter.add_child_cpu(cpu)
        plan = CompositionPlan(
            clips=clips,
            voice=voice,
            captions=caption_track(captions, events, req.look, total, scratch),
            # Whole or absent: a crash mid-render never leaves a reel.mp4 that looks done.
            out=self.store.path_for(req.reel_id, "reel.partial.mp4"),
            cover=self.store.path_for(req.reel_id, "cover.partial.jpg"),
            total=total,
            encoder=encoder,
            voice_lufs=levels.voice_lufs,
            music=music,
            music_lufs=levels.music_lufs,
            pad=pad,
            offset_db=req.loudness_offset_db,
            peak_margin_db=req.peak_margin_db,
        )
        mixed = scratch / "mix.wav"
        plan.mix, cpu = measure_mix(plan, req.look, keep=mixed)
        plan.mixed = mixed
        meter.add_child_cpu(cpu)
        if needs_limiter(plan):
            plan.gain_db, cpu = limited_gain(plan, req.look)
            meter.add_child_cpu(cpu)
        return plan


def _validate(req: ComposeRequest) -> None:
    if not req.visuals.clips:
        raise bad_input("compose request: visuals.clips is empty")
    if len(req.visuals.clips) != len(req.voice.scenes):
        raise bad_input(
            f"compose request: {len(req.visuals.clips)} visuals.clips for "
            f"{len(req.voice.scenes)} voice.scenes"
        )
    if req.voice.duration_s <= 0:
        raise bad_input("compose request: voice.duration_s must be positive")
    if req.look.music not in (*CHORDS, "none"):
        raise bad_input(f"look.music {req.look.music!r}: expected one of {[*CHORDS, 'none']}")
    for i, clip in enumerate(req.visuals.clips):
        if clip.kind not in SCENE_KINDS:
            raise bad_input(f"visuals.clips[{i}].kind {clip.kind!r}: expected one of {SCENE_KINDS}")
        if not to_path(clip.uri).is_file():
            raise bad_input(f"visuals.clips[{i}]: {clip.uri} does not exist")
    if req.look.music_file and not Path(req.look.music_file).is_file():
        raise bad_input(f"look.music_file: {req.look.music_file} does not exist")


_running = 0
_running_lock = threading.Lock()


@contextmanager
def side_by_side() -> Iterator[int]:
    """The cores one more compose in this process has: the machine's, shared out among the
    composes running (see x264_threads)."""
    global _running
    with _running_lock:
        _running += 1
        running = _running
    try:
        yield max(1, len(os.sched_getaffinity(0)) // running)
    finally:
        with _running_lock:
            _running -= 1
