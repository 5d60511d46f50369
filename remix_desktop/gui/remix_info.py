"""Two parts of the remix panel about the video itself: its editable title, description and
tags (they feed the captions; saved on a job when editing finishes), and the banner that
says why a video may not be remixed and how to allow it."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from ..core import ops
from ..core.consent_rule import Reason, Verdict
from ..core.library import Video
from ..core.video_files import FileState, problem_sentence
from .context import AppContext
from .jobs import Job
from .library_model import reason_for_you
from .locate_actions import locate_file
from .remix_widgets import Notice

Info = tuple[str, str, tuple[str, ...]]
DESCRIPTION_SETTLE_MS = 1500  # a pause in typing this long saves the description


def split_tags(text: str) -> tuple[str, ...]:
    seen: list[str] = []
    for tag in (t.strip() for t in text.split(",")):
        if tag and tag.lower() not in (s.lower() for s in seen):
            seen.append(tag)
    return tuple(seen)


class VideoInfoEditor(QGroupBox):
    failed = Signal(str)
    # the creator took what a vision model saw into the description, or turned it down
    suggestion_done = Signal(int)  # the video's id
    suggestion_changed = Signal()  # one is shown or gone

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__("About this video", parent)
        self.context = context
        self.video_id: int | None = None
        self._saved: Info = ("", "", ())
        self.save_job: Job | None = None
        self.setToolTip("What the video is about: the caption model reads this. "
                        "Changes are saved to your library when you finish editing.")
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("A title, e.g. First morning coffee")
        self.title_edit.setToolTip("The video's title (feeds the captions)")
        self.description_edit = QPlainTextEdit()
        self.description_edit.setPlaceholderText("What happens in it, in a sentence or two")
        self.description_edit.setToolTip("The video's description (feeds the captions)")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("Tags, separated by commas")
        self.tags_edit.setToolTip("Tags, separated by commas (feed the captions)")
        form = QFormLayout(self)
        form.addRow("&Title", self.title_edit)
        form.addRow("&Description", self.description_edit)
        form.addRow("T&ags", self.tags_edit)
        self.suggestion = _Suggestion()
        self.suggestion.use.clicked.connect(self._use_suggestion)
        self.suggestion.dismiss.clicked.connect(self._dismiss_suggestion)
        form.addRow(self.suggestion)
        self._settle = QTimer(self, singleShot=True, interval=DESCRIPTION_SETTLE_MS)
        self._settle.timeout.connect(self.save)
        self.title_edit.editingFinished.connect(self.save)
        self.tags_edit.editingFinished.connect(self.save)
        self.description_edit.textChanged.connect(self._settle.start)
        self.description_edit.installEventFilter(self)
        self.load(None)

    def load(self, video: Video | None) -> None:
        self._settle.stop()
        if video is None or video.id != self.video_id:
            self.show_suggestion(None)  # another video's (a refresh keeps this one's)
        self.video_id = None if video is None else video.id
        info: Info = ("", "", ()) if video is None else (video.title, video.description,
                                                         tuple(video.tags))
        for widget, text in ((self.title_edit, info[0]), (self.tags_edit, ", ".join(info[2]))):
            if widget.text() != text:
                widget.setText(text)
        if self.description_edit.toPlainText() != info[1]:
            self.description_edit.blockSignals(True)
            self.description_edit.setPlainText(info[1])
            self.description_edit.blockSignals(False)
        self._saved = info
        self.setEnabled(video is not None)

    def show_suggestion(self, suggestion: tuple[str, str | None] | None) -> None:
        """What a vision model said the frame shows ((text, model id), or None): offered for
        the description, never written into it without the creator."""
        self.suggestion.show_text(suggestion)
        self.suggestion_changed.emit()

    def _use_suggestion(self) -> None:
        text = self.suggestion.text
        if self.video_id is None or not text:
            return
        current = self.description_edit.toPlainText().strip()
        self.description_edit.setPlainText(f"{current} {text}".strip() if current and
                                           text.lower() not in current.lower() else
                                           current or text)
        self.description_edit.setFocus()  # to edit it; saved when the typing settles
        self.save()
        self.suggestion_done.emit(self.video_id)
        self.show_suggestion(None)

    def _dismiss_suggestion(self) -> None:
        if self.video_id is not None:
            self.suggestion_done.emit(self.video_id)
        self.show_suggestion(None)

    def refresh(self, video: Video) -> None:
        """The library changed: take the stored info unless the creator is editing it."""
        if video.id == self.video_id and not self.dirty():
            self.load(video)

    def values(self) -> Info:
        return (self.title_edit.text().strip(), self.description_edit.toPlainText().strip(),
                split_tags(self.tags_edit.text()))

    def dirty(self) -> bool:
        return self.video_id is not None and self.values() != self._saved

    def save(self) -> Job | None:
        """Save edited info on a job (None when nothing changed); libraryChanged follows."""
        self._settle.stop()
        if not self.dirty():
            return None
        video_id, (title, description, tags) = self.video_id, self.values()
        self._saved = (title, description, tags)  # a second editingFinished saves nothing
        ctx = self.context

        def work(library, control):
            return ops.set_video_info(library, video_id, title=title, description=description,
                                      tags=tags)

        self.save_job = ctx.run_op("save video info", work, failed=self.failed.emit,
                                   initiator=self)
        return self.save_job

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt
        if watched is self.description_edit and event.type() == QEvent.Type.FocusOut:
            self.save()
        return super().eventFilter(watched, event)



class _Suggestion(QWidget):
    """"The vision model sees: …" with Use in description and Dismiss."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.use = QPushButton("&Use in description")
        self.use.setToolTip("Add these words to the video's description, to edit as you like")
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setToolTip("Forget this suggestion (the description is not changed)")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.use)
        row.addWidget(self.dismiss)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addLayout(row)
        self.hide()

    def show_text(self, suggestion: tuple[str, str | None] | None) -> None:
        self.text = suggestion[0] if suggestion else ""
        if suggestion:
            who = f"{suggestion[1]} sees" if suggestion[1] else "The vision model sees"
            self.label.setText(f"<i>{escape(who)}:</i> {escape(self.text)}")
        self.setVisible(bool(suggestion))


