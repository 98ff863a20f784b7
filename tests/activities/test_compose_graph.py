"""The compose graph for every scene kind and aspect, loudness, encoder fallback, own media.

Renders here are short (4-6 s) and use x264 superfast: they pin what the graph does, not how
fast; the full-length reel is in test_compose.py and the speed in benchmarks/compose.py.
"""

import itertools
import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.caption_track import CaptionTrack
from activities.compose import (
    ComposeActivities,
    CompositionPlan,
    _full_size,
    _mix,
    _sound,
    compose_args,
    encode_frames_args,
    frames_args,
    measure_inputs,
    side_by_side,
    transition,
    working_size,
    x264_threads,
)
from activities.encoders import encoder_works, pick_encoder
from activities.ffmpeg_run import run_ffmpeg
from activities.loudness import measure
from activities.media_library import match, scan
from activities.mp4info import track_durations
from activities.quality import probe
from activities.visuals import VisualsActivities
from tests.activities.test_compose import _voice_wav
from workflows.contracts import (
    ComposeRequest,
    LookConfig,
    Scene,
    SceneClip,
    SceneSpan,
    Script,
    StageCost,
    Visuals,
    VisualsRequest,
    VoiceTrack,
)

REEL = "reel/graph/2024-01-01/1"
ASPECTS = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}
NO_COST = StageCost("t", "t", 0.0, 0.0, 0.0)


