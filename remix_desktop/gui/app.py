"""The app window. For now a first window over the library's consent status."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from .. import __version__
from ..core.consent import Consent
from ..core.home import Home
from ..core.library import Library


class MainWindow(QMainWindow):
    def __init__(self, library: Library):
        super().__init__()
        self.library = library
        self.setWindowTitle("Remix Desktop")
        self.resize(960, 640)
        self.status_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.status_label.setWordWrap(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.status_label)
        self.setCentralWidget(body)
        self.refresh()

    def refresh(self) -> None:
        consent = Consent(self.library)
        counts = consent.counts()
        state = consent.state()
        if counts["videos"] == 0:
            text = ("Your library is empty.\nImport videos with "
                    "'remix-desktop import PATH' to control how AI may remix them.")
        else:
            text = (f"{counts['videos']} videos in your library; "
                    f"{counts['allowed']} may be remixed.")
        if state.optout:
            text += "\nBulk opt-out is ON: no video may be remixed."
        self.status_label.setText(text)
        self.statusBar().showMessage(f"Remix Desktop {__version__} · data in "
                                     f"{self.library.home.root}")


def run_app(home: Home, argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Remix Desktop")
    with Library(home) as library:
        window = MainWindow(library)
        window.show()
        return app.exec()
