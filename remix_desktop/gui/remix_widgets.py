"""Small pieces the remix panel's views share: pictures from NumPy (on any thread), a picture
view that keeps its aspect, readable names for styles, layouts and sizes, and times as text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QStyle, QWidget

from ..core.compose import LAYOUTS, SIZES
from ..core.remix import ALL_STYLES

STYLE_LABELS = {
    "none": "Original frame",
    "cartoon": "Cartoon",
    "sketch": "Pencil sketch",
    "popart": "Pop art",
    "halftone": "Halftone dots",
    "diffusion": "Diffusion (AI redraw)",
}
LAYOUT_LABELS = {
    "classic": "Classic: text on the picture",
    "modern": "Modern: caption in a white band",
}
SIZE_LABELS = {
    "square": "Square · 1080 × 1080",
    "portrait": "Portrait · 1080 × 1920",
    "source": "The video's own shape",
}
ANIMATED_SIZE_LABELS = {  # an animated remix is made at 540 px (core.animate)
    "square": "Square · 540 × 540",
    "portrait": "Portrait · 540 × 960",
    "source": "The video's own shape",
}


def label(name: str, labels: dict[str, str]) -> str:
    """The readable name of a style, layout or size (a new one still reads well)."""
    return labels.get(name) or name.replace("_", " ").capitalize()


def choices() -> dict[str, list[tuple[str, str]]]:
    """(name, label) for each picker, in the core's order."""
    return {
        "style": [(n, label(n, STYLE_LABELS)) for n in ALL_STYLES],
        "layout": [(n, label(n, LAYOUT_LABELS)) for n in LAYOUTS],
        "size": [(n, label(n, SIZE_LABELS)) for n in SIZES],
    }


def format_time(seconds: float, *, precise: bool = True) -> str:
    """0:01.20 (minutes, seconds and hundredths); 1:02:03.40 past an hour."""
    seconds = max(0.0, float(seconds))
    # rounded once, as a whole count of hundredths (or seconds), so 1.999 s reads 0:02.00,
    # never 0:01.00 (the whole second and the hundredths rounded apart)
    hundredths = round(seconds * 100) if precise else round(seconds) * 100
    whole, frac = divmod(int(hundredths), 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    if precise:
        text += f".{frac:02d}"
    return text


def qimage_from_rgb(pixels: np.ndarray) -> QImage:
    """A QImage that owns a copy of an RGB array (safe to make on a pool thread)."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


def load_scaled(path: str | Path, side: int) -> QImage:
    """A picture file scaled to fit `side` (a null QImage if it cannot be read)."""
    image = QImage(str(path))
    if image.isNull():
        return image
    if max(image.width(), image.height()) > side:
        image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


class ImageView(QWidget):
    """A picture scaled to fit, centred on the palette's base colour, or a line of text."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None,
                 minimum: QSize = QSize(160, 120)):
        super().__init__(parent)
        self._image: QImage | None = None
        self._scaled: QPixmap | None = None
        self._placeholder = placeholder
        self.setMinimumSize(minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        self._image = None if image is None or image.isNull() else image
        self._scaled = None
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        if self._image is None:
            self.update()

    def placeholder(self) -> str:
        return self._placeholder

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt
        self._scaled = None
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt
        return QSize(480, 300)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt
        painter = QPainter(self)
        pal = self.palette()
        rect = self.rect()
        painter.fillRect(rect, pal.color(QPalette.ColorRole.Base if self._image is None
                                         else QPalette.ColorRole.Dark))
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if self._image is None:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect.adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._placeholder)
            return
        inner = rect.adjusted(1, 1, -1, -1)
        ratio = self.devicePixelRatioF()
        if self._scaled is None:
            target = self._image.size().scaled(inner.size() * ratio,
                                               Qt.AspectRatioMode.KeepAspectRatio)
            self._scaled = QPixmap.fromImage(self._image.scaled(
                target, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self._scaled.setDevicePixelRatio(ratio)
        size = self._scaled.deviceIndependentSize().toSize()
        x = inner.x() + (inner.width() - size.width()) // 2
        y = inner.y() + (inner.height() - size.height()) // 2
        painter.drawPixmap(QRect(x, y, size.width(), size.height()), self._scaled)


class Notice(QFrame):
    """An icon and a wrapped sentence on the palette's tooltip colours (a soft yellow in light
    themes, dark in dark ones), for warnings that must be read but do not block."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 icon: QStyle.StandardPixmap = QStyle.StandardPixmap.SP_MessageBoxWarning):
        super().__init__(parent)
        self.setObjectName("notice")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, pal.color(QPalette.ColorRole.ToolTipBase))
        pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.ToolTipText))
        self.setPalette(pal)
        self.icon_label = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon_label.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text_label = QLabel(text)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(8, 6, 8, 6)
        self.row.addWidget(self.icon_label)
        self.row.addWidget(self.text_label, 1)

    def text(self) -> str:
        return self.text_label.text()

    def setText(self, text: str) -> None:  # noqa: N802 - reads like QLabel
        self.text_label.setText(text)
