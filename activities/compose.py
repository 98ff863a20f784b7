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
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ffmpeg
from temporalio import activity

from activities.artifacts import ArtifactStore, aside, to_path, to_uri
from activities.caption_track import CaptionTrack, caption_track, overlaid
from activities.captions import group_captions, load_words, to_ass
from activities.encoders import RAW_FRAMES, SOFTWARE, pick_encoder, video_args
from activities.errors import bad_input
from activities.ffmpeg_run import listed, out_seconds, run_ffmpeg
from activities.loudness import EBUR128, SILENT_LUFS, TARGET_LUFS, Loudness, parse_ebur128
from activities.metering import Meter
from activities.mezzanine import fit_to_frame
from activities.progress import heartbeat, heartbeating, raise_if_cancelled
from activities.quality import ANALYSIS_FILTERS, parse_caption_boxes, write_picture_analysis
from activities.visuals import PROCEDURAL, read_recipe, scene_graph
from workflows.contracts import ComposedReel, ComposeRequest, LookConfig, SceneClip, SceneSpan

TAIL_S = 0.4  # picture and music run on briefly after the last word
CAPTIONS = "captions.ass"  # in the reel's folder, next to the reel
XFADE_S = 0.3
AUDIO_RATE = 48000
# ffmpeg's own AAC encoder with its "fast" coder: 0.2 CPU s a reel against 0.6 for the
# default "twoloop", which its author found no better at high bitrates.
AAC = {"acodec": "aac", "aac_coder": "fast"}
AAC_BITRATE = {"mono": "128k", "stereo": "160k"}
FADE_S = 0.5
MUSIC_FADE_IN_S = 1.0
MUSIC_UNDER_VOICE_LU = 18.0  # a music file's bed sits this far under the voice before ducking
LRA = 11  # loudness range target: wide enough that speech is never squashed
TRUE_PEAK_TARGET = -1.5  # the ceiling we aim under; AAC adds a few tenths, the check allows -1.0
LIMITER_MARGIN_DB = 1.0  # alimiter sees samples, not the true (inter-sample) peak
COVER_AT_S = 1.0
# Every scene's decoder is open for the whole render; frame threads each hold a set of
# reference frames, so one thread per input keeps memory flat while x264 has the cores.
DECODE_THREADS = 1
LAVFI_QUEUE = 4  # frames a procedural source may draw ahead of concat (see _procedural)
STILL_ZOOM = 0.10  # a still grows (or shrinks) by 10% over its scene
# Soft pads: two chords that slowly trade places, each a few sines with a slow tremolo.
CHORDS = {
    "calm": ((110.0, 220.0, 261.63, 329.63), (98.0, 196.0, 246.94, 293.66)),
    "bright": ((130.81, 261.63, 329.63, 392.0), (146.83, 293.66, 369.99, 440.0)),
}
PAD_PERIOD_S = 80  # the chords trade places every 16 s, the tremolo every 5 s
MUSIC_GAIN = 0.05  # per note: the pad averages about -23 dBFS, well under a voice, before ducking
Stream = Any  # ffmpeg-python ships no type hints


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
        if _needs_limiter(plan):
            plan.gain_db, cpu = limited_gain(plan, req.look)
            meter.add_child_cpu(cpu)
        return plan


@dataclass
class CompositionPlan:
    """Everything `compose_args` needs beyond the request: resolved paths and measurements."""

    clips: list[Path]
    voice: Path
    captions: CaptionTrack | None  # drawn once per change (caption_track); None: no words
    out: Path
    total: float
    cover: Path | None = None  # the cover frame, written by the same command
    encoder: str = SOFTWARE
    voice_lufs: float = TARGET_LUFS
    music: Path | None = None
    music_lufs: float = TARGET_LUFS
    pad: Path | None = None  # the chord pad's file (pad_file); None = drawn in the command
    threads: int = 0  # the cores this render has (side_by_side); 0 = ffmpeg's choice
    mix: Loudness | None = None  # the mix as measured before the render (measure_mix)
    mixed: Path | None = None  # the mix as measure_mix heard it; later passes read it back
    gain_db: float | None = None  # the gain in front of the limiter, when the peaks need one
    # A new mix after a failed loudness check: added gain, and the limiter's ceiling lowered.
    offset_db: float = 0.0
    peak_margin_db: float = 0.0


