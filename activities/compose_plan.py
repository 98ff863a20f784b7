"""What one render needs beyond its request: the resolved paths and the measurements.

`compose` fills it (`ComposeActivities.plan`), `compose_audio` measures the mix into it and
`compose_graph` builds the ffmpeg command from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.caption_track import CaptionTrack
from activities.encoders import SOFTWARE
from activities.loudness import TARGET_LUFS, Loudness

Stream = Any  # ffmpeg-python ships no type hints


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
