"""Importing videos from the window: file and folder choosers, drag and drop, a job on the
thread pool with its own library connection, progress and Cancel in the status bar, and a
report of the files that were not imported."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QWidget)

from ..core.changes import OpChanges
from ..core.importer import ImportReport, import_videos
from ..core.media import VIDEO_EXTENSIONS
from .context import AppContext
from .dialogs import ImportReportDialog, import_summary
from .jobs import Job, JobControl

VIDEO_FILTER = "Videos (" + " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS)) + ")"


def paths_from_mime(mime: QMimeData) -> list[str]:
    """The local files and folders of a drag (anything else is ignored)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


IMPORTED = OpChanges(videos=True)  # what an import changes: the views are told through the
# context, as every change is (imports run on their own queue, so not through run_op)


class ImportProgress(QWidget):
    """The status-bar strip while an import runs: what, how far, and Cancel."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setMinimumWidth(220)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the import; videos imported so far stay in the "
                                      "library")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()


class ImportFlow(QObject):
    """Runs one import at a time (more requests wait in line) and reports each."""

    imported = Signal(object)  # the ImportReport (also after a cancel: what was done)

    def __init__(self, window: QMainWindow, context: AppContext):
        super().__init__(window)
        self.window = window
        self.context = context
        self.progress = ImportProgress()
        self.progress.cancel_button.clicked.connect(self.cancel)
        window.statusBar().addPermanentWidget(self.progress)
        self.current: Job | None = None
        self.queue: list[Job] = []
        self.last_report: ImportReport | None = None
        self.last_dialog: ImportReportDialog | None = None
        self._outcomes: dict[str, int] = {}
        self._fresh = False  # videos imported since the list last reloaded
        self._refresh = QTimer(self, interval=2000)  # a long import fills the list as it goes
        self._refresh.timeout.connect(self._show_so_far)

    # -- choosing --------------------------------------------------------------------------

    def choose_files(self) -> Job | None:
        start = self.context.last_folder("videos", Path.home())
        files, _ = QFileDialog.getOpenFileNames(
            self.window, "Import videos", str(start), f"{VIDEO_FILTER};;All files (*)")
        if files:
            self.context.remember_folder("videos", Path(files[0]).parent)
        return self.start(files) if files else None

    def choose_folder(self) -> Job | None:
        start = self.context.last_folder("videos", Path.home())
        folder = QFileDialog.getExistingDirectory(
            self.window, "Import a folder of videos (with its subfolders)", str(start))
        if folder:
            self.context.remember_folder("videos", Path(folder).parent)
        return self.start([folder]) if folder else None

    # -- running ---------------------------------------------------------------------------

    def start(self, paths: list[str | os.PathLike]) -> Job:
        """Import `paths` (files and folders) on the thread pool; returns the job."""
        paths = [str(p) for p in paths]
        context = self.context

        def work(control: JobControl) -> ImportReport:
            with context.background_library() as library:  # this thread's own connection
                steps = import_videos(library, paths, control.cancelled)
                while True:
                    try:
                        step = next(steps)
                    except StopIteration as stop:
                        return stop.value
                    control.progress(step.done, step.total, f"{step.outcome}\t{step.path}")

        job = Job("import", work)
        job.signals.progress.connect(self._progress)
        job.signals.finished.connect(self._finished)
        job.signals.failed.connect(self._failed)
        job.signals.cancelled.connect(self._cancelled)
        job.paths = paths
        if self.current is None:
            self._run(job)
        else:
            self.queue.append(job)
            self.window.statusBar().showMessage(
                f"Another import is running; {len(paths)} more "
                f"item{'' if len(paths) == 1 else 's'} will follow.", 5000)
        return job

    def running(self) -> bool:
        return self.current is not None

    def cancel(self) -> None:
        for job in [self.current, *self.queue]:
            if job is not None:
                job.cancel()
        self.progress.label.setText("Cancelling…")
        self.progress.cancel_button.setEnabled(False)

    def _run(self, job: Job) -> None:
        self.current = job
        self.context.importing = True  # the list fills as it goes: not polled meanwhile
        self._outcomes = {}
        self.progress.label.setText("Looking for videos…")
        self.progress.bar.setRange(0, 0)  # busy until the first file is done
        self.progress.cancel_button.setEnabled(True)
        self.progress.show()
        self._refresh.start()
        self.context.jobs.start(job)

    def _progress(self, done: int, total: int, message: str) -> None:
        outcome, _, path = message.partition("\t")
        self._outcomes[outcome] = self._outcomes.get(outcome, 0) + 1
        self._fresh = self._fresh or outcome in ("imported", "relinked")
        self.progress.bar.setRange(0, max(total, 1))
        self.progress.bar.setValue(done)
        self.progress.label.setText(f"Importing {done} of {total}: {Path(path).name}")
        self.progress.label.setToolTip(path)

    def _show_so_far(self) -> None:
        if self._fresh:
            self._fresh = False
            self.context.emit_changes(IMPORTED, initiator=self)

    def _next(self) -> None:
        self._refresh.stop()
        self._fresh = False
        self.current = None
        self.context.importing = False
        if self.queue:
            self._run(self.queue.pop(0))
        else:
            self.progress.hide()

    def _finished(self, report: ImportReport) -> None:
        self.last_report = report
        self._next()
        if report.imported or report.relinked:
            self.context.emit_changes(IMPORTED, initiator=self)
        self.window.statusBar().showMessage(import_summary(report), 10000)
        if report.rejected or report.cancelled:
            self.show_report(report)
        self.imported.emit(report)

    def show_report(self, report: ImportReport) -> ImportReportDialog:
        if self.last_dialog is not None:
            self.last_dialog.close()
        self.last_dialog = ImportReportDialog(report, self.window, jobs=self.context.jobs)
        self.last_dialog.open()  # window-modal and non-blocking
        return self.last_dialog

    def _cancelled(self) -> None:
        done = self._outcomes.get("imported", 0) + self._outcomes.get("relinked", 0)
        self._next()
        if done:
            self.context.emit_changes(IMPORTED, initiator=self)
        self.window.statusBar().showMessage(
            f"Import cancelled; {done} video{'s' if done != 1 else ''} imported before the "
            "cancel stay in the library.", 10000)

    def _failed(self, message: str) -> None:
        done = self._outcomes.get("imported", 0) + self._outcomes.get("relinked", 0)
        self._next()
        if done:
            self.context.emit_changes(IMPORTED, initiator=self)
        box = QMessageBox(QMessageBox.Icon.Warning, "Import failed", message,
                          QMessageBox.StandardButton.Ok, self.window)
        box.open()
