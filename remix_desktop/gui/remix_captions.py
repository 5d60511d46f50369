"""The caption candidates: an editable, checkable list. Each checked caption becomes one
preview. A caption keeps the seed of the model run that wrote it (its provenance), even when
the creator edits it; a caption the creator adds has no seed.

Every caption shown is kept in the library (core.captions_store): the list says what to
store (`captionTyped`, `captionEdited`, `starToggled`, `captionDeleted`) and the panel
writes it on a job, then tells the list the stored id (`set_stored`). Starred captions come
first, the others in the order they were made. Each row says subtly where it came from (a
small grey label at its right: "model", "format" or "yours") and has a star to click."""

from __future__ import annotations

import itertools
from typing import Iterable

from PySide6.QtCore import QEvent, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QListWidget, QListWidgetItem, QMenu,
                               QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget)

from ..core.captions import Caption

SEED_ROLE = Qt.ItemDataRole.UserRole
SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1  # "model", "template" or "own"
ID_ROLE = Qt.ItemDataRole.UserRole + 2  # the stored caption's id (None until stored)
STAR_ROLE = Qt.ItemDataRole.UserRole + 3
KEY_ROLE = Qt.ItemDataRole.UserRole + 4  # this list's own key for an item (jobs find it)
STORED_TEXT_ROLE = Qt.ItemDataRole.UserRole + 5  # the text as stored (an edit differs)
ORDER_ROLE = Qt.ItemDataRole.UserRole + 6  # the order made
EMPTY_TEXT = ("No captions yet.\nWrite captions with the model, or add your own.")
SOURCE_LABELS = {"model": "model", "template": "format", "own": "yours"}
SOURCE_TIPS = {
    "model": "Written by the model (seed {seed}); edit it freely.",
    "template": "From a format filled with the video's topic; edit it freely.",
    "own": "Yours: a caption you typed.",
}
STAR_TIP = " Click the star to keep it at the top."


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def source_of(stored_source: str) -> str:
    """The list's name for a stored caption's source ("creator" is "own" here)."""
    return "own" if stored_source == "creator" else stored_source


class CaptionDelegate(QStyledItemDelegate):
    """Draws a row's text, then a small grey source label and a star at its right."""

    starClicked = Signal(object)  # the QModelIndex

    def _areas(self, option) -> tuple[QRect, QRect, QRect]:
        rect = option.rect
        star_w = option.fontMetrics.horizontalAdvance("★") + 12
        small = QFont(option.font)
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
        label_w = QFontMetrics(small).horizontalAdvance("format") + 10
        star = QRect(rect.right() - star_w, rect.top(), star_w, rect.height())
        label = QRect(star.left() - label_w, rect.top(), label_w, rect.height())
        text = QRect(rect.left(), rect.top(), max(10, label.left() - rect.left()),
                     rect.height())
        return text, label, star

    def paint(self, painter: QPainter, option, index) -> None:
        text_rect, label_rect, star_rect = self._areas(option)
        widget = option.widget
        style = widget.style() if widget is not None else None
        full = QStyleOptionViewItem(option)
        self.initStyleOption(full, index)
        full.text = ""
        full.features &= ~QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, full, painter,
                                widget)
        reduced = QStyleOptionViewItem(option)
        reduced.rect = text_rect
        super().paint(painter, reduced, index)
        if style is not None and index.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            # Fusion draws the check box's edge a shade off the background: lost on a dark
            # palette. A rim in the placeholder colour shows it in both themes.
            check = QStyleOptionViewItem(reduced)
            self.initStyleOption(check, index)
            check.rect = text_rect
            box = style.subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, check,
                                       widget)
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5), 2, 2)
            painter.restore()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal
        painter.save()
        small = QFont(option.font)
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
        painter.setFont(small)
        painter.setPen(option.palette.color(group, QPalette.ColorRole.HighlightedText)
                       if selected else option.palette.color(
                           group, QPalette.ColorRole.PlaceholderText))
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         SOURCE_LABELS.get(index.data(SOURCE_ROLE), ""))
        painter.setFont(option.font)
        starred = bool(index.data(STAR_ROLE))
        painter.setPen(option.palette.color(group, QPalette.ColorRole.HighlightedText)
                       if selected else option.palette.color(
                           group, QPalette.ColorRole.Text if starred
                           else QPalette.ColorRole.PlaceholderText))
        painter.drawText(star_rect, Qt.AlignmentFlag.AlignCenter, "★" if starred else "☆")
        painter.restore()

    def sizeHint(self, option, index):  # noqa: N802 - Qt
        size = super().sizeHint(option, index)
        _text, label, star = self._areas(option)
        size.setWidth(size.width() + label.width() + star.width())
        return size

    def updateEditorGeometry(self, editor, option, index) -> None:  # noqa: N802 - Qt
        super().updateEditorGeometry(editor, option, index)
        text_rect, _label, _star = self._areas(option)
        geometry = editor.geometry()
        geometry.setRight(min(geometry.right(), text_rect.right()))
        editor.setGeometry(geometry)

    def editorEvent(self, event, model, option, index) -> bool:  # noqa: N802 - Qt
        if event.type() in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick) \
                and event.button() == Qt.MouseButton.LeftButton:
            _text, _label, star = self._areas(option)
            if star.contains(event.position().toPoint()):
                if event.type() == QEvent.Type.MouseButtonRelease:
                    self.starClicked.emit(index)
                return True
        return super().editorEvent(event, model, option, index)