ABOUT_PLACEHOLDER = "What happens in this clip?"
ABOUT_EXPLANATION = ("Nothing to go on for this clip: its file name is a camera's and it has "
                     "no title, description or tags. Say in one line what happens in it "
                     "(kept as its description) and press Enter.")


class AboutPrompt(QWidget):
    """One line asked for in the captions area when a clip gives nothing to go on (a camera
    file name, no title, description or tags): `entered` carries the line."""

    entered = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.explanation = QLabel(ABOUT_EXPLANATION)
        self.explanation.setWordWrap(True)
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText(ABOUT_PLACEHOLDER)
        self.line_edit.setToolTip("One line about the clip, e.g. my cat knocks a glass off "
                                  "the table; the captions are written about it")
        self.line_edit.setClearButtonEnabled(True)
        self.line_edit.returnPressed.connect(self._enter)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 4)
        column.addWidget(self.explanation)
        column.addWidget(self.line_edit)
        self.hide()

    def line(self) -> str:
        return " ".join(self.line_edit.text().split())

    def _enter(self) -> None:
        if self.line():
            self.entered.emit(self.line())

    def set_needed(self, needed: bool) -> None:
        if not needed:
            self.line_edit.clear()
        self.setVisible(needed)


class FileBanner(Notice):
    """A video whose file is missing, unreadable or changed: what is wrong, and Locate… to
    point the video at its file again (matched by content, so another clip is refused)."""

    relinked = Signal(int)  # the video id
    failed = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__("", parent)
        self.context = context
        self.video: Video | None = None
        self.state: FileState | None = None
        self.locate_job: Job | None = None
        self.locate_button = QPushButton("Locate…")
        self.locate_button.setToolTip("Choose where the file is now; it is taken only if it "
                                      "holds the same video")
        self.locate_button.clicked.connect(lambda: self.locate())
        self.row.addWidget(self.locate_button)
        self.hide()

    def show_for(self, video: Video, state: FileState) -> None:
        self.video, self.state = video, state
        self.setText(f"<b>This video cannot be remixed now.</b> "
                     f"{escape(problem_sentence(video, state, window=True))}.")
        self.locate_button.setVisible(state is FileState.MISSING)
        self.locate_button.setEnabled(True)
        self.show()

    def locate(self, path: str | None = None) -> Job | None:
        if self.video is None:
            return None
        self.locate_job = locate_file(self, self.context, self.video, path,
                                      finished=self._done, failed=self._failed)
        if self.locate_job is not None:
            self.locate_button.setEnabled(False)
        return self.locate_job

    def _done(self, video) -> None:
        self.relinked.emit(video.id)

    def _failed(self, message: str) -> None:
        self.locate_button.setEnabled(True)
        self.failed.emit(message)


