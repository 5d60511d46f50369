"""Thumbnails for the library list, loaded lazily and kept in a bounded cache.

Only rows the view actually paints ask for their thumbnail (the model's DecorationRole calls
`ThumbnailCache.get`). Requests are batched, the newest first, and the oldest pending ones
are dropped when the creator scrolls past them. JPEG decoding and scaling into a QImage
happen on a thread pool through the one job adapter (`jobs.Job`); the QPixmap conversion
happens on the GUI thread, as Qt requires.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import QApplication

from .jobs import JobControl, JobRunner

THUMB_SIZE = QSize(80, 45)  # logical pixels; 16:9 like most sources
CACHE_LIMIT = 300  # QPixmaps kept (a few screens' worth)
PENDING_LIMIT = 64  # requests waiting for a thread; older ones are dropped when scrolling
BATCH = 8  # thumbnails per job
IN_FLIGHT = 2  # jobs at a time


def load_thumbnails(folder: Path, names: list[str], size: QSize, ratio: float,
                    control: JobControl | None = None) -> list[tuple[str, QImage | None]]:
    """Decode and letterbox each JPEG into a transparent `size` image (off the GUI thread;
    QImage and QPainter on a QImage are safe there)."""
    w, h = round(size.width() * ratio), round(size.height() * ratio)
    out: list[tuple[str, QImage | None]] = []
    for name in names:
        if control is not None and control.cancelled():
            break
        source = QImage(str(folder / Path(name).name))
        if source.isNull():
            out.append((name, None))
            continue
        scaled = source.scaled(w, h, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        canvas = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
        canvas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        x, y = (w - scaled.width()) / 2, (h - scaled.height()) / 2
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(x, y, scaled.width(), scaled.height()), 4 * ratio, 4 * ratio)
        painter.setClipPath(clip)
        painter.drawImage(round(x), round(y), scaled)
        painter.end()
        canvas.setDevicePixelRatio(ratio)
        out.append((name, canvas))
    return out


def placeholder_pixmap(size: QSize, ratio: float, palette: QPalette) -> QPixmap:
    """A neutral frame with a play mark, in the palette's colours (light and dark)."""
    pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
    fill = QColor(palette.color(QPalette.ColorRole.Mid))
    fill.setAlpha(90)
    painter.setPen(palette.color(QPalette.ColorRole.Mid))
    painter.setBrush(fill)
    painter.drawRoundedRect(rect, 4, 4)
    cx, cy, r = size.width() / 2, size.height() / 2, size.height() / 6
    mark = QColor(palette.color(QPalette.ColorRole.Text))
    mark.setAlpha(110)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(mark)
    painter.drawPolygon(QPolygonF([QPointF(cx - r * 0.8, cy - r),
                                   QPointF(cx - r * 0.8, cy + r),
                                   QPointF(cx + r, cy)]))
    painter.end()
    return pixmap


class ThumbnailCache(QObject):
    """Thumbnails by file name: `get` answers at once (a pixmap or the placeholder) and
    queues a load; `loaded(name)` says when a thumbnail arrived."""

    loaded = Signal(str)

    def __init__(self, folder: Path, parent: QObject | None = None, *,
                 size: QSize = THUMB_SIZE, limit: int = CACHE_LIMIT):
        super().__init__(parent)
        self.folder = Path(folder)
        self.size = QSize(size)
        self.limit = limit
        self.runner = JobRunner(self, max_threads=IN_FLIGHT)  # own pool: never behind imports
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()  # None: no thumbnail
        self._pending: OrderedDict[str, None] = OrderedDict()
        self._in_flight: set[str] = set()
        self._jobs = 0
        self._placeholder: QPixmap | None = None
        self.requests = 0  # how many loads were ever queued (tests, diagnostics)
        self.recent_requests: deque[str] = deque(maxlen=2000)
        self._kick = QTimer(self, singleShot=True, interval=0)
        self._kick.timeout.connect(self._dispatch)

    # -- asking ----------------------------------------------------------------------------

    def get(self, name: str | None) -> QPixmap:
        if not name:
            return self.placeholder()
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name] or self.placeholder()
        if name in self._in_flight:
            return self.placeholder()
        if name in self._pending:
            self._pending.move_to_end(name)  # asked again: it is on screen now
        else:
            self._pending[name] = None
            self.requests += 1
            self.recent_requests.append(name)
            while len(self._pending) > PENDING_LIMIT:  # scrolled past: drop the oldest
                self._pending.popitem(last=False)
        self._kick.start()
        return self.placeholder()

    def placeholder(self) -> QPixmap:
        if self._placeholder is None:
            app = QApplication.instance()
            self._placeholder = placeholder_pixmap(self.size, self._ratio(), app.palette())
        return self._placeholder

    def cached(self, name: str) -> bool:
        return self._cache.get(name) is not None

    def __len__(self) -> int:
        return len(self._cache)

    def forget_missing(self) -> None:
        """Try again for thumbnails that were missing (a re-import may have written them)."""
        for name in [n for n, p in self._cache.items() if p is None]:
            del self._cache[name]

    def reset_placeholder(self) -> None:
        self._placeholder = None  # the palette changed (light/dark)

    def shutdown(self) -> None:
        self._kick.stop()
        self._pending.clear()
        self.runner.cancel_all()
        self.runner.wait(3000)

    # -- loading ---------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while self._pending and self._jobs < IN_FLIGHT:
            names = []
            while self._pending and len(names) < BATCH:
                names.append(self._pending.popitem(last=True)[0])  # newest first
            self._in_flight.update(names)
            self._jobs += 1
            folder, size, ratio = self.folder, QSize(self.size), self._ratio()
            self.runner.run(  # slots connected before the job starts: no result is lost
                "thumbnails",
                lambda control, n=names: load_thumbnails(folder, n, size, ratio, control),
                finished=self._arrived,
                failed=lambda _msg, n=names: self._gave_up(n),
                cancelled=lambda n=names: self._gave_up(n, cache=False))

    def _arrived(self, results: list[tuple[str, QImage | None]]) -> None:
        self._jobs -= 1
        for name, image in results:
            self._in_flight.discard(name)
            self._store(name, QPixmap.fromImage(image) if image is not None else None)
            self.loaded.emit(name)
        self._dispatch()

    def _gave_up(self, names: list[str], cache: bool = True) -> None:
        self._jobs -= 1
        for name in names:
            if name in self._in_flight:
                self._in_flight.discard(name)
                if cache:
                    self._store(name, None)
        self._dispatch()

    def _store(self, name: str, pixmap: QPixmap | None) -> None:
        self._cache[name] = pixmap
        self._cache.move_to_end(name)
        while len(self._cache) > self.limit:
            self._cache.popitem(last=False)

    @staticmethod
    def _ratio() -> float:
        app = QApplication.instance()
        screen = app.primaryScreen() if app is not None else None
        return float(screen.devicePixelRatio()) if screen is not None else 1.0
