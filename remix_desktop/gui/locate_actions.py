"""The window's part in videos whose file moved: a note in the status bar that says how many
files are missing or changed, Locate… for one video (its new file, matched by content) and
File > Locate moved videos… for a folder (a drive that came back under another name), on a
job with progress and Cancel. A mixin of MainWindow, like ActionsMixin."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QLabel, QProgressDialog

from ..core import ops
from ..core.changes import OpChanges
from ..core.relink import locate
from ..core.video_files import VIDEO_EXTENSIONS, FileState
from .jobs import Job


def locate_file(parent, context, video, path: str | None = None, *, finished,
                failed) -> Job | None:
    """Ask where a video's file is now (unless `path` is given) and relink it on a job; the
    file is taken only if it holds the same content. None when the creator cancelled."""
    if path is None:
        start = os.path.dirname(video.path)
        path, _ = QFileDialog.getOpenFileName(
            parent, f"Locate {video.name}", start if os.path.isdir(start) else "",
            "Videos (" + " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS)) + ")")
        if not path:
            return None
    video_id = video.id

    return context.run_op("locate a video",
                          lambda library, _c: ops.relink(library, video_id, path),
                          finished=finished, failed=failed, initiator=parent)


class LocateMixin:
    def _build_locate(self) -> None:
        self.locate_action = self._action(
            "&Locate moved videos…", lambda: self.locate_folder(),
            tip="Search a folder for the files of videos whose file is missing, and point "
                "each video at its file again (matched by content)")
        self.locate_action.setEnabled(False)
        self.files_label = QLabel()
        self.files_label.setToolTip("Videos whose file is missing, unreadable or changed "
                                    "cannot be remixed; right-click one to Locate… it, or "
                                    "use File > Locate moved videos…")
        self.files_label.hide()
        self.statusBar().addPermanentWidget(self.files_label)
        self.model.filesChecked.connect(self._files_checked)
        self.locate_job: Job | None = None

    def _files_checked(self) -> None:
        problems = self.model.file_problems()
        missing = sum(1 for s in problems.values() if s is FileState.MISSING)
        other = len(problems) - missing
        parts = []
        if missing:
            parts.append(f"{missing} missing file{'s' if missing != 1 else ''}")
        if other:
            parts.append(f"{other} changed or unreadable")
        self.files_label.setText(" · ".join(parts) + " ·")  # the counts follow it
        self.files_label.setVisible(bool(parts))
        self.locate_action.setEnabled(bool(missing))

    def locate_video(self, video_id: int, path: str | None = None) -> Job | None:
        """Point one video at its file again (a file dialog unless `path` is given)."""
        context = self.context

        def done(found) -> None:
            self.show_message(f"Found {found.name}: the video points at {found.path} again.")

        return locate_file(self, context, context.library.video(video_id), path,
                           finished=done, failed=self.show_message)

    def locate_folder(self, folder: str | None = None) -> Job | None:
        """Search a folder for every missing video's file; relink each one found."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Locate moved videos in…")
            if not folder:
                return None
        context = self.context
        dialog = QProgressDialog("Looking for the missing videos…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Locate moved videos")
        dialog.setMinimumDuration(400)

        def work(library, control):
            job = locate(library, folder, cancelled=control.cancelled)
            while True:
                try:
                    step = next(job)
                except StopIteration as stop:
                    report = stop.value
                    return OpChanges(videos=bool(report.found), result=report)
                if step.done % 20 == 0:
                    control.progress(step.done, 0, f"{step.found} found")

        def progress(done: int, _total: int, text: str) -> None:
            dialog.setLabelText(f"Looked at {done} files: {text}…")

        def done(report) -> None:
            dialog.reset()
            self.locate_job = None
            found, still = len(report.found), len(report.still_missing)
            if report.cancelled:
                text = f"Stopped: found {found}"
            else:
                text = f"Found {found} of {found + still} missing videos in {folder}"
            if still and not report.cancelled:
                text += f"; {still} still missing"
            self.show_message(text + ".")

        def failed(message: str) -> None:
            dialog.reset()
            self.locate_job = None
            self.show_message(message)

        def stopped() -> None:  # what was found before the stop is relinked (and shown)
            failed("Stopped.")

        self.locate_job = context.run_op("locate moved videos", work, finished=done,
                                         failed=failed, progress=progress, cancelled=stopped,
                                         initiator=self,
                                         partial_changes=OpChanges(videos=True))
        dialog.canceled.connect(self.locate_job.cancel)
        return self.locate_job
