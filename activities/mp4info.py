"""Per-track durations read straight from an MP4's boxes.

`ffmpeg -i` prints one duration for the whole file; the A/V sync check needs each track's
own, as the player presents it: `tkhd` durations (edit lists applied) in the movie timescale.
"""

from __future__ import annotations

import struct
from pathlib import Path

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


def track_durations(path: Path) -> dict[str, float]:
    """{"video": seconds, "audio": seconds} for the first track of each kind."""
    data = Path(path).read_bytes() if Path(path).stat().st_size < 1 << 20 else _moov(path)
    timescale = 0
    tracks: list[tuple[str, int]] = []
    current: dict[str, int | str] = {}

    def walk(buf: bytes, start: int, end: int) -> None:
        nonlocal timescale, current
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack(">I4s", buf[pos : pos + 8])
            header = 8
            if size == 1:
                size = struct.unpack(">Q", buf[pos + 8 : pos + 16])[0]
                header = 16
            elif size == 0:
                size = end - pos
            if size < header:
                return
            body = pos + header
            if kind == b"mvhd":
                version = buf[body]
                timescale = struct.unpack(">I", buf[body + (20 if version else 12) :][:4])[0]
            elif kind == b"trak":
                current = {}
                walk(buf, body, pos + size)
                if "handler" in current and "duration" in current:
                    tracks.append((str(current["handler"]), int(current["duration"])))
            elif kind == b"tkhd":
                version = buf[body]
                offset, fmt = (28, ">Q") if version else (20, ">I")
                current["duration"] = struct.unpack(
                    fmt, buf[body + offset :][: struct.calcsize(fmt)]
                )[0]
            elif kind == b"hdlr":
                current["handler"] = buf[body + 8 : body + 12].decode("latin-1")
            elif kind in _CONTAINERS:
                walk(buf, body, pos + size)
            pos += size

    walk(data, 0, len(data))
    names = {"vide": "video", "soun": "audio"}
    found: dict[str, float] = {}
    for handler, duration in tracks:
        name = names.get(handler)
        if name and name not in found and timescale:
            found[name] = duration / timescale
    return found


def _moov(path: Path) -> bytes:
    """Only the `moov` box of a large file (with faststart it is near the start)."""
    with Path(path).open("rb") as f:
        while header := f.read(8):
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            extra = b""
            if size == 1:
                extra = f.read(8)
                size = struct.unpack(">Q", extra)[0]
            if kind == b"moov":
                return header + extra + f.read(size - len(header) - len(extra))
            if size < 8:
                break
            f.seek(size - len(header) - len(extra), 1)
    return b""
