"""The frame scrubber: the chosen frame shown large, a strip of thumbnails over the timeline
with the suggested frames marked, a slider with the time, and the face warning.

Every frame is read on a job: the strip once per video, the large frame after the slider
rests (a newer position replaces a queued one), and the suggestions through the remixer,
behind the consent gate. Results for another video, or an older position, are dropped.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider,
                               QVBoxLayout, QWidget)

from ..core import frames
from ..core.stylize import STYLES
from ..core.errors import UsageError
from ..core.faces import has_face
from ..core.video_checks import shows_face
from ..core.library import Video
from ..core.media import MediaError
from .context import AppContext
from .jobs import Job, JobState
from .remix_widgets import ImageView, Notice, format_time, qimage_from_rgb

STRIP_FRAMES = 8
STRIP_SIDE = 160  # longest side of a strip thumbnail, in pixels
FRAME_SIDE = 960  # longest side of the large frame
SETTLE_MS = 90  # the slider rests this long before its frame is read
FACE_TEXT = "This frame shows a face: a remix uses a person's likeness."
FACE_COLOR = QColor(232, 152, 20)  # the dots marking frames with a face
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


def face_times(video: Video) -> list[float]:
    """The times of the frames in which the video's look found a face, when it shows one
    (a single detection in a pattern is not marked: the rule does not count it either)."""
    if not shows_face(video.face_share):
        return []
    try:
        return [float(t) for t in json.loads(video.faces_at or "[]")]
    except (ValueError, TypeError):
        return []


def strip_times(duration_s: float, count: int = STRIP_FRAMES) -> list[float]:
    """The middle of each of `count` equal stretches of the timeline."""
    return [max(0.0, duration_s) * (i + 0.5) / count for i in range(count)]


class FrameStrip(QWidget):
    """Thumbnails side by side; the current time as a line; suggestions as marks above."""

    seekRequested = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pixmaps: list[QPixmap] = []
        self._duration = 0.0
        self._position = 0.0
        self._marks: list[float] = []
        self._best: float | None = None
        self._faces: list[float] = []  # times of the frames the video's look found a face in
        self._message = ""
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("The video's timeline: click or drag to choose a frame. "
                        "Marks above it show suggested frames; the filled one is the best. "
                        "Amber dots along its bottom: frames in which a face was found.")

    def clear(self, message: str = "") -> None:
        self._pixmaps, self._marks, self._best = [], [], None
        self._message = message
        self.update()

    def set_duration(self, duration_s: float) -> None:
        self._duration = max(0.0, duration_s)
        self.update()

    def set_thumbnails(self, images: list[QImage]) -> None:
        self._pixmaps = [QPixmap.fromImage(i) for i in images if not i.isNull()]
        self._message = ""
        self.update()

    def thumbnail_count(self) -> int:
        return len(self._pixmaps)

    def set_message(self, text: str) -> None:
        self._message = text
        self.update()

    def set_position(self, seconds: float) -> None:
        self._position = seconds
        self.update()

    def position(self) -> float:
        return self._position

    def set_marks(self, times: list[float], best: float | None) -> None:
        self._marks, self._best = list(times), best
        self.update()

    def marks(self) -> list[float]:
        return list(self._marks)

    def set_faces(self, times: list[float]) -> None:
        """Mark the frames in which the video's look found a face."""
        self._faces = list(times)
        self.update()

    def faces(self) -> list[float]:
        return list(self._faces)

    def best(self) -> float | None:
        return self._best

    def _x(self, seconds: float) -> float:
        return 0.0 if self._duration <= 0 else seconds / self._duration * (self.width() - 1)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        top, height = 10.0, self.height() - 10.0
        painter.fillRect(QRectF(0, top, self.width(), height), pal.color(QPalette.ColorRole.Base))
        if self._pixmaps:
            cell = self.width() / len(self._pixmaps)
            for i, pixmap in enumerate(self._pixmaps):
                target = QRectF(i * cell, top, cell, height)
                painter.drawPixmap(target, pixmap, _cover(pixmap, target))
        elif self._message:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(0, top, self.width(), height),
                             Qt.AlignmentFlag.AlignCenter, self._message)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(QRectF(0.5, top + 0.5, self.width() - 1, height - 1))
        accent = pal.color(QPalette.ColorRole.Highlight)
        for t in self._marks:  # a triangle above the strip and a thin tick into it
            x, best = self._x(t), self._best is not None and abs(t - self._best) < 1e-6
            path = QPainterPath(QPointF(x - 6, 0))
            path.lineTo(x + 6, 0)
            path.lineTo(x, 9)
            path.closeSubpath()
            painter.setPen(QPen(accent, 1.5))
            painter.setBrush(accent if best else pal.color(QPalette.ColorRole.Base))
            painter.drawPath(path)
            painter.drawLine(QPointF(x, 9), QPointF(x, top + 8))
        if self._faces:  # a face was found here: an amber dot with a ring, on any frame
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Base), 1.5))
            painter.setBrush(FACE_COLOR)
            for t in self._faces:
                painter.drawEllipse(QPointF(min(max(self._x(t), 5.0), self.width() - 5.0),
                                            top + height - 6), 4.0, 4.0)
        x = self._x(self._position)  # the chosen time: a bar with a halo, readable on any frame
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Base), 5))
        painter.drawLine(QPointF(x, top), QPointF(x, top + height))
        painter.setPen(QPen(accent, 3))
        painter.drawLine(QPointF(x, top), QPointF(x, top + height))

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt
        self._seek(event.position().x())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._seek(event.position().x())

    def _seek(self, x: float) -> None:
        if self._duration > 0 and self.width() > 1:
            self.seekRequested.emit(min(max(x / (self.width() - 1), 0.0), 1.0) * self._duration)