class ConsentBanner(Notice):
    """Why the video may not be remixed, and the way to allow it (or what must come first)."""

    allowFailed = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__("", parent)
        self.context = context
        self.video_id: int | None = None
        self.reason = ""
        self.allow_job: Job | None = None
        self.allow_button = QPushButton("Allow remixing of this video")
        self.allow_button.setToolTip("Set this video's own permission to allow (recorded in "
                                     "the audit trail; undo brings it back)")
        self.allow_button.clicked.connect(self.allow)
        self.unlink_button = QPushButton("Not a copy")
        self.unlink_button.setToolTip("This video is not a copy of that one: break the link, "
                                      "so it no longer follows that video's deny (undoable)")
        self.unlink_button.clicked.connect(self.unlink)
        self.row.addWidget(self.unlink_button)
        self.row.addWidget(self.allow_button)
        self.unlink_button.hide()
        self.hide()

    def show_for(self, video_id: int, verdict: Verdict, optout: bool,
                 original: str = "") -> None:
        """`original`: the title or name of the video this one is a copy of, if it is."""
        self.video_id, self.reason = video_id, reason_for_you(verdict, original)
        copy = verdict.reason is Reason.COPY_OF_DENIED and not optout
        self.unlink_button.setVisible(copy)
        self.unlink_button.setEnabled(True)
        if optout:
            self.setText("<b>Remixing is off for this video:</b> "
                         f"{self.reason}.<br>To remix it, turn the bulk opt-out off "
                         "first; then allow this video if it still follows a deny.")
            self.allow_button.hide()
        else:
            self.setText(f"<b>Remixing is off for this video:</b> {self.reason}.<br>"
                         "No model reads any of it until you allow it.")
            self.allow_button.show()
            self.allow_button.setEnabled(True)
        self.show()

    def allow(self) -> Job | None:
        if self.video_id is None:
            return None
        video_id, ctx = self.video_id, self.context
        self.allow_button.setEnabled(False)

        self.allow_job = ctx.run_op(
            "allow remixing", lambda library, _c: ops.set_permission(library, [video_id], "allow"),
            failed=self._allow_failed, initiator=self, exclusive=True)
        return self.allow_job

    def unlink(self) -> Job | None:
        if self.video_id is None:
            return None
        video_id, ctx = self.video_id, self.context
        self.unlink_button.setEnabled(False)
        return ctx.run_op("not a copy", lambda library, _c: ops.unlink_copy(library, video_id),
                          failed=self._allow_failed, initiator=self, exclusive=True)

    def _allow_failed(self, message: str) -> None:
        self.unlink_button.setEnabled(True)
        self.allow_button.setEnabled(True)
        self.allowFailed.emit(message)
