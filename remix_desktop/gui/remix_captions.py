"""The caption candidates: an editable, checkable list. Each checked caption becomes one
preview. A caption keeps the seed of the model run that wrote it (its provenance), even when
the creator edits it; a caption the creator adds has no seed."""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from ..core.captions import Caption

SEED_ROLE = Qt.ItemDataRole.UserRole
SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1  # "model", "template" or "own"
EMPTY_TEXT = ("No captions yet.\nWrite captions with the model, or add your own.")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


class CaptionList(QListWidget):
    captionsChanged = Signal()  # added, removed, edited, checked or unchecked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.setToolTip("Caption candidates: each checked caption becomes one preview. "
                        "Double-click or press F2 to edit; Delete removes.")
        self.itemChanged.connect(lambda _item: self.captionsChanged.emit())
        self.model().rowsInserted.connect(lambda *_: self.captionsChanged.emit())
        self.model().rowsRemoved.connect(lambda *_: self.captionsChanged.emit())
        self.itemDelegate().closeEditor.connect(self._editor_closed)
        self.placeholder = EMPTY_TEXT

    # -- contents --------------------------------------------------------------------------

    def add_captions(self, captions: Iterable[Caption], *, checked: bool = True) -> int:
        """Append the model's candidates, skipping any already listed; how many were added."""
        seen = {_norm(t) for t in self.texts()}
        added = 0
        for caption in captions:
            if not caption.text.strip() or _norm(caption.text) in seen:
                continue
            seen.add(_norm(caption.text))
            source = "template" if caption.source == "template" else "model"
            self._append(caption.text, caption.seed, source, checked)
            added += 1
        return added

    def add_own(self, text: str = "", *, edit: bool = True) -> QListWidgetItem:
        """A caption the creator writes (no model seed); opens the editor when `edit`."""
        item = self._append(text, None, "own", True)
        self.setCurrentItem(item)
        if edit:
            self.editItem(item)
        return item

    def _append(self, text: str, seed: int | None, source: str,
                checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                      | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
        item.setData(SEED_ROLE, seed)
        item.setData(SOURCE_ROLE, source)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setToolTip({
            "model": f"Written by the caption model (seed {seed}); edit it freely.",
            "template": "A meme template around the video's topic (the model's candidates "
                        "fell short); edit it freely.",
            "own": "Your own caption.",
        }[source])
        self.addItem(item)
        return item

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def checked(self) -> list[tuple[str, int | None]]:
        """(text, model seed or None) of each checked, non-empty caption, in list order."""
        out = []
        for i in range(self.count()):
            item = self.item(i)
            if item.checkState() == Qt.CheckState.Checked and item.text().strip():
                out.append((item.text().strip(), item.data(SEED_ROLE)))
        return out

    def clear_model_captions(self) -> None:
        """Drop the model's captions (edited or not); the creator's own ones stay."""
        for i in reversed(range(self.count())):
            if self.item(i).data(SOURCE_ROLE) != "own":
                self.takeItem(i)

    def remove_selected(self) -> None:
        for item in self.selectedItems():
            self.takeItem(self.row(item))

    # -- behaviour -------------------------------------------------------------------------

    def _editor_closed(self, *_args) -> None:
        for i in reversed(range(self.count())):  # an own caption left empty is dropped
            item = self.item(i)
            if not item.text().strip() and item.data(SOURCE_ROLE) == "own":
                self.takeItem(i)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt
        if event.matches(QKeySequence.StandardKey.Delete) and self.state() != \
                QAbstractItemView.State.EditingState:
            self.remove_selected()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt
        super().paintEvent(event)
        if self.count() == 0 and self.placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(12, 8, -12, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.placeholder)
