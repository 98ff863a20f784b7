"""check_quality against crafted reels that are each wrong in one way."""

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.artifacts import ArtifactStore, to_uri
from activities.ffmpeg_run import run_ffmpeg
from activities.quality import QualityActivities, parse_defects, parse_probe
from workflows.contracts import LookConfig, QualityRequest

SECONDS = 16.0
TONE = f"sine=f=330:r=48000:d={SECONDS}"
# Moving but cheap to encode: a scrolling test pattern drawn small and scaled up.
MOVING = f"testsrc2=s=270x480:r=30:d={SECONDS},scale=1080:1920:flags=neighbor"
STILL = "testsrc2=s=270x480:r=30:d=1,trim=end_frame=1,loop=loop=-1:size=1,scale=1080:1920"


def _make(path: Path, video: str, audio: str) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio, "-t", str(SECONDS),
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-ar", "48000", str(path)], what="test reel")  # fmt: skip
    return path


def _check(tmp_path: Path, video: Path) -> ApplicationError:
    store = ArtifactStore(tmp_path)
    req = QualityRequest(
        reel_id="reel/q/2024-01-01/1",
        video_uri=to_uri(video),
        look=LookConfig(),
        voice_duration_s=SECONDS,
    )
    with pytest.raises(ApplicationError) as err:
        QualityActivities(store, 0.0).check_quality(req)
    return err.value


@pytest.mark.parametrize(
    ("name", "video", "audio", "failing"),
    [
        ("black", f"color=c=black:s=1080x1920:r=30:d={SECONDS}", TONE, "black"),
        ("silent", MOVING, f"anullsrc=r=48000:cl=mono:d={SECONDS}", "audio"),
        ("small", f"testsrc2=s=540x960:r=30:d={SECONDS}", TONE, "size"),
        (
            "still",
            STILL,
            TONE,
            "frozen",
        ),
    ],
    ids=["black", "silent", "wrong-size", "frozen"],
)
def test_check_quality_fails_the_broken_reel(
    tmp_path: Path, name: str, video: str, audio: str, failing: str
) -> None:
    error = _check(tmp_path, _make(tmp_path / f"{name}.mp4", video, audio))
    assert error.type == "QualityFailed" and error.non_retryable
    named = error.message.split(": ")[1].split(", ")
    assert failing in named
    report = error.details[0]
    assert report["passed"] is False
    assert report["checks"][failing] != "ok"
    assert report["checks"]["streams"] == "ok"


def test_check_quality_fails_a_reel_shorter_than_its_voice(tmp_path: Path) -> None:
    video = _make(tmp_path / "short.mp4", MOVING, TONE)
    store = ArtifactStore(tmp_path)
    req = QualityRequest(
        reel_id="reel/q/2024-01-01/2",
        video_uri=to_uri(video),
        look=LookConfig(),
        voice_duration_s=SECONDS + 3,
    )
    with pytest.raises(ApplicationError, match="duration") as err:
        QualityActivities(store, 0.0).check_quality(req)
    assert err.value.details[0]["checks"]["frozen"] == "ok"


BANNER = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'reel.mp4':
  Duration: 00:00:30.40, start: 0.000000, bitrate: 3506 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), \
1080x1920 [SAR 1:1 DAR 9:16], 3335 kb/s, 29.97 fps, 29.97 tbr, 15360 tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 161 kb/s
"""


def test_parse_probe_reads_the_banner() -> None:
    info = parse_probe(BANNER)
    assert (info.width, info.height, info.fps, info.duration_s) == (1080, 1920, 29.97, 30.4)
    assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.audio_codec, info.audio_rate, info.audio_layout) == ("aac", 48000, "stereo")


def test_parse_defects_closes_segments_open_at_the_end() -> None:
    log = """\
[blackdetect @ 0x1] black_start:2 black_end:3.5 black_duration:1.5
[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 10.2
[freezedetect @ 0x2] lavfi.freezedetect.freeze_duration: 1.3
[freezedetect @ 0x2] lavfi.freezedetect.freeze_end: 11.5
[freezedetect @ 0x2] lavfi.freezedetect.freeze_start: 25
[silencedetect @ 0x3] silence_start: -0.01
[silencedetect @ 0x3] silence_end: 1.5 | silence_duration: 1.51
[Parsed_volumedetect_0 @ 0x4] mean_volume: -21.5 dB
"""
    defects = parse_defects(log, duration_s=30.0)
    assert defects.mean_volume_db == -21.5
    assert defects.black == [(2.0, 1.5)]
    assert defects.frozen == [(10.2, pytest.approx(1.3)), (25.0, 5.0)]
    assert defects.silence == [(0.0, 1.5)]
