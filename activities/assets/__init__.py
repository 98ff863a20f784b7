"""Files shipped with the package: nothing may be assumed installed on a fresh machine."""

from pathlib import Path

FONTS_DIR = Path(__file__).parent / "fonts"  # handed to libass as `fontsdir`
CAPTION_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"  # DejaVu licence beside this file
# Droid Sans Fallback (Apache 2.0, licence beside this file), cut to common Chinese,
# Japanese and Korean by infra/fonts/subset_fallback_font.py; captions switch to it per
# event when the main font misses a glyph.
FALLBACK_FONT = FONTS_DIR / "DroidSansFallbackCJK.ttf"
# The bundled MiniLM's vector for every icon text (tools/build_icon_index.py): a first reel
# embeds only its own sentences instead of the whole icon set (about 20 CPU s with OpenBLAS).
ICON_INDEX = Path(__file__).parent / "icon-index-minilm.npz"
# The icons' names alone, those that are not already an icon text or a keyword above: what
# the names-meant check compares. A file of their own, so the larger one changes only with
# the icons' texts and keywords.
ICON_NAMES = Path(__file__).parent / "icon-names-minilm.npz"
# Each icon's English keywords from Unicode CLDR (tools/build_icon_keywords.py), under the
# Unicode licence beside it: what an icon is reached by when its name says something else.
ICON_KEYWORDS = Path(__file__).parent / "icon-keywords.json"
CLDR_LICENSE = Path(__file__).parent / "CLDR-LICENSE.txt"