def _cover(pixmap: QPixmap, target: QRectF) -> QRectF:
    """The middle part of `pixmap` with the aspect of `target` (to fill it, cropped)."""
    w, h = pixmap.width(), pixmap.height()
    if w <= 0 or h <= 0 or target.height() <= 0:
        return QRectF(0, 0, w, h)
    aspect = target.width() / target.height()
    if w / h > aspect:
        cw = h * aspect
        return QRectF((w - cw) / 2, 0, cw, h)
    ch = w / aspect
    return QRectF(0, (h - ch) / 2, w, ch)


class FrameScrubber(QWidget):
    timeChanged = Signal(float)
    frameShown = Signal(float, object)  # the time shown; face: True, False or None (unchecked)
    suggestionsChanged = Signal(list)  # the FrameSuggestions of the current video

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.video: Video | None = None
        self.allowed = False
        self.suggestions: list[frames.FrameSuggestion] = []
        self.suggest_job: Job | None = None
        self.face: bool | None = None
        self.token = 0  # a new video makes every older result stale
        self.look = "none"  # the OpenCV style the frame is shown in (set_look)
        self._frame_job: Job | None = None
        self._strip_job: Job | None = None
        self._frame_again = False
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._load_frame)

        self.view = ImageView("Select a video to see its frames.")
        self.view.setToolTip("The frame the remix is made from")
        self.face_warning = Notice(FACE_TEXT)
        self.face_warning.setToolTip("Faces were found by OpenCV on this machine; nothing "
                                     "leaves your computer.")
        self.face_warning.hide()
        self.strip = FrameStrip()
        self.strip.seekRequested.connect(self.set_time)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Choose the frame: drag, or use ←/→ for one frame and "
                               "Page Up/Page Down for a second")
        self.slider.valueChanged.connect(self._moved)
        self.slider.setMinimumWidth(160)
        self.time_label = QLabel(format_time(0) + " / " + format_time(0))
        self.time_label.setToolTip("The chosen time / the video's length")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance(
            "00:00.00 / 00:00.00") + 8)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.suggest_button = QPushButton("&Suggest frames")
        self.suggest_button.setToolTip("Find the sharpest, best-lit frames (faces preferred), "
                                       "mark them on the strip and jump to the best (Alt+S)")

        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        row.addWidget(self.suggest_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.face_warning)
        layout.addWidget(self.strip)
        layout.addLayout(row)
        self.load(None, False)

    # -- the video -------------------------------------------------------------------------

    def load(self, video: Video | None, allowed: bool, *, unavailable: str = "") -> None:
        """Show `video` (None: nothing); `allowed` says whether its frames may be checked
        for faces and suggested (both feed a remix). `unavailable`: why its file cannot be
        read now (missing, changed): said in place of the frames, and nothing is read."""
        self.token += 1
        self._settle.stop()
        for job in (self._frame_job, self._strip_job, self.suggest_job):
            if job is not None:
                job.cancel()
        self._frame_job, self._strip_job, self.suggest_job = None, None, None
        self._frame_again = False
        self.video, self.allowed, self.suggestions, self.face = video, allowed, [], None
        self.face_warning.hide()
        self.view.set_image(None)
        self.strip.clear("Loading frames…" if video else "")
        enabled = video is not None
        for widget in (self.slider, self.strip):
            widget.setEnabled(enabled)
        if video is None:
            self.view.set_placeholder("Select a video to see its frames.")
            self.slider.blockSignals(True)
            self.slider.setRange(0, 0)
            self.slider.blockSignals(False)
            self.strip.set_position(0.0)
            self._show_time()
            return
        if unavailable:
            self.view.set_placeholder(unavailable)
            self.strip.clear("")
            for widget in (self.slider, self.strip):
                widget.setEnabled(False)
            self._show_time()
            return
        self.view.set_placeholder("Reading the frame…")
        self.strip.set_duration(video.duration_s)
        self.strip.set_faces(face_times(video))
        frame_ms = max(1, round(1000 / video.fps)) if video.fps > 0 else 40
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, int(video.duration_s * 1000)))
        self.slider.setSingleStep(frame_ms)
        self.slider.setPageStep(1000)
        self.slider.setValue(int(video.duration_s * 500))  # start in the middle
        self.slider.blockSignals(False)
        self.strip.set_position(self.time())  # the strip's cursor too (not the last video's)
        self._show_time()
        self._load_strip()
        self._load_frame()

    def set_look(self, style: str) -> None:
        """Show the frame in this OpenCV style (a quick look at what Generate will make);
        "none" or the diffusion style show the frame itself."""
        if style == self.look:
            return
        self.look = style
        if self.video is not None:
            self._load_frame()

    def set_allowed(self, allowed: bool) -> None:
        """Consent changed: a denied video's frames are no longer checked for faces."""
        if allowed == self.allowed:
            return
        self.allowed = allowed
        if not allowed:
            if self.suggest_job is not None:
                self.suggest_job.cancel()
            self.face, self.suggestions = None, []
            self.face_warning.hide()
            self.strip.set_marks([], None)
        elif self.video is not None:
            self._load_frame()  # check the shown frame for a face now

    def time(self) -> float:
        return self.slider.value() / 1000.0

    def set_time(self, seconds: float) -> None:
        self.slider.setValue(round(seconds * 1000))

    def marked_times(self) -> list[float]:
        return self.strip.marks()

    # -- suggestions -----------------------------------------------------------------------

    def suggest(self, count: int = 4) -> Job | None:
        """Suggest frames (behind the gate) on a job; None when there is nothing to do."""
        if self.video is None or not self.allowed:
            return None
        if self.suggest_job is not None and self.suggest_job.state in ACTIVE:
            return self.suggest_job
        token, video_id, ctx = self.token, self.video.id, self.context

        def work(control):
            with ctx.background_library() as library:
                return token, ctx.remixer(library).suggest(video_id, count,
                                                           cancelled=control.cancelled)

        self.suggest_job = ctx.jobs.run("suggest frames", work, finished=self._suggested)
        return self.suggest_job

    def _suggested(self, result) -> None:
        token, picks = result
        if token != self.token or not self.allowed:
            return
        self.suggestions = list(picks)
        best = max(picks, key=lambda p: p.score) if picks else None
        self.strip.set_marks([p.time_s for p in picks], best.time_s if best else None)
        if best is not None:
            self.set_time(best.time_s)
        self.suggestionsChanged.emit(self.suggestions)

    # -- reading frames --------------------------------------------------------------------

    def _moved(self, value: int) -> None:
        self._show_time()
        self.strip.set_position(value / 1000.0)
        self.timeChanged.emit(value / 1000.0)
        self._settle.start()

    def _show_time(self) -> None:
        total = self.video.duration_s if self.video else 0.0
        self.time_label.setText(f"{format_time(self.time())} / {format_time(total)}")

    def _load_strip(self) -> None:
        token, path = self.token, self.video.path
        times = strip_times(self.video.duration_s)

        def work(control):
            pictures = _read(lambda: frames.grab_frames(path, times, max_side=STRIP_SIDE))
            return token, [qimage_from_rgb(p) for p in pictures]

        self._strip_job = self.context.jobs.run("frame strip", work,
                                                finished=self._strip_loaded,
                                                failed=self._strip_failed)

    def _strip_loaded(self, result) -> None:
        token, images = result
        if token == self.token:
            self.strip.set_thumbnails(images)

    def _strip_failed(self, message: str) -> None:
        if self._strip_job is not None and self.sender() is self._strip_job.signals:
            self.strip.set_message(message)

    def _load_frame(self) -> None:
        if self.video is None:
            return
        if self._frame_job is not None and self._frame_job.state in ACTIVE:
            self._frame_again = True  # one frame at a time; the newest position follows
            return
        token, path, at, faces = self.token, self.video.path, self.time(), self.allowed
        look = self.look if self.allowed else "none"  # a denied video is shown as it is

        def work(control):
            pixels = _read(lambda: frames.grab_frame(path, at, max_side=FRAME_SIDE))
            face = has_face(pixels) if faces else None
            if look in STYLES and look != "none":  # the chosen look, before generating
                from ..core.stylize import stylize

                pixels = stylize(pixels, look)
            return token, at, faces, qimage_from_rgb(pixels), face

        self._frame_job = self.context.jobs.run(
            "frame", work, finished=self._frame_loaded, failed=self._frame_failed,
            cancelled=self._frame_cancelled)

    def _current_frame(self) -> bool:
        return self._frame_job is not None and self.sender() is self._frame_job.signals

    def _frame_loaded(self, result) -> None:
        if not self._current_frame():
            return
        token, at, checked, image, face = result
        self.view.set_image(image)
        if checked == self.allowed:
            self.face = face if self.allowed else None
            self.face_warning.setVisible(bool(self.face))
        self.frameShown.emit(at, self.face)
        self._next_frame(again=checked != self.allowed)

    def _frame_failed(self, message: str) -> None:
        if self._current_frame():
            self.view.set_image(None)
            self.view.set_placeholder(message)
            self._next_frame()

    def _frame_cancelled(self) -> None:
        if self._current_frame():
            self._next_frame()

    def _next_frame(self, again: bool = False) -> None:
        self._frame_job = None
        if (self._frame_again or again) and self.video is not None:
            self._frame_again = False
            self._load_frame()


def _read(grab):
    """Run a frame grab; an unreadable file becomes one sentence for the creator."""
    try:
        return grab()
    except MediaError as exc:
        raise UsageError(f"This video's frames cannot be read: {exc.reason}") from None
