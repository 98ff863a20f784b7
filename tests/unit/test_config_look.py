"""The channel's look and own media in channels/<name>.yaml: profiles, files, bad values."""

from __future__ import annotations

from pathlib import Path

from activities.config import load_channel, load_settings
from tests.unit import test_config as base
from tests.unit.test_config import channel_error, valid_with, write_channel

config_dir = base.config_dir  # the same fixture: an empty temporal.yaml and the shipped feed


def _load(config_dir: Path, extra: str):  # type: ignore[no-untyped-def]
    write_channel(config_dir, "sci", valid_with(extra))
    return load_channel(load_settings(config_dir / "temporal.yaml"), "sci")


def test_aspect_sets_the_output_size(config_dir: Path) -> None:
    sizes = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}
    for aspect, size in sizes.items():
        look = _load(config_dir, f"look: {{aspect: '{aspect}'}}\n").look
        assert (look.width, look.height, look.aspect) == (*size, aspect)


def test_look_files_and_media_dir_resolve_against_the_channel_file(config_dir: Path) -> None:
    channels = config_dir / "channels"
    (channels / "media").mkdir()
    (channels / "bed.m4a").write_bytes(b"x")
    (channels / "font.ttf").write_bytes(b"x")
    config = _load(
        config_dir,
        "media_dir: media\nlook: {music_file: bed.m4a, caption_font: font.ttf,"
        " transition: slideup, encoder: h264_nvenc, caption_box: true}\n",
    )
    assert config.media_dir == str(channels / "media")
    assert config.look.music_file == str(channels / "bed.m4a")
    assert config.look.caption_font == str(channels / "font.ttf")
    assert (config.look.transition, config.look.encoder, config.look.caption_box) == (
        "slideup", "h264_nvenc", True,
    )  # fmt: skip


def test_missing_media_dir_is_named(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("media_dir: clips\n"))
    assert "channels/sci.yaml: media_dir: folder" in message and "clips not found" in message


def test_missing_music_file_is_named(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("look: {music_file: nope.mp3}\n"))
    assert "channels/sci.yaml: look.music_file: file" in message and "nope.mp3 not found" in message


def test_unknown_transition_lists_the_choices(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("look: {transition: spin}\n"))
    assert "channels/sci.yaml: look.transition:" in message and "'spin' is not one of" in message
    assert "slideup" in message


def test_unknown_aspect_and_encoder_are_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("look: {aspect: '4:5'}\n"))
    assert "channels/sci.yaml: look.aspect:" in message
    message = channel_error(config_dir, "sci", valid_with("look: {encoder: h265}\n"))
    assert "channels/sci.yaml: look.encoder:" in message


def test_ultrafast_preset_is_rejected(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("look: {x264_preset: ultrafast}\n"))
    assert "channels/sci.yaml: look.x264_preset:" in message


def test_caption_size_and_position_have_bounds(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("look: {caption_size: 0.5}\n"))
    assert "channels/sci.yaml: look.caption_size:" in message
    message = channel_error(config_dir, "sci", valid_with("look: {caption_position: 0.95}\n"))
    assert "channels/sci.yaml: look.caption_position:" in message


def test_matching_by_meaning_needs_a_media_dir(config_dir: Path) -> None:
    message = channel_error(config_dir, "sci", valid_with("media_match: meaning\n"))
    assert "channels/sci.yaml: media_match: 'meaning' needs a media_dir" in message
    (config_dir / "channels" / "media").mkdir()
    assert _load(config_dir, "media_dir: media\nmedia_match: meaning\n").media_match == "meaning"
