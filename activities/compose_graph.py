"""The reel's picture and the one ffmpeg command that renders it.

Every scene (a generated clip, the channel's own footage cover-cropped and looped, or a still
with a slow zoom) is fitted to its narration, cross-faded into the next, captioned and
encoded once; a procedural scene is drawn by lavfi sources inside the same command from its
recipe. The same frames feed the quality stage's black and frozen detectors through a
second, null output, and the cover through a third; the sound is `compose_audio`'s.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import ffmpeg

from activities.caption_track import overlaid
from activities.compose_audio import AAC, AAC_BITRATE, AUDIO_RATE, CHANNELS, layout, sound
from activities.compose_plan import CompositionPlan, Stream
from activities.encoders import RAW_FRAMES, SOFTWARE, video_args
from activities.ffmpeg_run import listed
from activities.illustrated import ILLUSTRATED
from activities.illustrated import read as read_illustrated
from activities.illustrated import scene as illustrated_scene
from activities.mezzanine import fit_to_frame
from activities.quality import ANALYSIS_FILTERS
from activities.visuals import PROCEDURAL, read_recipe, scene_graph
from workflows.contracts import ComposeRequest, LookConfig, SceneClip

XFADE_S = 0.3
COVER_AT_S = 1.0
# Every scene's decoder is open for the whole render; frame threads each hold a set of
# reference frames, so one thread per input keeps memory flat while x264 has the cores.
DECODE_THREADS = 1
LAVFI_QUEUE = 4  # frames a procedural source may draw ahead of concat (see _procedural)
STILL_ZOOM = 0.10  # a still grows (or shrinks) by 10% over its scene

# generated: a clip file that holds its last frame; procedural and illustrated: recipes
# compose draws.
SCENE_KINDS = ("generated", PROCEDURAL, ILLUSTRATED, "video", "still")
DRAWN = (PROCEDURAL, ILLUSTRATED)


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
    audio = sound(plan, look)
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
    if any(clip.kind not in DRAWN for clip in req.visuals.clips):
        return full
    sizes = {(r.width, r.height) for r in (
        read_recipe(path) if clip.kind == PROCEDURAL else read_illustrated(path)
        for path, clip in zip(plan.clips, req.visuals.clips, strict=True))}
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
    if clip.kind == ILLUSTRATED:
        return _illustrated(path, seconds, look, k, size or (look.width, look.height))
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


def _illustrated(
    path: Path, seconds: float, look: LookConfig, k: int, size: tuple[int, int]
) -> Stream:
    """An illustrated recipe drawn inside this command: a lavfi gradient under its icons,
    each icon's PNG decoded once and held by overlay (activities/illustrated.py)."""
    recipe = read_illustrated(path)
    # Input queue sizes keep inputs distinct (_own_input): the background's is a procedural
    # scene's (a scene is one or the other), the icons' are above every file's 64+k.
    stream = illustrated_scene(recipe, seconds, LAVFI_QUEUE + k, 1000 + 16 * k)
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