@dataclass
class InputLevels:
    voice_lufs: float
    music_lufs: float
    cpu_seconds: float


def measure_inputs(store: ArtifactStore, voice: Path, music: Path) -> InputLevels:
    """Integrated loudness of the voice and of the music file, to level one against the
    other. A music file is measured once: its loudness is kept under a hash of its bytes."""
    digest = file_digest(music)
    cached = store.path_for("cache/loudness", f"{digest}.json")
    try:
        music_lufs: float | None = float(json.loads(cached.read_text())["integrated_lufs"])
    except (OSError, ValueError, KeyError, TypeError):
        music_lufs = None
    args = ["-i", str(voice)]
    # One channel read as one (no dual-mono): the music file is levelled against the voice
    # measured this way, and a reel with a music file is as loud against its bed as before.
    graph = "[0:a]ebur128[m0]"
    if music_lufs is None:
        args += ["-i", str(music)]
        graph += ";[1:a]ebur128[m1]"
    args += ["-filter_complex", graph, "-map", "[m0]", "-f", "null", "-"]
    if music_lufs is None:
        args += ["-map", "[m1]", "-f", "null", "-"]
    run = run_ffmpeg(args, what="loudness measurement")
    found = parse_ebur128(run.stderr)
    if not found:
        raise bad_input(f"voice {voice}: no audio to measure")
    if music_lufs is None:  # summaries print in filter order: the voice's, then the music's
        music_lufs = found[1].integrated_lufs if len(found) > 1 else TARGET_LUFS
        write_atomically(cached, json.dumps({"integrated_lufs": music_lufs, "file": music.name}))
    return InputLevels(found[0].integrated_lufs, music_lufs, run.cpu_seconds)


def file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:24]


def write_atomically(path: Path, text: str) -> None:
    partial = aside(path)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


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


# generated: a clip file that holds its last frame; procedural: a recipe compose draws.
SCENE_KINDS = ("generated", PROCEDURAL, "video", "still")


