"""Looking at the videos not looked at yet (a library from before faces and copies were
known): a job with progress and Cancel in the status bar, started when the window opens; what
it has looked at is kept, so a stop or a restart takes up where it was."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from ..core import ops
from ..core.changes import OpChanges
from ..core.video_checks import waiting
from .context import AppContext
from .import_flow import ImportProgress
from .jobs import Job

START_AFTER_MS = 1500  # the window is drawn and settled first


class LookFlow(QObject):
    looked = Signal(object)  # the CheckReport (also after a cancel: what was done)

    def __init__(self, window: QMainWindow, context: AppContext):
        super().__init__(window)
        self.window = window
        self.context = context
        self.progress = ImportProgress()
        self.progress.cancel_button.setToolTip(
            "Stop looking; the videos looked at so far keep what was found, and the rest "
            "are looked at the next time the app opens")
        self.progress.cancel_button.clicked.connect(self.cancel)
        window.statusBar().addPermanentWidget(self.progress)
        self.job: Job | None = None
        self.last_report = None
        self._timer = QTimer(self, singleShot=True, interval=START_AFTER_MS)
        self._timer.timeout.connect(self.start)

    def start_soon(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        """The window closes: nothing more starts, a running look is cancelled."""
        self._timer.stop()
        self.cancel()

    def waiting(self) -> int:
        """How many videos are still to be looked at."""
        return waiting(self.context.library)

    def start(self) -> Job | None:
        """Look at every video not looked at yet, on a job; None when there are none (or a
        look already runs, or the library cannot be written)."""
        if (self.job is not None or self.context.library.read_only
                or getattr(self.window, "_closed", False)):
            return None
        total = self.waiting()
        if not total:
            return None
        self.progress.label.setText(f"Looking for faces and copies in {total} "
                                    f"video{'s' if total != 1 else ''}…")
        self.progress.label.setToolTip(
            "Videos that show a face are remixed only when you allow them one by one, and a "
            "copy of a video you denied is denied: this looks at each video once, on this "
            "machine")
        self.progress.bar.setRange(0, total)
        self.progress.bar.setValue(0)
        self.progress.show()

        def step(done: int, total: int, name: str) -> None:
            self.progress.bar.setRange(0, max(total, 1))
            self.progress.bar.setValue(done)
            self.progress.label.setText(f"Looking for faces and copies: {name[:32]}")

        self.job = self.context.run_op(
            "look for faces and copies", lambda library, control: ops.look_at_videos(
                library, control), progress=step, finished=self._done,
            failed=self._failed, cancelled=self._stopped,
            partial_changes=OpChanges(consent=True, previews=frozenset({0})),
            initiator=self)
        if self.job is None:
            self.progress.hide()
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _done(self, report) -> None:
        self.job = None
        self.last_report = report
        self.progress.hide()
        parts = []
        if report.faces:
            parts.append(f"{report.faces} show{'s' if report.faces == 1 else ''} a face")
        if report.linked:
            n = len(report.linked)
            parts.append(f"{n} {'is a copy' if n == 1 else 'are copies'} of other videos")
        text = f"Looked at {report.checked} video{'s' if report.checked != 1 else ''}"
        text += (": " + ", ".join(parts) + "." if parts else ": no faces, no copies.")
        if report.denied:
            text += (f" {report.denied} may no longer be remixed"
                     + (f" ({report.previews_removed} remix preview"
                        f"{'s' if report.previews_removed != 1 else ''} deleted)"
                        if report.previews_removed else "") + "; the audit trail says which.")
        if report.skipped:
            text += (f" {len(report.skipped)} could not be read and will be looked at again "
                     "next time.")
        self.window.show_message(text, 12000)
        self.looked.emit(report)

    def _failed(self, text: str) -> None:
        self.job = None
        self.progress.hide()
        self.window.show_message(f"Looking for faces and copies stopped: {text}")

    def _stopped(self) -> None:
        self.job = None
        self.progress.hide()
        left = self.waiting()
        self.window.show_message(
            f"Stopped looking for faces and copies; {left} video{'s' if left != 1 else ''} "
            "will be looked at the next time the app opens (each is looked at before it is "
            "remixed).")
