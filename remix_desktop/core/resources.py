"""Where the app's bundled resources (fonts, icons, models.json) live, from source or frozen."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The `resources/` folder: beside the package in a source tree, or inside a PyInstaller
    bundle (`sys._MEIPASS/resources`) when the app runs frozen."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def fonts_dir() -> Path:
    """The vendored fonts and their licences."""
    return resources_dir() / "fonts"


EMOJI_FONT_ENV = "REMIX_DESKTOP_EMOJI_FONT"  # a colour emoji font file, if it is elsewhere
_EMOJI_FONTS = (  # the system's colour emoji font, where each system keeps it
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",  # Debian, Ubuntu
    "/usr/share/fonts/noto-emoji/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",  # Fedora
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",  # Arch
    "/System/Library/Fonts/Apple Color Emoji.ttc",  # macOS
    "C:\\Windows\\Fonts\\seguiemj.ttf",  # Windows (Segoe UI Emoji)
)


def emoji_font() -> Path | None:
    """A colour emoji font to fall back on for 🎬 and 🚀 in titles and file names: the one
    $REMIX_DESKTOP_EMOJI_FONT names, one in the vendored fonts, or the system's; None when
    there is none (Linux: the fonts-noto-color-emoji package)."""
    import os

    named = os.environ.get(EMOJI_FONT_ENV)
    places = [named] if named else []
    places += [str(fonts_dir() / "NotoColorEmoji.ttf"), *_EMOJI_FONTS]
    for place in places:
        if place and Path(place).is_file():
            return Path(place)
    return None
