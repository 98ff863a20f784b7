"""Loudness measurement with ffmpeg's EBU R128 scanner (`ebur128`).

Compose measures its inputs before mixing so the final `loudnorm` starts near the target and
lands within a fraction of a LU; quality measures the finished reel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from activities.ffmpeg_run import run_ffmpeg

TARGET_LUFS = -14.0
MAX_TRUE_PEAK_DBTP = -1.0
SILENT_LUFS = -70.0  # what ebur128 reports for digital silence
# A mono track is measured as it is heard, on two speakers: ebur128 alone would read it 3 LU
# under the same samples in both channels of a stereo track. Stereo is measured as before.
EBUR128 = {"peak": "true", "dualmono": "true"}
EBUR128_ARG = "ebur128=" + ":".join(f"{k}={v}" for k, v in EBUR128.items())

_INTEGRATED = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_TRUE_PEAK = re.compile(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float | None = None


def parse_ebur128(log: str) -> list[Loudness]:
    """Every `Summary:` block ffmpeg printed, in order of the filters that printed them."""
    found: list[Loudness] = []
    for block in log.split("Summary:")[1:]:
        integrated = _INTEGRATED.search(block)
        peak = _TRUE_PEAK.search(block)
        if integrated is None:
            continue
        found.append(
            Loudness(
                integrated_lufs=_db(integrated[1], SILENT_LUFS),
                true_peak_dbtp=_db(peak[1], -99.0) if peak else None,
            )
        )
    return found


def measure(path: Path, what: str = "loudness") -> Loudness:
    """The integrated loudness and true peak of a file's first audio stream."""
    run = run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-af", EBUR128_ARG, "-f", "null", "-"],
        what=what,
    )
    found = parse_ebur128(run.stderr)
    return found[-1] if found else Loudness(SILENT_LUFS)


def _db(text: str, floor: float) -> float:
    return floor if text == "-inf" else max(floor, float(text))
