"""Start the window: the Qt application, a light or dark palette that follows the system,
the shared context, the main window."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..core.errors import LibraryDamaged, RemixDesktopError
from ..core.home import Home
from ..core.library import Library
from ..core.resources import emoji_font, resources_dir

THEME_ENV = "REMIX_DESKTOP_THEME"  # light | dark | system (default)


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    for role, colour in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor(38, 40, 43)),
        (QPalette.ColorRole.ToolTipBase, window), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.BrightText, Qt.GlobalColor.red),
        (QPalette.ColorRole.Link, QColor(110, 168, 254)),
        (QPalette.ColorRole.Highlight, QColor(53, 116, 240)),
        (QPalette.ColorRole.HighlightedText, Qt.GlobalColor.white),
        (QPalette.ColorRole.PlaceholderText, QColor(140, 143, 148)),
    ):
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(110, 112, 116))
    return p


def apply_theme(app: QApplication) -> None:
    """Fusion, with a dark palette when the system (or $REMIX_DESKTOP_THEME) asks for one."""
    choice = os.environ.get(THEME_ENV, "system").lower()
    if choice == "system":
        dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    else:
        dark = choice == "dark"
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setProperty("remix_dark", dark)


def use_emoji_font(app: QApplication) -> str | None:
    """Make a colour emoji font available for 🎬 and 🚀 in titles and file names. It is only
    registered, never put in the application font's families: Qt falls back on it for the
    characters the window's font lacks, while digits and spaces (which emoji fonts also
    carry, drawn wide) stay in the window's font. Returns the emoji family, or None when
    this system has no emoji font."""
    from PySide6.QtGui import QFontDatabase

    path = emoji_font()
    if path is None:
        return None
    known = {f for f in QFontDatabase.families() if "emoji" in f.lower()}
    if known:  # the system's font configuration has it already
        return sorted(known)[0]
    loaded = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(loaded) if loaded >= 0 else []
    return families[0] if families else None


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Remix Desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Remix Desktop")
    app.setDesktopFileName("remix-desktop")
    icon = resources_dir() / "icons" / "remix-desktop.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyle("Fusion")
    use_emoji_font(app)
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
    return app


def open_checked(home: Home) -> bool:
    """Check the database before the window shows anything, take the daily backup and sweep
    what an interrupted render left in the previews folder. A damaged database is not
    opened: the creator chooses to restore a backup (or start a new library, the damaged
    file kept) or to quit. False when they quit."""
    from ..core.importer import sweep_thumbnails
    from ..core.remix import sweep_previews
    from .recovery import recover

    while True:
        try:
            with Library(home, check=True) as library:
                library.auto_backup()
                sweep_previews(library)  # what a killed render left, before anything shows
                sweep_thumbnails(library)  # and what a killed import left
            return True
        except LibraryDamaged as exc:
            if not recover(home, exc):
                return False


def run_app(home: Home, argv: list[str] | None = None, *,
            quit_after: float | None = None) -> int:
    from .context import AppContext
    from .main_window import MainWindow

    app = make_app(argv)
    logs = home.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=logs / "remix-desktop.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if not open_checked(home.ensure()):
            return 2
        context = AppContext(home)
    except RemixDesktopError as exc:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Remix Desktop cannot open its library", str(exc))
        return exc.exit_code
    window = MainWindow(context)
    window.show()
    if quit_after is not None:  # a smoke test of a build: close the window (exit 0) after that
        from PySide6.QtCore import QTimer

        QTimer.singleShot(max(0, round(quit_after * 1000)), window.close)
    return app.exec()
