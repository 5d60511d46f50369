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
