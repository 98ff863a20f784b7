"""The CLI reports bad input in one line naming file, field and reason, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _monolathe(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "--config", str(tmp_path / "temporal.yaml"), *args],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )


def _project(tmp_path: Path) -> None:
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    (tmp_path / "temporal.yaml").write_text("server: {address: '127.0.0.1:1'}\n")


def test_check_accepts_the_shipped_config(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 0, run.stderr
    assert "demo.yaml: ok" in run.stdout


def test_check_names_file_field_and_reason(tmp_path: Path):
    _project(tmp_path)
    bad = tmp_path / "channels" / "demo.yaml"
    bad.write_text(bad.read_text().replace("per_day: 3", "per_day: 0"))
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 2
    assert "demo.yaml: cadence.per_day: Input should be greater than or equal to 1" in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_channel_lists_the_known_ones(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "channel", "start", "nope")
    assert run.returncode == 2
    assert "nope.yaml: file not found" in run.stderr and "known channels: demo" in run.stderr


def test_unreachable_server_says_how_to_start_one(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "channel", "status", "demo")
    assert run.returncode == 2
    assert "no Temporal server at 127.0.0.1:1" in run.stderr and "monolathe up" in run.stderr
    assert "Traceback" not in run.stderr


def test_invalid_temporal_yaml_is_reported(tmp_path: Path):
    _project(tmp_path)
    (tmp_path / "temporal.yaml").write_text("server: {ui_port: 70000}\n")
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 2
    assert "temporal.yaml: server.ui_port: Input should be less than or equal to 65535" in run.stderr


def _channel_with(tmp_path: Path, old: str, new: str) -> None:
    demo = tmp_path / "channels" / "demo.yaml"
    assert old in demo.read_text()
    demo.write_text(demo.read_text().replace(old, new))


def _check_fails(tmp_path: Path, expected: str) -> None:
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 2, run.stdout
    assert "demo.yaml: invalid" in run.stdout
    assert expected in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_check_opens_the_trend_feed(tmp_path: Path):
    _project(tmp_path)
    (tmp_path / "channels" / "feeds" / "science.yaml").write_text("hello: not a feed\n")
    _check_fails(tmp_path, "demo.yaml: trends.feed: ")
    _check_fails(tmp_path, "science.yaml: topics: must be a non-empty list")


def test_check_loads_the_caption_font(tmp_path: Path):
    _project(tmp_path)
    (tmp_path / "channels" / "font.ttf").write_text("not a font")
    _channel_with(tmp_path, 'caption_font: ""', "caption_font: font.ttf")
    _check_fails(tmp_path, "demo.yaml: look.caption_font: ")
    _check_fails(tmp_path, "font.ttf: not a usable TrueType/OpenType font")


def test_check_decodes_the_music_file(tmp_path: Path):
    _project(tmp_path)
    (tmp_path / "channels" / "music.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    _channel_with(tmp_path, 'music_file: ""', "music_file: music.mp3")
    _check_fails(tmp_path, "demo.yaml: look.music_file: ")
    _check_fails(tmp_path, "music.mp3: no decodable audio")


def test_check_lists_the_media_folder(tmp_path: Path):
    _project(tmp_path)
    (tmp_path / "channels" / "media").mkdir()
    (tmp_path / "channels" / "media" / "notes.txt").write_text("no clips here")
    _channel_with(tmp_path, 'media_dir: ""', "media_dir: media")
    _check_fails(tmp_path, "demo.yaml: media_dir: ")
    _check_fails(tmp_path, "media: no clips or images in it")


def test_check_accepts_a_real_music_file_and_media(tmp_path: Path):
    from activities.ffmpeg_run import run_ffmpeg

    _project(tmp_path)
    media = tmp_path / "channels" / "media"
    media.mkdir()
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(media / "tone.m4a")])
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=64x64:d=0.1", "-frames:v", "1",
                str(media / "sky.png")])
    _channel_with(tmp_path, 'music_file: ""', "music_file: media/tone.m4a")
    _channel_with(tmp_path, 'media_dir: ""', "media_dir: media")
    run = _monolathe(tmp_path, "check")
    assert run.returncode == 0, run.stderr
def test_estimate_and_backends_work_on_a_fresh_install_without_a_server(tmp_path: Path):
    _project(tmp_path)
    shipped = (REPO / "temporal.yaml").read_text()
    (tmp_path / "temporal.yaml").write_text(shipped.replace("127.0.0.1:7233", "127.0.0.1:1"))
    run = _monolathe(tmp_path, "backends")
    assert run.returncode == 0, run.stderr
    assert "Temporal not reachable at 127.0.0.1:1" in run.stdout
    lines = {line.split()[0]: line for line in run.stdout.splitlines()[2:] if line.strip()}
    assert "closed (no calls yet)" in lines["procedural"]
    assert "not configured (no key" in lines["runway"], run.stdout
    run = _monolathe(tmp_path, "estimate", "stock", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    rows = {r["source"]: r for r in report["per_source"]}
    # FLUX stills at $0.003 each, one per scene of the feed's template scripts
    assert rows["replicate-flux"]["usd"] == pytest.approx(0.018)
    assert rows["replicate-flux"]["seconds_basis"] == "price table"
    assert report["chosen"] == ["procedural"] and report["usd"] == 0.0
    assert "price tables" in report["basis"] and report["reels"] == 0
    run = _monolathe(tmp_path, "estimate", "nope")
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_check_accepts_the_stock_and_premium_policies(tmp_path: Path):
    _project(tmp_path)
    run = _monolathe(tmp_path, "check")
    assert "stock.yaml: ok" in run.stdout and "premium.yaml: ok" in run.stdout, run.stderr
