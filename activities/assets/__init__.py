"""Files shipped with the package: nothing may be assumed installed on a fresh machine."""

from pathlib import Path

FONTS_DIR = Path(__file__).parent / "fonts"  # handed to libass as `fontsdir`
CAPTION_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"  # DejaVu licence beside this file
# Droid Sans Fallback (Apache 2.0, licence beside this file) draws CJK and other scripts
# DejaVu lacks; captions switch to it per event when the main font misses a glyph.
FALLBACK_FONT = FONTS_DIR / "DroidSansFallbackFull.ttf"
