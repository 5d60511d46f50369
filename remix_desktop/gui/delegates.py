"""How library rows are drawn: the thumbnail with the name and folder, the permission badge
(edited with a combo box right in the list), and the effective permission with its reason.

Colours come from the palette (light and dark), except the permission badges, whose fixed
green/red/grey read well on both.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import (QApplication, QComboBox, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem)

from ..core.video_files import FileState
from .library_model import (FILE_HINTS, FILE_LABELS, PERMISSION_LABELS, EffectiveRole,
                            FileStateRole, FolderRole, PermissionRole, TitleRole)
from .thumbnails import THUMB_SIZE

ALLOW_COLOR = QColor("#2e7d32")  # green 800: white text passes contrast on it
DENY_COLOR = QColor("#c62828")  # red 800
DEFAULT_COLOR = QColor("#757575")  # grey 600
BADGE_COLORS = {"allow": ALLOW_COLOR, "deny": DENY_COLOR, "default": DEFAULT_COLOR}
PERMISSION_CHOICES = (("allow", "Allow"), ("deny", "Deny"), ("default", "Default"))


def _background(painter: QPainter, option: QStyleOptionViewItem) -> None:
    """The selection/hover background the style would draw, without its text."""
    opt = QStyleOptionViewItem(option)
    opt.text = ""
    opt.icon = QIcon()
    style = opt.widget.style() if opt.widget else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)


def _text_color(option: QStyleOptionViewItem, role=QPalette.ColorRole.Text) -> QColor:
    selected = option.state & QStyle.StateFlag.State_Selected
    return option.palette.color(QPalette.ColorRole.HighlightedText if selected else role)


class NameDelegate(QStyledItemDelegate):
    """Thumbnail on the left; the title the creator gave the video (or its file name), and
    below it the file name (or, without a title, the folder), dimmed; both elided in the
    middle, the whole of both in the tooltip."""

    def paint(self, painter, option, index):
        # no initStyleOption: the view set the state, palette, font and widget already, and
        # this delegate draws its own text (a dozen model lookups a cell spared)
        _background(painter, option)
        painter.save()
        rect = option.rect.adjusted(6, 0, -6, 0)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        gone = index.data(FileStateRole) is not None  # greyed: its file is not usable
        top = rect.top() + (rect.height() - THUMB_SIZE.height()) // 2
        if pixmap is not None:
            if gone:
                painter.setOpacity(0.35)
            painter.drawPixmap(QRect(rect.left(), top, THUMB_SIZE.width(), THUMB_SIZE.height()),
                               pixmap)
            painter.setOpacity(1.0)
        text_rect = rect.adjusted(THUMB_SIZE.width() + 10, 0, 0, 0)
        font = QFont(option.font)
        font.setWeight(QFont.Weight.DemiBold)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.88))
        fm, sfm = QFontMetrics(font), QFontMetrics(small)
        block = fm.height() + sfm.height() + 2
        y = text_rect.top() + (text_rect.height() - block) // 2
        painter.setFont(font)
        painter.setPen(_text_color(option, QPalette.ColorRole.PlaceholderText) if gone
                       else _text_color(option))
        title = index.data(TitleRole) or ""
        name = fm.elidedText(title or index.data() or "", Qt.TextElideMode.ElideMiddle,
                             text_rect.width())
        painter.drawText(QRect(text_rect.left(), y, text_rect.width(), fm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(small)
        dim = _text_color(option, QPalette.ColorRole.PlaceholderText)
        painter.setPen(dim)
        folder = sfm.elidedText((index.data() if title else index.data(FolderRole)) or "",
                                Qt.TextElideMode.ElideMiddle, text_rect.width())
        painter.drawText(QRect(text_rect.left(), y + fm.height() + 2, text_rect.width(),
                               sfm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, folder)
        painter.restore()

    def sizeHint(self, option, index):  # never asks for the thumbnail (no loads to measure)
        return QSize(260, THUMB_SIZE.height() + 12)


class PermissionDelegate(QStyledItemDelegate):
    """A coloured badge; click (or F2) opens a combo box: Allow / Deny / Default."""

    def paint(self, painter, option, index):
        # no initStyleOption: the view set the state, palette, font and widget already, and
        # this delegate draws its own text (a dozen model lookups a cell spared)
        _background(painter, option)
        permission = index.data(PermissionRole)
        if permission not in BADGE_COLORS:
            return
        label = PERMISSION_LABELS[permission]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(font)
        width = fm.horizontalAdvance(label) + 30
        height = fm.height() + 8
        rect = QRectF(option.rect.left() + 8, option.rect.center().y() - height / 2 + 1,
                      width, height)
        color = BADGE_COLORS[permission]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.setFont(font)
        painter.drawText(rect.adjusted(10, 0, -16, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        # a small chevron: this badge is a control
        cx, cy = rect.right() - 11, rect.center().y()
        painter.setPen(QColor(255, 255, 255, 220))
        painter.drawPolyline([QPointF(cx - 3, cy - 1.5), QPointF(cx, cy + 1.5),
                              QPointF(cx + 3, cy - 1.5)])
        painter.restore()

    def sizeHint(self, option, index):
        return QSize(110, THUMB_SIZE.height() + 12)

    def createEditor(self, parent, option, index):
        combo = QComboBox(parent)
        combo.setToolTip("This video's own permission. Default follows the library default.")
        for value, label in PERMISSION_CHOICES:
            combo.addItem(label, value)
            combo.setItemData(combo.count() - 1, BADGE_COLORS[value],
                              Qt.ItemDataRole.DecorationRole)
        combo.activated.connect(lambda _i, c=combo: self._commit(c))
        QTimer.singleShot(0, combo.showPopup)  # one click opens the choices
        return combo

    def _commit(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QStyledItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor, index):
        value = index.data(Qt.ItemDataRole.EditRole)
        position = editor.findData(value)
        if position >= 0:
            editor.setCurrentIndex(position)

    def setModelData(self, editor, model, index):
        value = editor.currentData()
        if value and value != index.data(Qt.ItemDataRole.EditRole):
            model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor, option, index):
        height = editor.sizeHint().height()
        rect = option.rect
        editor.setGeometry(rect.left() + 4, rect.center().y() - height // 2,
                           max(rect.width() - 8, 100), height)


class EffectiveDelegate(QStyledItemDelegate):
    """A coloured dot, the verdict (Allowed / Denied) and below it the short reason."""

    def paint(self, painter, option, index):
        # no initStyleOption: the view set the state, palette, font and widget already, and
        # this delegate draws its own text (a dozen model lookups a cell spared)
        _background(painter, option)
        effective = index.data(EffectiveRole)
        if effective is None:
            return
        verdict, _, reason = (index.data() or "").partition(" — ")
        problem = index.data(FileStateRole)
        if problem is not None:  # consent aside, a missing or changed file is not remixed
            verdict, reason = FILE_LABELS[FileState(problem)], FILE_HINTS[FileState(problem)]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(10, 0, -6, 0)
        dot = 10
        font = QFont(option.font)
        font.setWeight(QFont.Weight.DemiBold)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.88))
        fm, sfm = QFontMetrics(font), QFontMetrics(small)
        block = fm.height() + (sfm.height() + 2 if reason else 0)
        y = rect.top() + (rect.height() - block) // 2
        painter.setPen(Qt.PenStyle.NoPen)
        gone = problem is not None
        painter.setBrush(_text_color(option, QPalette.ColorRole.PlaceholderText) if gone
                         else ALLOW_COLOR if effective.allowed else DENY_COLOR)
        painter.drawEllipse(QRectF(rect.left(), y + (fm.height() - dot) / 2, dot, dot))
        text_left, width = rect.left() + dot + 8, rect.width() - dot - 8
        painter.setFont(font)
        painter.setPen(_text_color(option))
        painter.drawText(QRect(text_left, y, width, fm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(verdict, Qt.TextElideMode.ElideRight, width))
        if reason:
            painter.setFont(small)
            painter.setPen(_text_color(option, QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRect(text_left, y + fm.height() + 2, width, sfm.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             sfm.elidedText(reason, Qt.TextElideMode.ElideRight, width))
        painter.restore()

    def sizeHint(self, option, index):
        return QSize(150, THUMB_SIZE.height() + 12)