def _ffmpeg(*args: str) -> None:
    run_ffmpeg(list(args), what="test input")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Own media as an operator would drop it: landscape footage, a photo, a tag sidecar."""
    folder = tmp_path_factory.mktemp("media")
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=1920x1080:r=30:d=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(folder / "octopus-reef.mp4"),
    )
    _ffmpeg(
        "-f", "lavfi", "-i", "mandelbrot=s=1200x800", "-frames:v", "1", str(folder / "IMG_0042.jpg")
    )
    (folder / "IMG_0042.json").write_text(json.dumps({"tags": ["coconut", "shells"]}))
    (folder / "notes.md").write_text("not media")
    return folder


def _voice(store: ArtifactStore, seconds: float, amplitude: float) -> VoiceTrack:
    wav, alignment = store.path_for(REEL, "voice.wav"), store.path_for(REEL, "alignment.json")
    _voice_wav(wav, seconds, amplitude)
    third = seconds / 3
    spans = [SceneSpan(round(k * third, 3), round((k + 1) * third, 3)) for k in range(3)]
    words = [
        {"text": w, "start": k * 0.5, "end": k * 0.5 + 0.4, "scene": min(2, int(k * 0.5 / third))}
        for k, w in enumerate(["Some", "octopuses", "carry", "coconut", "shells", "as", "armour"])
    ]
    alignment.write_text(json.dumps(words))
    return VoiceTrack(to_uri(wav), to_uri(alignment), seconds, spans, NO_COST)


def _generated(store: ArtifactStore, seconds: float) -> Path:
    path = store.path_for(REEL, "generated.mp4")
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"gradients=s=270x480:r=30:d={seconds}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(path),
    )
    return path


def _scenes(store: ArtifactStore, media: Path, seconds: float) -> Visuals:
    generated = _generated(store, seconds)
    return Visuals(
        [
            SceneClip(to_uri(generated), seconds, "generated"),
            SceneClip(to_uri(media / "octopus-reef.mp4"), 2.0, "video", "octopus-reef.mp4"),
            SceneClip(to_uri(media / "IMG_0042.jpg"), seconds, "still", "IMG_0042.jpg"),
        ],
        NO_COST,
    )


def _look(aspect: str = "9:16", **kwargs: object) -> LookConfig:
    width, height = ASPECTS[aspect]
    return LookConfig(width=width, height=height, aspect=aspect, x264_preset="superfast", **kwargs)


def test_graph_fits_each_scene_kind_its_own_way(tmp_path: Path, media: Path) -> None:
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 6.0, 0.3)
    visuals = _scenes(store, media, 6.0)
    req = ComposeRequest(REEL, _look(transition="slideup"), voice, visuals)
    plan = CompositionPlan(
        clips=[to_path(c.uri) for c in visuals.clips], voice=to_path(voice.audio_uri),
        captions=None, out=tmp_path / "o.mp4", total=6.4,
    )  # fmt: skip
    args = compose_args(req, plan)
    graph = args[args.index("-filter_complex") + 1]
    loop = args.index("-stream_loop")
    assert args[args.index("-i", loop) + 1].endswith("octopus-reef.mp4")  # footage loops
    # The still closes the reel: 2 s of scene plus the 0.4 s tail, zoomed at 30 fps.
    assert graph.count("zoompan") == 1 and "d=72" in graph
    assert graph.count("crop=") == 3 and graph.count("scale=1080:1920") == 2
    assert graph.count("xfade") == 2 and "transition=slideup" in graph
    # Transitions are short segments between scene bodies, all in one concat.
    assert graph.count("concat=a=0:n=5:v=1") == 1
    assert "sidechaincompress" in graph and "loudnorm" in graph

    safe = compose_args(ComposeRequest(REEL, req.look, voice, visuals, safe=True), plan)
    safe_graph = safe[safe.index("-filter_complex") + 1]
    assert "xfade" not in safe_graph and "concat" in safe_graph
    assert safe[safe.index("-preset") + 1] == "veryfast"


@pytest.mark.parametrize("aspect", sorted(ASPECTS))
def test_every_aspect_renders_at_its_size_with_all_scene_kinds(
    tmp_path: Path, media: Path, aspect: str
) -> None:
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 4.0, 0.3)
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(aspect), voice, _scenes(store, media, 4.0))
    )
    info = probe(to_path(reel.video_uri))
    assert (info.width, info.height) == ASPECTS[aspect]
    assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.fps, info.audio_codec, info.audio_rate) == (30.0, "aac", 48000)
    tracks = track_durations(to_path(reel.video_uri))
    # Scene edges at thirds of a second fall between frames: the picture must not drift.
    assert abs(tracks["video"] - tracks["audio"]) <= 0.02
    assert to_path(reel.cover_uri).stat().st_size > 0


@pytest.mark.parametrize(("name", "amplitude"), [("quiet", 0.01), ("loud", 0.95)])
def test_quiet_and_loud_voices_both_land_at_minus_14_lufs(
    tmp_path: Path, media: Path, name: str, amplitude: float
) -> None:
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 6.0, amplitude)
    before = measure(to_path(voice.audio_uri))
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(), voice, _scenes(store, media, 6.0))
    )
    after = measure(to_path(reel.video_uri))
    assert abs(before.integrated_lufs + 14) > 5  # the input really was off target
    assert after.integrated_lufs == pytest.approx(-14.0, abs=1.0)
    assert after.true_peak_dbtp is not None and after.true_peak_dbtp <= -1.0


def test_the_render_hears_the_mix_as_measured_without_mixing_again(
    tmp_path: Path, media: Path
) -> None:
    # The measuring pass keeps the mix; the limiter's pass and the render read it back, and
    # what they hear is the mix sample for sample.
    store = ArtifactStore(tmp_path)
    # A remedied mix (a lower ceiling) goes through the limiter and its own measuring pass.
    req = ComposeRequest(REEL, _look(), _voice(store, 6.0, 0.3), _scenes(store, media, 6.0),
                         peak_margin_db=1.0)  # fmt: skip
    plan = ComposeActivities(store, 0.0).plan(req, tmp_path)
    assert plan.mixed == tmp_path / "mix.wav" and plan.gain_db is not None
    digests = []
    for mixed in (plan.mixed, None):
        out = tmp_path / f"sound-{len(digests)}.md5"
        sound = _sound(replace(plan, mixed=mixed), req.look)
        args = ffmpeg.output(sound, str(out), f="md5", acodec="pcm_f32le").get_args()
        assert ("aresample" in " ".join(args)) == (mixed is None)  # mixed again, or read
        run_ffmpeg(args, what="sound")
        digests.append(out.read_text())
    assert digests[0] == digests[1]


def test_the_pads_reel_is_mono_and_measures_as_its_stereo_twin(tmp_path: Path, media: Path) -> None:
    # The voice and the pad are mono: the reel's sound is one channel, and its loudness is
    # what the same samples in both channels of a stereo track measure.
    store = ArtifactStore(tmp_path)
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(), _voice(store, 6.0, 0.3), _scenes(store, media, 6.0)))
    path = to_path(reel.video_uri)
    assert probe(path).audio_layout == "mono"
    twin = tmp_path / "twin.wav"
    # Each sample in both channels, as players put mono on two speakers (`-ac 2` would
    # spread it at -3 dB a channel instead).
    run_ffmpeg(["-i", str(path), "-map", "0:a", "-af", "pan=stereo|c0=c0|c1=c0", str(twin)],
               what="stereo twin")  # fmt: skip
    loudness = measure(path).integrated_lufs
    assert loudness == pytest.approx(measure(twin).integrated_lufs, abs=0.1)
    assert loudness == pytest.approx(-14.0, abs=1.0)


def test_the_mono_mix_is_the_stereo_mixs_channel_ducking_and_all(
    tmp_path: Path, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ffmpeg's upmix put the mono voice and pad at -3 dB in each stereo channel; the mono mix
    # carries them at their own level, and the bed must still dip where it did.
    store = ArtifactStore(tmp_path)
    req = ComposeRequest(REEL, _look(), _voice(store, 6.0, 0.3), _scenes(store, media, 6.0))
    plan = replace(ComposeActivities(store, 0.0).plan(req, tmp_path), mixed=None)
    samples = {}
    for layout in ("mono", "stereo"):
        monkeypatch.setattr("activities.compose_audio.layout", lambda _plan, chosen=layout: chosen)
        out = tmp_path / f"{layout}.f32"
        run_ffmpeg(ffmpeg.output(_mix(plan, req.look), str(out), f="f32le").get_args(),
                   what="mix")  # fmt: skip
        samples[layout] = np.fromfile(out, dtype=np.float32)
    left = samples["stereo"][0::2]
    assert np.array_equal(left, samples["stereo"][1::2])
    assert np.abs(samples["mono"] * np.sqrt(0.5) - left).max() < 1e-5
    assert np.abs(left).max() > 0.05  # a mix was heard, not silence


def test_a_music_file_is_looped_under_the_voice_and_levelled(tmp_path: Path, media: Path) -> None:
    store = ArtifactStore(tmp_path)
    music = tmp_path / "loud-music.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=2", "-af", "volume=0.9", "-c:a", "aac", str(music))
    voice = _voice(store, 6.0, 0.3)
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(music_file=str(music)), voice, _scenes(store, media, 6.0))
    )
    after = measure(to_path(reel.video_uri))
    assert after.integrated_lufs == pytest.approx(-14.0, abs=1.0)
    assert probe(to_path(reel.video_uri)).audio_layout == "stereo"  # a music file may be
    tracks = track_durations(to_path(reel.video_uri))
    assert tracks["audio"] == pytest.approx(6.4, abs=0.05)  # the 2 s file looped to the end
    # The file's loudness is kept under a hash of its bytes and read back by the next reel.
    cached = list((tmp_path / "cache" / "loudness").glob("*.json"))
    assert len(cached) == 1
    levels = measure_inputs(store, to_path(voice.audio_uri), music)
    assert levels.music_lufs == json.loads(cached[0].read_text())["integrated_lufs"]


def test_procedural_scenes_are_joined_at_their_size_and_scaled_up_once(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 6.0, 0.3)
    scenes = [Scene(text=f"scene {k}", keywords=[f"k{k}"]) for k in range(3)]
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(REEL, _look(), Script("t", "", [], scenes), voice.scenes)
    )
    req = ComposeRequest(REEL, _look(), voice, visuals)
    script = tmp_path / "captions-band.ass"
    track = CaptionTrack(script, tmp_path, top=1100, height=240, fps=30, length=192, changes=[0, 9])
    plan = CompositionPlan(
        clips=[to_path(c.uri) for c in visuals.clips], voice=to_path(voice.audio_uri),
        captions=track, out=tmp_path / "o.mp4", total=6.4,
    )  # fmt: skip
    assert working_size(req, plan) == (540, 960)
    graph = compose_args(req, plan)[compose_args(req, plan).index("-filter_complex") + 1]
    # The default cross-fades are drawn in 4:2:0 (see test_the_default_cross_fade_...).
    upscales = [m.start() for m in re.finditer(r"scale=[^;\[]*1920", graph)]
    assert len(upscales) == 1 and graph.count("fade=alpha=1") == 2
    assert "xfade" not in graph
    # The captions go on at the reel's size, after the one upscale; libass draws only the two
    # changes and the frame after the last (which closes the captions), never every frame.
    captions = graph.index("overlay=alpha=straight:eof_action=pass:format=yuv420:x=0:y=1100")
    assert graph.index("concat=") < upscales[0] < captions
    assert "select=eq(n\\,0)+eq(n\\,9)+eq(n\\,192)[" in graph and graph.count("ass=") == 1


def test_unavailable_hardware_encoder_falls_back_to_libx264(tmp_path: Path, media: Path) -> None:
    if encoder_works("h264_nvenc"):
        pytest.skip("this machine has a working NVENC; the fallback cannot be shown here")
    assert pick_encoder("h264_nvenc") == "libx264"
    assert pick_encoder("auto") == "libx264"
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 4.0, 0.3)
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(encoder="h264_nvenc"), voice, _scenes(store, media, 4.0))
    )
    assert reel.encoder == "libx264" and reel.cost.backend == "ffmpeg/libx264"
    assert probe(to_path(reel.video_uri)).video_codec == "h264"


def test_own_media_matches_scenes_by_file_name_and_sidecar_tags(media: Path) -> None:
    items = scan(media)
    assert sorted(i.path.name for i in items) == ["IMG_0042.jpg", "octopus-reef.mp4"]
    chosen = match([["Octopuses"], ["nothing", "here"], ["coconut"], ["octopus", "reef"]], items)
    names = [c.path.name if c else None for c in chosen]
    # The fourth scene reuses the footage: nothing else matches it.
    assert names == ["octopus-reef.mp4", None, "IMG_0042.jpg", "octopus-reef.mp4"]


def test_visuals_take_own_media_before_generating(tmp_path: Path, media: Path) -> None:
    store = ArtifactStore(tmp_path)
    spans = [SceneSpan(0.0, 1.0), SceneSpan(1.0, 2.0), SceneSpan(2.0, 3.0)]
    scenes = [Scene("a", ["octopus"]), Scene("b", ["quasar"]), Scene("c", ["coconut", "shell"])]
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(REEL, _look(), Script("t", "", [], scenes), spans, str(media))
    )
    kinds = [(c.kind, c.source) for c in visuals.clips]
    assert [k for k, _ in kinds] == ["video", "procedural", "still"]
    assert kinds[0][1] == "octopus-reef.mp4" and kinds[2][1] == "IMG_0042.jpg"
    assert visuals.clips[0].duration_s == pytest.approx(2.0, abs=0.05)
    assert visuals.cost.backend == "own-media+procedural"


def test_own_footage_is_transcoded_once_to_the_reels_frame(tmp_path: Path, media: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    source = tmp_path / "reef-octopus.mp4"
    shutil.copyfile(media / "octopus-reef.mp4", source)
    request = VisualsRequest(REEL, _look(), Script("t", "", [], [Scene("a", ["octopus"])]),
                             [SceneSpan(0.0, 1.5)], str(tmp_path))  # fmt: skip
    first = VisualsActivities(store, 0.0).make_visuals(request)
    clip = to_path(first.clips[0].uri)
    assert clip.parent == store.root / "cache" / "mezzanine"
    assert first.clips[0].source == "reef-octopus.mp4"
    info = probe(clip)  # landscape 1920x1080 in, the reel's vertical frame out
    assert (info.width, info.height, info.fps) == (1080, 1920, 30.0)
    # Its limited range is said in the stream, so compose's scale of it passes frames through
    # (an unsaid range is converted to limited on every frame).
    banner = run_ffmpeg(["-i", str(clip), "-frames:v", "1", "-f", "null", "-"], what="read")
    assert "yuv420p(tv" in banner.stderr
    assert first.clips[0].duration_s == pytest.approx(2.0, abs=0.05)
    assert first.cost.cpu_seconds > 0  # ffmpeg's own CPU time, reaped by wait4, is counted

    made_at = clip.stat().st_mtime_ns
    again = VisualsActivities(store, 0.0).make_visuals(request)
    assert again.clips[0].uri == first.clips[0].uri and clip.stat().st_mtime_ns == made_at
    assert not list(clip.parent.glob("*partial*"))

    os.utime(source, ns=(made_at + 10**9, made_at + 10**9))  # the operator replaced the file
    changed = VisualsActivities(store, 0.0).make_visuals(request)
    assert changed.clips[0].uri != first.clips[0].uri

    voice = _voice(store, 1.5, 0.3)
    one = SceneSpan(0.0, voice.duration_s)
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(), replace(voice, scenes=[one]), again)
    )
    assert (probe(to_path(reel.video_uri)).width, probe(to_path(reel.video_uri)).height) == (
        1080, 1920)  # fmt: skip


def test_scene_edges_between_frames_do_not_shorten_the_picture(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 5.05, 0.3)
    # Five scenes whose edges all fall between frames at 30 fps.
    edges = [0.0, 1.01, 2.02, 3.03, 4.04, 5.05]
    voice.scenes = [SceneSpan(a, b) for a, b in itertools.pairwise(edges)]
    generated = _generated(store, 2.0)
    copies = [generated.with_name(f"scene-{k}.mp4") for k in range(5)]
    for copy in copies:
        shutil.copyfile(generated, copy)
    visuals = Visuals([SceneClip(to_uri(c), 2.0, "generated") for c in copies], NO_COST)
    reel = ComposeActivities(store, 0.0).compose_reel(ComposeRequest(REEL, _look(), voice, visuals))
    tracks = track_durations(to_path(reel.video_uri))
    assert tracks["audio"] == pytest.approx(reel.duration_s, abs=0.01)
    assert abs(tracks["video"] - tracks["audio"]) <= 0.02


def test_one_own_clip_in_two_scenes_is_read_twice(tmp_path: Path, media: Path) -> None:
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 4.0, 0.3)
    footage = SceneClip(to_uri(media / "octopus-reef.mp4"), 2.0, "video", "octopus-reef.mp4")
    reel = ComposeActivities(store, 0.0).compose_reel(
        ComposeRequest(REEL, _look(), voice, Visuals([footage, footage, footage], NO_COST))
    )
    assert probe(to_path(reel.video_uri)).duration_s == pytest.approx(4.4, abs=0.05)


def test_visuals_take_the_files_picked_by_meaning(tmp_path: Path, media: Path) -> None:
    store = ArtifactStore(tmp_path)
    spans = [SceneSpan(0.0, 1.0), SceneSpan(1.0, 2.0)]
    scenes = [Scene("a", ["quasar"]), Scene("b", ["octopus"])]  # keywords would pick otherwise
    picks = [str(media / "IMG_0042.jpg"), ""]
    visuals = VisualsActivities(store, 0.0).make_visuals(
        VisualsRequest(REEL, _look(), Script("t", "", [], scenes), spans, str(media), picks)
    )
    assert [c.kind for c in visuals.clips] == ["still", "procedural"]
    assert visuals.clips[0].source == "IMG_0042.jpg"


def test_composes_side_by_side_share_the_cores_and_still_render(
    tmp_path: Path, media: Path
) -> None:
    with side_by_side() as alone, side_by_side() as second:
        cores = len(os.sched_getaffinity(0))
        assert alone == cores
        assert second == max(1, cores // 2)
    # x264 gets its own 1.5 threads per core of those; a compose sharing one core gets one.
    assert (x264_threads(1), x264_threads(2), x264_threads(4)) == (1, 3, 6)
    with side_by_side() as again:
        assert again == cores  # the others finished: the cores are this one's again
    store = ArtifactStore(tmp_path)
    voice = _voice(store, 4.0, 0.3)
    visuals = _scenes(store, media, 4.0)
    req = ComposeRequest(REEL, _look(), voice, visuals)
    out = tmp_path / "shared.mp4"
    plan = CompositionPlan(
        clips=[to_path(c.uri) for c in visuals.clips], voice=to_path(voice.audio_uri),
        captions=None, out=out, total=4.4, threads=1,
    )  # fmt: skip
    args = compose_args(req, plan)
    # The sources' own graphs (one lavfi input each) get one thread, like the decoders.
    assert args[:4] == ["-cpucount", "1", "-filter_complex_threads", "1"]
    assert args[args.index(str(out)) - 2 : args.index(str(out))] == ["-threads", "1"]
    run_ffmpeg(args, what="compose with shared cores")
    assert probe(out).duration_s == pytest.approx(4.4, abs=0.05)


def test_frames_args_write_the_very_frames_the_encoder_gets(tmp_path: Path, media: Path) -> None:
    # The benchmarks' floor encodes these: the reel's picture as the render hands it to x264,
    # raw, frame for frame (frames decoded from the finished reel have lost detail to x264).
    store = ArtifactStore(tmp_path)
    req = ComposeRequest(REEL, _look(), _voice(store, 4.0, 0.3), _scenes(store, media, 4.0))
    composer = ComposeActivities(store, 0.0)
    reel = to_path(composer.compose_reel(req).video_uri)
    raw = tmp_path / "frames.nut"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    plan = composer.plan(req, scratch)
    assert plan.out.name == "reel.partial.mp4" and plan.cover is not None
    run_ffmpeg(frames_args(req, plan, raw), what="frames")
    assert not plan.out.exists() and not plan.cover.exists()  # the plan's own files untouched
    banner = run_ffmpeg(["-i", str(raw), "-map", "0:v", "-f", "null", "-"], what="read").stderr
    assert "Video: rawvideo" in banner and "1080x1920" in banner
    assert _frames(banner) == _frames(run_ffmpeg(["-i", str(reel), "-map", "0:v", "-f", "null",
                                                  "-"], what="read").stderr) == 132  # 4.4 s
    # x264 is deterministic: given these frames, the reel's settings and threads, it makes
    # the reel's picture again, bit for bit.
    again = tmp_path / "again.mp4"
    threads = ["-threads", str(x264_threads(len(os.sched_getaffinity(0))))]  # as alone
    run_ffmpeg([*encode_frames_args(req, raw), *threads, str(again)], what="encode")
    assert _picture_md5(again) == _picture_md5(reel)


def _frames(stderr: str) -> int:
    return int(stderr.rsplit("frame=", 1)[1].split()[0])


def _picture_md5(path: Path) -> str:
    digest = path.with_suffix(".md5")
    run_ffmpeg(["-i", str(path), "-map", "0:v", "-f", "md5", str(digest)], what="md5")
    return digest.read_text().strip()


def test_the_default_cross_fade_is_xfades_mix_drawn_in_4_2_0(tmp_path: Path) -> None:
    # xfade works in 4:4:4 only, so ffmpeg would convert both inputs up and the result back
    # down around each one; the default "fade" is the head fading in through its alpha.
    def scene(source: str) -> object:
        return ffmpeg.input(f"{source}=s=540x960:r=30:d=0.3", f="lavfi").filter(
            "format", "yuv420p")  # fmt: skip

    ours = tmp_path / "ours.nut"
    theirs = tmp_path / "xfade.nut"
    for out, picture in (
        (ours, transition(scene("testsrc2"), scene("smptehdbars"), 0.3, "fade")),
        (theirs, ffmpeg.filter([scene("testsrc2"), scene("smptehdbars")], "xfade",
                               transition="fade", duration=0.3, offset=0)),
    ):  # fmt: skip
        args = ffmpeg.output(picture, str(out), vcodec="rawvideo", pix_fmt="yuv420p").get_args()
        log = run_ffmpeg(["-v", "verbose", *args], what="cross-fade").stderr
        assert ("fmt:yuv444p" in log) == (out == theirs)  # 4:4:4 only around xfade
    compared = run_ffmpeg(["-i", str(ours), "-i", str(theirs), "-lavfi", "psnr", "-f", "null",
                           "-"], what="psnr").stderr  # fmt: skip
    assert _frames(compared) == 9
    average = float(compared.rsplit("average:", 1)[1].split()[0])
    assert average > 40  # the same mix, up to rounding in the chroma's alpha


def test_the_upscale_is_zimgs_with_swscales_picture_and_swscales_without_zimg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zimg resizes this ffmpeg's 2x for less CPU; a build without libzimg keeps swscale, and
    # both give the same picture.
    from activities import compose_graph

    look = _look()
    drawn = ffmpeg.input("testsrc2=s=540x960:r=30:d=0.5", f="lavfi").filter("format", "yuv420p")
    zimg = _full_size(drawn, (540, 960), look)
    monkeypatch.setattr(compose_graph, "listed", lambda kind: frozenset())
    swscale = _full_size(drawn, (540, 960), look)
    outs = []
    for name, picture in (("zimg", zimg), ("swscale", swscale)):
        outs.append(tmp_path / f"{name}.nut")
        args = ffmpeg.output(picture, str(outs[-1]), vcodec="rawvideo").get_args()
        assert ("zscale=" in " ".join(args)) == (name == "zimg")
        run_ffmpeg(args, what=f"{name} upscale")
    info = probe(outs[0])
    assert (info.width, info.height) == (1080, 1920)
    compared = run_ffmpeg(["-i", str(outs[0]), "-i", str(outs[1]), "-lavfi", "psnr", "-f",
                           "null", "-"], what="psnr").stderr  # fmt: skip
    assert _frames(compared) == 15
    luma, average = (float(compared.rsplit(f"{k}:", 1)[1].split()[0]) for k in ("y", "average"))
    # The same luma; chroma differs only by where each places 4:2:0's samples (zimg: left,
    # as H.264 has them), which shows on testsrc2's hard colour edges and on nothing drawn.
    assert luma > 60 and average > 40