def compose_args(req: ComposeRequest, plan: CompositionPlan) -> list[str]:
    look = req.look
    picture = _picture(req, plan)
    if plan.captions is not None:
        picture = overlaid(picture, plan.captions)
    video = picture.filter("format", "yuv420p")
    # The picture's black and frozen checks run here, on the frames being encoded, through a
    # second (null) output: the quality stage then never decodes the picture again.
    parts = video.filter_multi_output("split", 2 + (plan.cover is not None))
    video, measured = parts[0], parts[1]
    for name, options in ANALYSIS_FILTERS:
        measured = measured.filter(name, **options)
    outputs = [ffmpeg.output(measured, "-", f="null", t=f"{plan.total:.3f}")]
    if plan.cover is not None:
        # The cover is one of the frames being encoded: no second decode of the reel.
        at = round(min(COVER_AT_S, max(0.0, plan.total / 2)) * look.fps)
        frame = (
            parts[2]
            .filter("select", f"eq(n,{at})")
            .filter("scale", look.width // 2, -2, flags="lanczos")
        )
        outputs.append(ffmpeg.output(frame, str(plan.cover), **{"frames:v": 1, "q:v": 3}))
    audio = _sound(plan, look)
    preset = x264_preset(req)
    output = ffmpeg.output(
        video,
        audio,
        str(plan.out),
        t=f"{plan.total:.3f}",
        r=look.fps,
        ar=AUDIO_RATE,
        ac=CHANNELS[layout(plan)],
        **AAC,
        **{"b:a": AAC_BITRATE[layout(plan)]},
        **video_args(plan.encoder, preset, look.fps),
        movflags="+faststart",
    )
    args: list[str] = ffmpeg.merge_outputs(output, *outputs).get_args()
    if plan.threads and plan.encoder == SOFTWARE:
        # Global options go first; the encoder's right before the file it writes.
        at = args.index(str(plan.out))
        # `-cpucount 1`: each procedural source is a lavfi input with its own filter graph,
        # which would start a slice thread per core, woken for every filter on every frame;
        # one thread each, like the decoders (DECODE_THREADS), cut the render's context
        # switches by three quarters and its system time by half. Only ffmpeg's automatic
        # thread counts read it: the main graph's and x264's are set here.
        args = ["-cpucount", "1", "-filter_complex_threads", str(plan.threads), *args[:at],
                "-threads", str(x264_threads(plan.threads)), *args[at:]]  # fmt: skip
    return args


def x264_threads(cores: int) -> int:
    """x264's own default, 1.5 frame threads per core, over the cores this render has: with a
    thread to spare, x264 keeps both cores busy while the filter graph hands it the next
    frame (alone on two cores, 3 threads made the render 4% faster than 2, for the same CPU).
    Composes side by side get one each: sharing two cores, more threads only trade frames."""
    return max(1, cores * 3 // 2)


def x264_preset(req: ComposeRequest) -> str:
    return "veryfast" if req.safe else req.look.x264_preset


def encode_frames_args(req: ComposeRequest, frames: Path) -> list[str]:
    """x264 alone on frames written by `frames_args`, with the reel's own settings (the
    encoder floor of the benchmarks; threads are x264's unless the caller adds some)."""
    args = ["-i", str(frames), "-an"]
    for key, value in video_args(SOFTWARE, x264_preset(req), req.look.fps).items():
        args += [f"-{key}", str(value)]
    return args


def frames_args(req: ComposeRequest, plan: CompositionPlan, path: Path) -> list[str]:
    """The render with its picture written raw to `path` (NUT) instead of encoded: the very
    frames x264 gets. Frames decoded from the finished reel are not those: x264 has already
    smoothed them, and encoding them again costs 2-8% less CPU."""
    return compose_args(req, replace(plan, encoder=RAW_FRAMES, out=path, cover=None))


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


def _picture(req: ComposeRequest, plan: CompositionPlan) -> Stream:
    """Scenes cut to their narration and joined by the channel's transition (or butt-joined
    when a scene has no room for it, or in safe mode); scene k starts when its narration does
    and the picture lasts `total` seconds.

    A chain of xfade filters would make every later scene's frames queue up from the first
    second (xfade pulls both inputs), costing hundreds of MB at 1080x1920 and a sixth more
    CPU. So the picture is one concat of segments instead: each scene's body, and between
    two scenes a short transition from the first one's tail to the second one's head. concat
    pulls one segment at a time, so a scene is decoded only when it is about to be seen.

    A reel made only of procedural scenes is joined at the size they are drawn at and scaled
    up once: scenes that wait their turn then hold quarter-size frames (about 200 MB less at
    1080x1920) and the joins touch a quarter of the pixels."""
    spans = req.voice.scenes
    look = req.look
    size = working_size(req, plan)
    # Everything in whole frames: segment edges that fall between frames would each drop or
    # double one, and the picture would drift from the sound.
    edges = [round((s.start - spans[0].start) * look.fps) for s in spans]
    edges.append(round(plan.total * look.fps))
    lengths = [b - a for a, b in itertools.pairwise(edges)]
    fade = 0 if req.safe or look.transition == "none" else round(XFADE_S * look.fps)
    if any(length < 2 * fade for length in lengths) or any(
        c.kind == "generated" and c.duration_s * look.fps < length + fade
        for c, length in zip(req.visuals.clips, lengths)
    ):
        fade = 0
    count = len(spans)
    scenes = []
    for k, (path, clip) in enumerate(zip(plan.clips, req.visuals.clips, strict=True)):
        need = lengths[k] + (fade if k < count - 1 else 0)
        scenes.append(scene_stream(path, clip, need / look.fps, look, k, size))
    if fade == 0:
        return _full_size(ffmpeg.concat(*scenes, v=1, a=0), size, look)
    segments = []
    tails: list[Stream] = []
    for k, scene in enumerate(scenes):
        parts = scene.filter_multi_output("split", 1 + (k > 0) + (k < count - 1))
        nth = iter(range(3))
        if k > 0:
            head = _frames(parts[next(nth)], 0, fade)
            segments.append(transition(tails[-1], head, fade / look.fps, look.transition))
        segments.append(_frames(parts[next(nth)], fade if k > 0 else 0, lengths[k]))
        if k < count - 1:
            tails.append(_frames(parts[next(nth)], lengths[k], lengths[k] + fade))
    return _full_size(ffmpeg.concat(*segments, v=1, a=0), size, look)


def transition(tail: Stream, head: Stream, seconds: float, name: str) -> Stream:
    """`tail` giving way to `head` (both `seconds` long, from time zero).

    xfade works in 4:4:4 only: around each one ffmpeg converts both inputs up and the result
    back down, and those converters' frame pools stay allocated for the whole render (about
    40 MB a transition at 1080x1920). The plain cross-fade, the default, is drawn in the
    reel's 4:2:0 instead: the head fades in through its alpha over the tail, the same mix
    frame for frame, for about half the memory and none of the conversions' CPU."""
    if name != "fade":
        return ffmpeg.filter([tail, head], "xfade", transition=name,
                             duration=f"{seconds:.6f}", offset=0)  # fmt: skip
    faded = head.filter("format", "yuva420p").filter(
        "fade", type="in", start_time=0, duration=f"{seconds:.6f}", alpha=1
    )
    return ffmpeg.filter([tail, faded], "overlay", format="yuv420", eof_action="pass")


def working_size(req: ComposeRequest, plan: CompositionPlan) -> tuple[int, int]:
    """The size scenes are joined at: the recipes' own when every scene is procedural and
    all are drawn at one size of the reel's shape, else the reel's."""
    full = (req.look.width, req.look.height)
    if any(clip.kind != PROCEDURAL for clip in req.visuals.clips):
        return full
    sizes = {(r.width, r.height) for r in (read_recipe(path) for path in plan.clips)}
    if len(sizes) != 1:
        return full
    width, height = sizes.pop()
    return (width, height) if width * full[1] == height * full[0] else full


def _full_size(picture: Stream, size: tuple[int, int], look: LookConfig) -> Stream:
    if size == (look.width, look.height):
        return picture
    # Drawn content (gradients, cells) is smooth or blocky by design: bilinear is enough.
    # zimg's bilinear gives swscale's luma (over 70 dB PSNR) for about 0.5 CPU s less per
    # 27 s reel: swscale runs even this 2x resize through its generic 15-bit intermediate
    # path. Chroma differs by where each puts 4:2:0's samples (zimg: left, as H.264 has
    # them), 65 dB on drawn scenes. Builds without libzimg keep swscale.
    if "zscale" in listed("-filters"):
        scaled = picture.filter("zscale", w=look.width, h=look.height, filter="bilinear",
                                range="limited")  # fmt: skip
    else:
        scaled = picture.filter("scale", look.width, look.height, flags="bilinear",
                                out_range="tv")  # fmt: skip
    return scaled.filter("setsar", 1)


def _frames(stream: Stream, first: int, end: int) -> Stream:
    """Frames first..end-1 of a scene, restarting at time zero."""
    return stream.filter("trim", start_frame=first, end_frame=end).filter("setpts", "PTS-STARTPTS")


def scene_stream(
    path: Path,
    clip: SceneClip,
    seconds: float,
    look: LookConfig,
    k: int,
    size: tuple[int, int] | None = None,
) -> Stream:
    """Exactly `seconds` of one scene at the reel's rate and at `size` (the reel's by
    default)."""
    if clip.kind == "still":
        return _still(path, seconds, look, k)
    if clip.kind == PROCEDURAL:
        return _procedural(path, seconds, look, k, size or (look.width, look.height))
    # Own footage loops when shorter than its scene; a generated clip holds its last frame.
    loop = {"stream_loop": -1} if clip.kind == "video" else {}
    # Reading stops at the scene's length: nothing past it is demuxed, decoded or scaled.
    source = ffmpeg.input(str(path), threads=DECODE_THREADS, t=f"{seconds:.3f}", **loop,
                          **_own_input(k))  # fmt: skip
    stream = fit_to_frame(source.video, look.width, look.height).filter("fps", look.fps)
    return _exactly(stream, seconds)


def _procedural(
    path: Path, seconds: float, look: LookConfig, k: int, size: tuple[int, int]
) -> Stream:
    """A recipe drawn by lavfi sources inside this command, exactly as long as its scene
    needs: its pixels are encoded once, in the reel. The scheduler pulls a source only when
    concat reaches its segment, and a short input queue keeps a source from drawing far
    ahead of the encoder while it waits."""
    recipe = read_recipe(path)
    source = ffmpeg.input(scene_graph(recipe), f="lavfi", t=f"{seconds:.3f}",
                          thread_queue_size=LAVFI_QUEUE + k)  # fmt: skip
    stream = source.video
    if (recipe.width, recipe.height) != size:
        stream = fit_to_frame(stream, *size)
    if recipe.fps != look.fps:
        stream = stream.filter("fps", look.fps)
    return _exactly(stream, seconds)


def _still(path: Path, seconds: float, look: LookConfig, k: int) -> Stream:
    """A slow zoom (in on even scenes, out on odd ones) drifting toward a corner; zoompan
    makes every output frame from the one decoded image."""
    frames = max(1, round(seconds * look.fps))
    # Oversampling by 2 keeps zoompan's whole-pixel crop steps from showing as jitter.
    big = fit_to_frame(ffmpeg.input(str(path), **_own_input(k)).video, look.width * 2, look.height * 2)
    progress = f"(on/{frames})"
    zoom = (
        f"1+{STILL_ZOOM}*{progress}" if k % 2 == 0 else f"{1 + STILL_ZOOM}-{STILL_ZOOM}*{progress}"
    )
    drift = ("0.5", "0.35", "0.65")[k % 3]
    stream = big.filter(
        "zoompan",
        z=zoom,
        x=f"(iw-iw/zoom)*{drift}",
        y="(ih-ih/zoom)/2",
        d=frames,
        s=f"{look.width}x{look.height}",
        fps=look.fps,
    )
    return _exactly(stream, seconds)


def _own_input(k: int) -> dict[str, int]:
    """ffmpeg-python merges inputs with equal arguments into one `-i`, and a file used by two
    scenes (own media reused) would then feed two chains without a split; a per-scene queue
    size (a harmless demuxer option) keeps every scene's input its own."""
    return {"thread_queue_size": 64 + k}


def _exactly(stream: Stream, seconds: float) -> Stream:
    return (
        stream.filter("tpad", stop_mode="clone", stop_duration=f"{seconds:.3f}")
        .filter("trim", duration=f"{seconds:.3f}")
        .filter("setpts", "PTS-STARTPTS")
        .filter("format", "yuv420p")
        .filter("setsar", 1)
    )


def _sound(plan: CompositionPlan, look: LookConfig) -> Stream:
    """The mix normalised to -14 LUFS by one measured gain (what linear loudnorm applies,
    without its 192 kHz pass). Where that gain would push peaks over the ceiling, a look-ahead
    limiter shaves them (Piper's plosives sit ~16 dB over its loudness). Unmeasured (never
    in compose_reel), loudnorm's dynamic mode."""
    mix = _mix(plan, look)
    if plan.mix is None:
        return mix.filter("loudnorm", I=TARGET_LUFS, TP=TRUE_PEAK_TARGET, LRA=LRA,
                          dual_mono="true").filter(
            "aresample", AUDIO_RATE
        )
    if plan.gain_db is not None:
        return _limited(mix, plan.gain_db, plan.peak_margin_db)
    return mix.filter("volume", f"{_linear_gain(plan):.2f}dB")


def _linear_gain(plan: CompositionPlan) -> float:
    assert plan.mix is not None
    return TARGET_LUFS - plan.mix.integrated_lufs + plan.offset_db


def _needs_limiter(plan: CompositionPlan) -> bool:
    assert plan.mix is not None and plan.mix.true_peak_dbtp is not None
    peak = plan.mix.true_peak_dbtp + _linear_gain(plan)
    return plan.peak_margin_db > 0 or peak > TRUE_PEAK_TARGET


def _limited(stream: Stream, gain_db: float, margin_db: float = 0.0) -> Stream:
    # alimiter limits sample peaks; the margin under the ceiling covers inter-sample peaks
    # and the AAC encoder's overshoot. level=0: no make-up gain, the loudness stays ours.
    ceiling = 10 ** ((TRUE_PEAK_TARGET - LIMITER_MARGIN_DB - margin_db) / 20)
    return stream.filter("volume", f"{gain_db:.2f}dB").filter(
        "alimiter", limit=f"{ceiling:.4f}", attack=5, release=50, level=0, latency=1
    )


def limited_gain(plan: CompositionPlan, look: LookConfig) -> tuple[float, float]:
    """The gain to put in front of the limiter: the limiter takes back part of any gain it
    has to hold down, so measure what it leaves of the linear gain and add the shortfall with
    40% to spare for what it takes of that (lands within ~0.3 LU of the target on speech)."""
    gain = _linear_gain(plan)
    limited = _limited(_mix(plan, look), gain, plan.peak_margin_db)
    # Integrated loudness only (no true peak): mono as heard, like every other measurement.
    args = ffmpeg.output(limited.filter("ebur128", dualmono=EBUR128["dualmono"]), "-", f="null")
    run = run_ffmpeg(args.get_args(), what="limiter measurement")
    found = parse_ebur128(run.stderr)
    shortfall = TARGET_LUFS + plan.offset_db - found[-1].integrated_lufs if found else 0.0
    return gain + max(0.0, min(6.0, 1.4 * shortfall)), run.cpu_seconds


def measure_mix(
    plan: CompositionPlan, look: LookConfig, keep: Path | None = None
) -> tuple[Loudness, float]:
    """The mix's integrated loudness and true peak, audio alone (a few tenths of a CPU
    second). ebur128 measures what loudnorm's first pass does at a quarter of its cost:
    loudnorm resamples to 192 kHz even when only asked to measure.

    `keep`: the mix is also written there as float WAV (10 MB for a 27 s reel), so the
    limiter's pass and the render read these very samples instead of mixing again (resampling
    the voice, ducking and fading the bed: about 0.09 CPU s each time)."""
    mix = _mix(plan, look)
    extra = []
    if keep is not None:
        parts = mix.filter_multi_output("asplit", 2)
        mix, kept = parts[0], parts[1]
        extra.append(ffmpeg.output(kept, str(keep), acodec="pcm_f32le"))
    measured = ffmpeg.output(mix.filter("ebur128", **EBUR128), "-", f="null")
    args = ffmpeg.merge_outputs(measured, *extra)
    run = run_ffmpeg(args.get_args(), what="loudness measurement")
    found = parse_ebur128(run.stderr)
    if not found or found[-1].true_peak_dbtp is None:
        raise bad_input(f"voice {plan.voice}: loudness could not be measured")
    if found[-1].integrated_lufs <= SILENT_LUFS:
        raise bad_input(f"voice {plan.voice}: the mix is silent")
    return found[-1], run.cpu_seconds


CHANNELS = {"mono": 1, "stereo": 2}
DUCK_THRESHOLD = 0.02  # the voice's level, in a stereo mix's channel, where the bed dips


def _duck_at(plan: CompositionPlan) -> str:
    """The ducking threshold for the voice as the compressor hears it. ffmpeg spreads a mono
    voice over a stereo mix's two channels at -3 dB each; a mono mix carries it at its own
    level, so the threshold moves with it and the bed dips exactly as in the stereo mix."""
    scale = 1.0 if layout(plan) == "stereo" else math.sqrt(2.0)
    return f"{DUCK_THRESHOLD * scale:.6f}"


def layout(plan: CompositionPlan) -> str:
    """The reel's sound is mono unless a music file brings a second channel. The voice and the
    chord pad are mono: a stereo track of them is the same samples twice, and the render's
    sound cost twice a mono track's CPU (0.33 against 0.155 s a reel, mostly AAC's mid/side
    search finding the two channels equal). Players put mono on both speakers, and every
    loudness measurement reads mono as heard there (`loudness.EBUR128`), so the reel sounds
    and measures as its stereo twin did: its samples are the stereo mix's channel."""
    return "mono" if plan.music is None else "stereo"


def _mix(plan: CompositionPlan, look: LookConfig) -> Stream:
    if plan.mixed is not None:
        return ffmpeg.input(str(plan.mixed)).audio
    total = plan.total
    speech = (
        ffmpeg.input(str(plan.voice))
        .audio.filter("aresample", AUDIO_RATE)
        .filter("aformat", sample_fmts="fltp", channel_layouts=layout(plan))
        .filter("apad", whole_dur=f"{total:.3f}")
    )
    bed = _music(plan, look)
    if bed is None:
        mixed = speech
    else:
        split = speech.filter_multi_output("asplit", 2)
        # The bed is the compressed input and the voice its key: music dips while words play.
        ducked = ffmpeg.filter([bed, split[1]], "sidechaincompress", threshold=_duck_at(plan),
                               ratio=8, attack=30, release=500)  # fmt: skip
        mixed = ffmpeg.filter([split[0], ducked], "amix", inputs=2, duration="first", normalize=0)
    return (
        mixed.filter("atrim", duration=f"{total:.3f}")
        .filter("afade", t="in", d=0.05)
        .filter("afade", t="out", st=f"{max(0.0, total - FADE_S):.3f}", d=FADE_S)
    )


def _music(plan: CompositionPlan, look: LookConfig) -> Stream | None:
    total = plan.total
    if plan.music is not None:
        # Level the file against the voice as measured, whatever it was mastered at.
        gain = (plan.voice_lufs - MUSIC_UNDER_VOICE_LU) - plan.music_lufs
        bed = (
            ffmpeg.input(str(plan.music), stream_loop=-1)
            .audio.filter("aresample", AUDIO_RATE)
            .filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
            .filter("atrim", duration=f"{total:.3f}")
            .filter("volume", f"{max(-40.0, min(20.0, gain)):.2f}dB")
        )
    elif look.music != "none" and plan.pad is not None:
        # The pad's fades: its own swell (2 s in, 1.5 s out) times the bed's fades below.
        bed = (
            ffmpeg.input(str(plan.pad), stream_loop=-1)
            .audio.filter("atrim", duration=f"{total:.3f}")
            .filter("aformat", sample_fmts="fltp", channel_layouts=layout(plan))
            .filter("afade", t="in", d=2)
            .filter("afade", t="out", st=f"{max(0.0, total - 1.5):.3f}", d=1.5)
        )
    elif look.music != "none":
        bed = ffmpeg.input(_pad_source(look.music, total), f="lavfi").audio.filter(
            "aformat", sample_fmts="fltp", channel_layouts=layout(plan)
        )
    else:
        return None
    return bed.filter("afade", t="in", d=MUSIC_FADE_IN_S).filter(
        "afade", t="out", st=f"{max(0.0, total - 1.5):.3f}", d=1.5
    )


def _pad_expression(music: str) -> str:
    """The chord pad as an aevalsrc expression of t: chord A fades into chord B and back
    every 16 s, the whole pad breathes with a 0.2 Hz tremolo (so it repeats every 80 s)."""
    chord_a, chord_b = CHORDS[music]
    mix = "(0.5+0.5*sin(2*PI*t/16))"
    a = "+".join(f"sin(2*PI*{f}*t)" for f in chord_a)
    b = "+".join(f"sin(2*PI*{f}*t)" for f in chord_b)
    tremolo = "(0.8+0.2*sin(2*PI*0.2*t))"
    return f"{MUSIC_GAIN}*{tremolo}*(({a})*{mix}+({b})*(1-{mix}))"


def _pad_source(music: str, total: float) -> str:
    """The pad with its swell, drawn for one reel (when no pad file is at hand)."""
    swell = f"min(1,t/2)*min(1,({total:.3f}-t)/1.5)"
    expr = f"{swell}*{_pad_expression(music)}"
    return f"aevalsrc=exprs='{expr}':s={AUDIO_RATE}:d={total:.3f}:c=mono"


def pad_file(store: ArtifactStore, music: str) -> tuple[Path, float]:
    """One period of the chord pad, drawn once per store and reused by every reel (looped
    and faded there): evaluating the expression per sample cost about half a CPU second per
    reel in each of the three passes that hear the mix. Named by a hash of the expression,
    so a changed pad is a new file. Returns the file and the CPU seconds spent making it."""
    expr = _pad_expression(music)
    digest = hashlib.sha256(f"{expr}:{AUDIO_RATE}:{PAD_PERIOD_S}".encode()).hexdigest()[:16]
    path = store.path_for("cache/pads", f"{music}-{digest}.wav")
    if path.is_file():
        return path, 0.0
    partial = aside(path)
    source = f"aevalsrc=exprs='{expr}':s={AUDIO_RATE}:d={PAD_PERIOD_S}:c=mono"
    run = run_ffmpeg(["-f", "lavfi", "-i", source, "-c:a", "pcm_s16le", str(partial)],
                     what="music pad")  # fmt: skip
    os.replace(partial, path)  # whole or absent: a concurrent compose never reads half a pad
    return path, run.cpu_seconds


def _span_len(span: SceneSpan) -> float:
    return span.end - span.start