class CaptionList(QListWidget):
    captionsChanged = Signal()  # added, removed, edited, checked or unchecked
    captionTyped = Signal(int, str)  # key, text: a caption the creator typed, to store
    captionEdited = Signal(int, int, str)  # key, stored id, new text
    starToggled = Signal(int, bool)  # stored id, starred
    captionDeleted = Signal(int, str, str)  # stored id, text, source ("model"/"template"/"own")
    message = Signal(str)  # one sentence for the status bar
    undeleteRequested = Signal()  # Ctrl+Z right after a deletion: bring the caption back

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.can_undelete = False  # the panel sets it while a deletion can be undone
        self._keys = itertools.count(1)
        self._order = itertools.count(1)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.setToolTip("Captions kept with this video: each checked caption becomes one "
                        "preview. Double-click or press F2 to edit, click the star to keep "
                        "one at the top; Delete removes.")
        self.delegate = CaptionDelegate(self)
        self.setItemDelegate(self.delegate)
        self.delegate.starClicked.connect(lambda index: self.toggle_star(self.item(index.row())))
        self.itemChanged.connect(self._item_changed)
        self.model().rowsInserted.connect(lambda *_: self.captionsChanged.emit())
        self.model().rowsRemoved.connect(lambda *_: self.captionsChanged.emit())
        self.delegate.closeEditor.connect(self._editor_closed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.placeholder = EMPTY_TEXT
        self._quiet = False  # set while the list changes an item itself

    # -- contents --------------------------------------------------------------------------

    def show_stored(self, kept: Iterable) -> None:
        """Show the captions kept with a video (StoredCaption), unchecked: starred ones
        first, the others in the order they were made. Rows added meanwhile stay, after
        them."""
        kept = list(kept)
        listed = {self.item(i).data(ID_ROLE) for i in range(self.count())}
        for i, stored in enumerate(kept):
            if stored.id not in listed:
                item = self._append(stored.text, stored.seed, source_of(stored.source), False,
                                    stored=stored)
                item.setData(ORDER_ROLE, i - len(kept))  # before any row made since
        self._sort()

    def sources(self) -> dict[str, str]:
        """Each listed caption's text and who wrote it ("model", "template", "own")."""
        return {self.item(i).text(): self.item(i).data(SOURCE_ROLE) for i in range(self.count())}

    def add_stored(self, kept: Iterable, *, checked: bool = True) -> int:
        """Show the captions of a model run as stored; one already listed is checked again
        rather than repeated. How many were added."""
        ids = {self.item(i).data(ID_ROLE): self.item(i) for i in range(self.count())}
        seen = {_norm(t): self.item(i) for i, t in enumerate(self.texts())}
        added, first = 0, None
        for stored in kept:
            item = ids.get(stored.id) or seen.get(_norm(stored.text))
            if item is None:
                item = self._append(stored.text, stored.seed, source_of(stored.source),
                                    checked, stored=stored)
                added += 1
            elif checked:
                item.setCheckState(Qt.CheckState.Checked)
            first = first or item
        self._sort()
        if first is not None:
            self.scrollToItem(first)
        return added

    def add_captions(self, captions: Iterable[Caption], *, checked: bool = True) -> int:
        """Append the model's candidates (not stored), skipping any already listed; how
        many were added."""
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
        """A caption the creator writes (no model seed); opens the editor when `edit`. It is
        stored (captionTyped) once it has text."""
        item = self._append(text, None, "own", True)
        self.setCurrentItem(item)
        if text.strip():
            self._typed(item)
        if edit:
            self.editItem(item)
        return item

    def _append(self, text: str, seed: int | None, source: str, checked: bool,
                stored=None) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                      | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
        item.setData(SEED_ROLE, seed)
        item.setData(SOURCE_ROLE, source)
        item.setData(KEY_ROLE, next(self._keys))
        item.setData(ORDER_ROLE, next(self._order))
        item.setData(ID_ROLE, None if stored is None else stored.id)
        item.setData(STORED_TEXT_ROLE, None if stored is None else stored.text)
        item.setData(STAR_ROLE, bool(stored is not None and stored.starred))
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self._tip(item, stored)
        self.addItem(item)
        return item

    def _tip(self, item: QListWidgetItem, stored=None) -> None:
        source = item.data(SOURCE_ROLE)
        tip = SOURCE_TIPS[source].format(seed=item.data(SEED_ROLE))
        if stored is not None and stored.source == "model" and stored.model_id:
            tip = tip.replace("the model", f"the model {stored.model_id}")
        if stored is not None and stored.edited_at:
            tip += " Edited since."
        item.setToolTip(tip + STAR_TIP)

    def set_stored(self, key: int, stored) -> bool:
        """The caption the list asked to store (by key) was stored: remember its id. False
        when the item is no longer listed."""
        item = self.item_for(key)
        if item is None:
            return False
        submitted = item.data(STORED_TEXT_ROLE)
        self._quiet = True
        item.setData(ID_ROLE, stored.id)
        item.setData(STORED_TEXT_ROLE, stored.text)
        if item.text() in (submitted, stored.text) or not item.text().strip():
            item.setText(stored.text)  # the stored text is the cleaned one
        self._quiet = False
        self._tip(item, stored)
        if item.text() != stored.text:  # edited again while it was being stored
            self._item_changed(item)
        return True

    def item_for(self, key: int) -> QListWidgetItem | None:
        return next((self.item(i) for i in range(self.count())
                     if self.item(i).data(KEY_ROLE) == key), None)

    def item_by_id(self, caption_id: int) -> QListWidgetItem | None:
        return next((self.item(i) for i in range(self.count())
                     if self.item(i).data(ID_ROLE) == caption_id), None)

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

    def uncheck_all(self) -> None:
        for i in range(self.count()):
            self.item(i).setCheckState(Qt.CheckState.Unchecked)

    def clear_model_captions(self) -> None:
        """Drop the model's captions from the list (edited or not); the creator's own ones
        stay. What is stored stays stored."""
        for i in reversed(range(self.count())):
            if self.item(i).data(SOURCE_ROLE) != "own":
                self.takeItem(i)

    # -- star and delete -------------------------------------------------------------------

    def toggle_star(self, item: QListWidgetItem | None = None) -> None:
        """Star the caption (or unstar it); a starred one moves to the top."""
        item = item or self.currentItem()
        if item is None:
            return
        if item.data(ID_ROLE) is None:
            self.message.emit("This caption is still being kept; star it in a moment.")
            return
        starred = not item.data(STAR_ROLE)
        item.setData(STAR_ROLE, starred)
        self._sort()
        self.setCurrentItem(item)
        self.starToggled.emit(item.data(ID_ROLE), starred)

    def remove_selected(self) -> None:
        """Delete the selected captions from the list and (captionDeleted) from the video."""
        for item in self.selectedItems():
            caption_id, text = item.data(ID_ROLE), item.text()
            source = item.data(SOURCE_ROLE)
            self.takeItem(self.row(item))
            if caption_id is not None:
                self.captionDeleted.emit(caption_id, text, source)

    def _sort(self) -> None:
        """Starred first, then the order made (checks, texts and ids travel with items)."""
        current = self.currentItem()
        items = [self.takeItem(0) for _ in range(self.count())]
        items.sort(key=lambda it: (not it.data(STAR_ROLE), it.data(ORDER_ROLE)))
        for item in items:
            self.addItem(item)
        if current is not None:
            self.setCurrentItem(current)

    # -- behaviour -------------------------------------------------------------------------

    def _typed(self, item: QListWidgetItem) -> None:
        item.setData(STORED_TEXT_ROLE, item.text())  # what was handed to the store
        self.captionTyped.emit(item.data(KEY_ROLE), item.text())

    def _item_changed(self, item: QListWidgetItem) -> None:
        self.captionsChanged.emit()
        if self._quiet:
            return
        text, caption_id = item.text(), item.data(ID_ROLE)
        if caption_id is None:
            if item.data(SOURCE_ROLE) == "own" and text.strip() \
                    and item.data(STORED_TEXT_ROLE) is None:
                self._typed(item)  # typed into a new row: store it
            return
        if text == item.data(STORED_TEXT_ROLE):
            return  # a check box, not the text
        if not text.strip():
            self._quiet = True
            item.setText(item.data(STORED_TEXT_ROLE))
            self._quiet = False
            self.message.emit("A caption cannot be empty; delete it instead.")
            return
        item.setData(STORED_TEXT_ROLE, text)
        self.captionEdited.emit(item.data(KEY_ROLE), caption_id, text)

    def _editor_closed(self, *_args) -> None:
        for i in reversed(range(self.count())):  # an own caption left empty is dropped
            item = self.item(i)
            if not item.text().strip() and item.data(SOURCE_ROLE) == "own" \
                    and item.data(ID_ROLE) is None:
                self.takeItem(i)

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction("Unstar" if item.data(STAR_ROLE) else "Star",
                       lambda: self.toggle_star(item))
        menu.addAction("Edit", lambda: self.editItem(item))
        menu.addAction("Delete", self.remove_selected)
        menu.exec(self.viewport().mapToGlobal(pos))

    def event(self, event) -> bool:  # noqa: N802 - Qt
        # Ctrl+Z here, right after a caption was deleted, brings it back (and is not the
        # window's Undo of the last permission change)
        if (event.type() == QEvent.Type.ShortcutOverride and self.can_undelete
                and event.matches(QKeySequence.StandardKey.Undo)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt
        if self.can_undelete and event.matches(QKeySequence.StandardKey.Undo):
            self.undeleteRequested.emit()
            return
        if event.matches(QKeySequence.StandardKey.Delete) and self.state() != \
                QAbstractItemView.State.EditingState:
            self.remove_selected()
            return
        if event.key() == Qt.Key.Key_S and event.modifiers() == \
                Qt.KeyboardModifier.ControlModifier:
            self.toggle_star()
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
