"""Files shipped with the package: nothing may be assumed installed on a fresh machine."""

from pathlib import Path

FONTS_DIR = Path(__file__).parent / "fonts"  # handed to libass as `fontsdir`
CAPTION_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"  # DejaVu licence beside this file
