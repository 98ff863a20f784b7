"""What a failed quality check asks for: a remedy per check, until the remedies are spent.

Pure functions of the failed report, so the ReelWorkflow's choices replay exactly and are
unit-tested without Temporal. Rendering the same scenes again would fail the same way; each
check has the remedy that changes what it measured:

| failed check | remedy |
|---|---|
| black, frozen | make the scenes under the stretch again (another style and seed; footage and own media give way to the procedural render) |
| loudness (level or true peak) | mix again, correcting by what was measured |
| captions (outside the safe area) | lay them out again, smaller and fewer words on screen |
| av_sync and the rest (streams, size, fps, duration, audio, silence) | the safe compose (libx264, no transitions) |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VISUALS = "visuals"
MIX = "mix"
LAYOUT = "layout"
SAFE = "safe"
REMEDY_OF = {"black": VISUALS, "frozen": VISUALS, "loudness": MIX, "captions": LAYOUT}
# How many times each remedy may be applied to one reel.
LIMITS = {VISUALS: 2, MIX: 1, LAYOUT: 2, SAFE: 1}
TARGET_LUFS = -14.0  # activities.loudness, which workflows cannot import
MAX_TRUE_PEAK_DBTP = -1.0
MAX_GAIN_CORRECTION_DB = 6.0
PEAK_SPARE_DB = 0.5
CAPTION_SHRINK = 0.85


@dataclass
class Verdict:
    """The parts of a failed QualityReport the remedies read (it arrives as a dict in the
    QualityFailed error's details)."""

    failed: dict[str, str]  # check -> why
    defects: dict[str, list[list[float]]] = field(default_factory=dict)
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None

    @staticmethod
    def of(report: dict[str, Any]) -> Verdict:
        checks = report.get("checks") or {}
        return Verdict(
            failed={name: why for name, why in checks.items() if why != "ok"},
            defects=report.get("defects") or {},
            loudness_lufs=report.get("loudness_lufs"),
            true_peak_dbtp=report.get("true_peak_dbtp"),
        )


@dataclass
class Remedy:
    kinds: list[str]  # in the order of the table above
    scenes: list[int] = field(default_factory=list)  # visuals: the scenes to make again
    loudness_offset_db: float = 0.0  # mix: gain to add to the measured one
    peak_margin_db: float = 0.0  # mix: hold the peaks this far under the usual ceiling

    def describe(self) -> str:
        parts = []
        for kind in self.kinds:
            if kind == VISUALS:
                parts.append("new visuals for scene" + ("s " if len(self.scenes) > 1 else " ")
                             + ", ".join(str(i) for i in self.scenes))
            elif kind == MIX:
                parts.append(f"mix again ({self.loudness_offset_db:+.1f} dB, peaks "
                             f"{self.peak_margin_db:.1f} dB lower)")
            elif kind == LAYOUT:
                parts.append("captions laid out again, smaller")
            else:
                parts.append("safe compose")
        return ", ".join(parts)


def plan_remedy(verdict: Verdict, spans: list[tuple[float, float]],
                used: dict[str, int]) -> Remedy | None:
    """The remedy for every failed check at once, or None when one of them is spent (the
    reel then fails). `spans` are the scenes' (start, end) seconds; `used` counts what was
    already applied to this reel."""
    if not verdict.failed:
        return None
    kinds = sorted({REMEDY_OF.get(check, SAFE) for check in verdict.failed},
                   key=list(LIMITS).index)
    if any(used.get(kind, 0) >= LIMITS[kind] for kind in kinds):
        return None
    remedy = Remedy(kinds=kinds)
    if VISUALS in kinds:
        remedy.scenes = scenes_under(verdict, spans)
    if MIX in kinds:
        remedy.loudness_offset_db, remedy.peak_margin_db = _mix_correction(verdict)
    return remedy


def scenes_under(verdict: Verdict, spans: list[tuple[float, float]]) -> list[int]:
    """The scenes a black or frozen stretch overlaps; every scene when none is known."""
    stretches = [s for check in ("black", "frozen") if check in verdict.failed
                 for s in verdict.defects.get(check, [])]
    hit = {i for i, (start, end) in enumerate(spans)
           for at, length in stretches if at < end and at + length > start}
    return sorted(hit) or list(range(len(spans)))


def _mix_correction(verdict: Verdict) -> tuple[float, float]:
    offset = 0.0
    if verdict.loudness_lufs is not None:
        miss = TARGET_LUFS - verdict.loudness_lufs
        offset = max(-MAX_GAIN_CORRECTION_DB, min(MAX_GAIN_CORRECTION_DB, miss))
    margin = 0.0
    if verdict.true_peak_dbtp is not None and verdict.true_peak_dbtp > MAX_TRUE_PEAK_DBTP:
        margin = verdict.true_peak_dbtp - MAX_TRUE_PEAK_DBTP + PEAK_SPARE_DB
    return round(offset, 2), round(margin, 2)
