"""The Help menu: every keyboard shortcut (read from the actions and shortcuts themselves,
so the list cannot go stale) and About (the versions of the parts, and where the data is)."""

from __future__ import annotations

from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .. import __version__

PANEL_SHORTCUTS = {  # the remix panel's own shortcuts have no action, so no text: said here
    "Ctrl+G": "Generate previews of the checked captions",
    "Ctrl+E": "Export the selected preview",
    "Esc": "Stop what the remix panel is doing",
}


def shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what they do) for every action and shortcut of the window, sorted by what."""
    found: dict[str, str] = {}
    for action in window.findChildren(QAction):
        text = action.text().replace("&", "").rstrip("…").strip()
        for sequence in action.shortcuts():
            keys = sequence.toString(QKeySequence.SequenceFormat.NativeText)
            if keys and text:
                found[keys] = text
    for shortcut in window.findChildren(QShortcut):
        keys = shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            found.setdefault(keys, PANEL_SHORTCUTS.get(keys, keys))
    return sorted(((k, v) for k, v in found.items()), key=lambda kv: kv[1].casefold())


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcuts(window)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Does", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (keys, what) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(what))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(460, 520)

    def rows(self) -> list[tuple[str, str]]:
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text())
                for r in range(self.table.rowCount())]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> list[tuple[str, str]]:
    """The parts and their versions, read from package metadata (no native library is
    loaded to ask it)."""
    return [("Remix Desktop", __version__), ("Qt", qVersion()),
            ("PySide6", pyside_version),
            ("llama.cpp (llama-cpp-python)", _version("llama-cpp-python")),
            ("stable-diffusion.cpp (stable-diffusion-cpp-python)",
             _version("stable-diffusion-cpp-python")),
            ("OpenCV", _version("opencv-python-headless") if _version(
                "opencv-python-headless") != "not installed" else _version("opencv-python")),
            ("Pillow", _version("pillow")), ("PyAV", _version("av"))]


class AboutDialog(QDialog):
    def __init__(self, window: QWidget, home):
        super().__init__(window)
        self.setWindowTitle("About Remix Desktop")
        parts = "".join(f"<tr><td>{name}</td><td>&nbsp;{value}</td></tr>"
                        for name, value in versions())
        self.label = QLabel(
            "<h3>Remix Desktop</h3><p>Your videos, your say over AI remixes: previews made on "
            "this computer, offline, and a remix permission for every video.</p>"
            f"<table>{parts}</table>"
            f"<p>Your library, previews and models are kept in<br><code>{home.root}</code></p>")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
