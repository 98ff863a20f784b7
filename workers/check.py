"""`monolathe check` opens what each channel names, so a bad file fails before a run does.

The config loader only knows that a path exists; a feed that is not a feed, a font that is
not a font or a music file that does not decode would each fail later inside a workflow
(the font in every reel). Each file is opened with the loader the run itself uses.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.exceptions import ApplicationError

from activities.captions import load_face
from activities.ffmpeg_run import run_ffmpeg
from activities.media_library import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, scan
from activities.topics import read_feed_file
from workflows.contracts import ChannelConfig


def channel_file_problems(config: ChannelConfig, shown: str) -> list[str]:
    """One line per unusable file: `<channel file>: <field>: <reason>`."""
    checks = [
        ("trends.feed", config.trends_feed, lambda p: read_feed_file(Path(p))),
        ("look.caption_font", config.look.caption_font, load_face),
        ("look.music_file", config.look.music_file, decode_audio),
        ("voice.reference_audio", config.voice.reference_audio, decode_audio),
        ("media_dir", config.media_dir, list_media),
    ]
    problems = []
    for field, path, opener in checks:
        if not path:
            continue
        try:
            opener(path)
        except (ApplicationError, OSError) as exc:
            # the font loader names the field itself
            problems.append(f"{shown}: {field}: {_reason(exc).removeprefix(field + ' ')}")
    return problems


def tiktok_note(config: ChannelConfig) -> str:
    """How the channel posts to TikTok, and what TikTok's audit rule means for it."""
    from activities.config.channel_platforms import AUDIT_RULE

    options = config.tiktok
    if options.mode == "inbox":
        return ("tiktok: inbox drafts (video.upload scope); the creator finishes each post"
                " in the TikTok app")
    how = f"tiktok: direct posts ({options.privacy_level}, video.publish scope)"
    if options.audited:
        return f"{how}; the app is marked audited"
    return f"{how}; unaudited app: {AUDIT_RULE}"


def decode_audio(path: str) -> None:
    """Decode the first seconds of the file's first audio stream, or raise ToolFailed."""
    run_ffmpeg(["-v", "error", "-t", "3", "-i", path, "-map", "0:a:0", "-f", "null", "-"],
               what=f"{path}: no decodable audio; ffmpeg")


def list_media(folder: str) -> None:
    """A media folder with nothing the scenes can use is a mistake: every scene would fall
    back to generated visuals without a word."""
    if not scan(Path(folder)):
        kinds = ", ".join(sorted(VIDEO_EXTENSIONS | IMAGE_EXTENSIONS))
        raise OSError(f"{folder}: no clips or images in it ({kinds})")


def _reason(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, ApplicationError) else str(exc)
    # ffmpeg's failure carries its last stderr lines: the last one says why.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if len(lines) == 1 else f"{lines[0]} {lines[-1]}"
