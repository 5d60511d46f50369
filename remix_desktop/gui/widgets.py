"""Small widgets of the main window: the opt-out switch, the opt-out banner, the empty state
and the overlay shown while files are dragged over the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (QAbstractButton, QFrame, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QStyle, QVBoxLayout, QWidget)

BANNER_BACKGROUND = "#ffb300"  # amber: readable with dark text on light and dark themes
BANNER_TEXT = "#1f1600"
OPTOUT_TEXT = ("Bulk opt-out is on: no video may be remixed. "
               "Your per-video choices are kept.")


class SwitchButton(QAbstractButton):
    """An on/off switch bound to a checkable QAction (the action decides, the switch shows).

    Clicking triggers the action, whose handler may ask for confirmation and undo the check."""

    def __init__(self, action: QAction, parent: QWidget | None = None):
        super().__init__(parent)
        self.action = action
        self.setCheckable(True)
        self.setChecked(action.isChecked())
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setToolTip(action.toolTip())
        self.setAccessibleName(action.text())
        action.toggled.connect(self._sync)
        action.changed.connect(lambda: (self.setEnabled(action.isEnabled()),
                                        self.setToolTip(action.toolTip())))

    def _sync(self, on: bool) -> None:
        self.setChecked(on)
        self.update()

    def nextCheckState(self) -> None:  # the action's handler sets the state
        self.setChecked(self.action.isChecked())
        self.action.trigger()

    def sizeHint(self) -> QSize:
        return QSize(40, 22)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(1, (self.height() - 20) / 2, 38, 20)
        palette = self.palette()
        on = self.isChecked()
        track = QColor(BANNER_BACKGROUND) if on else palette.color(QPalette.ColorRole.Mid)
        if not self.isEnabled():
            track.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 10, 10)
        knob = QRectF(rect.right() - 18 if on else rect.left() + 2, rect.top() + 2, 16, 16)
        painter.setBrush(QColor("white"))
        painter.drawEllipse(knob)
        if self.hasFocus():
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 11, 11)


class OptOutBanner(QFrame):
    """Across the window while the bulk opt-out is on, with a way to turn it off."""

    turnOff = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("optoutBanner")
        self.setStyleSheet(
            f"#optoutBanner {{ background: {BANNER_BACKGROUND}; }}"
            f"#optoutBanner QLabel {{ color: {BANNER_TEXT}; }}"
            f"#optoutBanner QPushButton {{ color: {BANNER_TEXT}; background: transparent;"
            f" border: 1px solid {BANNER_TEXT}; border-radius: 4px; padding: 3px 10px; }}"
            f"#optoutBanner QPushButton:hover {{ background: rgba(0, 0, 0, 30); }}")
        self.label = QLabel(OPTOUT_TEXT)
        font = QFont(self.label.font())
        font.setWeight(QFont.Weight.DemiBold)
        self.label.setFont(font)
        self.label.setWordWrap(True)
        self.button = QPushButton("Turn off")
        self.button.setToolTip("Turn the bulk opt-out off: each video's own choice applies again")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self.turnOff)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(20, 20))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 7, 10, 7)
        layout.addWidget(icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text()


class EmptyState(QWidget):
    """What the window shows while the library is empty: two lines and one button."""

    importRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("Your videos, your say")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setWeight(QFont.Weight.Bold)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(
            "Keep a library of your own videos and decide, one by one, whether AI may remix "
            "them.\nEverything stays on this computer: meme previews are made here, and only "
            "for videos you allow.")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Import videos…")
        self.button.setDefault(True)
        self.button.setMinimumWidth(180)
        self.button.setToolTip("Choose video files to add to your library (Ctrl+I)")
        self.button.clicked.connect(self.importRequested)
        hint = QLabel("or drop video files and folders here")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        column = QWidget()
        column.setMaximumWidth(660)
        layout = QVBoxLayout(column)
        layout.addStretch(2)
        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addWidget(self.text)
        layout.addSpacing(16)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(hint)
        layout.addStretch(3)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(column, 4)
        outer.addStretch(1)


class DropOverlay(QLabel):
    """A translucent cover over the window while video files are dragged onto it."""

    def __init__(self, parent: QWidget):
        super().__init__("Drop videos or folders to import them", parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        self.setStyleSheet(
            f"background: rgba({highlight.red()}, {highlight.green()}, {highlight.blue()}, 60);"
            f"border: 3px dashed {highlight.name()}; border-radius: 12px;")
        self.hide()

    def cover(self) -> None:
        parent = self.parentWidget()
        self.setGeometry(parent.rect().adjusted(12, 12, -12, -12))
        self.raise_()
        self.show()


class SearchBox(QLineEdit):
    """The library's search field. Ctrl+Z here undoes the last permission change (the
    window's Undo), not the typing; Down moves into the results."""

    down = Signal()

    def event(self, event) -> bool:  # noqa: N802 - Qt
        if event.type() == QEvent.Type.ShortcutOverride and (
                event.matches(QKeySequence.StandardKey.Undo)
                or event.matches(QKeySequence.StandardKey.Redo)):
            event.ignore()  # not the field's own: the window's shortcut gets it
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.down.emit()
            return
        super().keyPressEvent(event)
