"""One job adapter for the whole window: any long core operation runs on the thread pool and
reports progress, its result, a failure (one sentence) or its cancellation as Qt signals.

Views never call a blocking function: they build a `Job` from a plain function that takes a
`JobControl`, connect its signals, and hand it to `JobRunner.start`.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import traceback
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal

from ..core.errors import Cancelled, RemixDesktopError

log = logging.getLogger("remix_desktop.gui")


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobControl:
    """What the job's function sees: report progress, ask whether to stop, and register how to
    interrupt work that cannot poll (an engine job stops its worker process)."""

    def __init__(self, job: "Job"):
        self._job = job
        self._cancel = threading.Event()
        self._on_cancel: list[Callable[[], None]] = []

    def progress(self, done: int, total: int, message: str = "", stage: str = "") -> None:
        """`stage` says what the job is at in a word views key on ("caption", "render",
        "made", …); `message` is only for people."""
        self._job.signals.progress.emit(int(done), int(total), message)
        self._job.signals.staged.emit(int(done), int(total), message, stage)

    def partial(self, value: object) -> None:
        """Hand an intermediate result (a step preview) to the GUI thread."""
        self._job.signals.partial.emit(value)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        self._on_cancel.append(callback)
        if self._cancel.is_set():
            callback()

    def _request_cancel(self) -> None:
        self._cancel.set()
        for callback in list(self._on_cancel):
            try:
                callback()
            except Exception:  # noqa: BLE001 - a cancel must never raise into the GUI
                log.exception("cancel callback failed")


class JobSignals(QObject):
    progress = Signal(int, int, str)  # done, total, message
    staged = Signal(int, int, str, str)  # done, total, message, stage (see JobControl)
    finished = Signal(object)  # the result
    failed = Signal(str)  # one sentence for the creator
    errored = Signal(object)  # the exception itself, emitted just before `failed`
    cancelled = Signal()
    stateChanged = Signal(str)
    partial = Signal(object)  # an intermediate result, e.g. a low-resolution step preview


class Job(QRunnable):
    def __init__(self, kind: str, fn: Callable[[JobControl], object]):
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps it until it ends
        self.kind = kind
        self.fn = fn
        self.signals = JobSignals()
        self.control = JobControl(self)
        self.state = JobState.QUEUED
        self.error: BaseException | None = None  # why it failed, when it did

    def cancel(self) -> None:
        """Drop the job if it has not started; interrupt it if it is running."""
        self.control._request_cancel()

    def run(self) -> None:  # on a pool thread
        if self.control.cancelled():
            self._set(JobState.CANCELLED)
            self.signals.cancelled.emit()
            return
        self._set(JobState.RUNNING)
        try:
            result = self.fn(self.control)
        except Cancelled:
            self._set(JobState.CANCELLED)
            self.signals.cancelled.emit()
        except RemixDesktopError as exc:
            self._fail(exc, _sentence(str(exc)))
        except Exception as exc:  # noqa: BLE001 - shown as a sentence, logged in full
            log.error("job %s failed\n%s", self.kind, traceback.format_exc())
            self._fail(exc, f"Something went wrong ({type(exc).__name__}: {exc}).")
        else:
            if self.control.cancelled():
                self._set(JobState.CANCELLED)
                self.signals.cancelled.emit()
            else:
                self._set(JobState.FINISHED)
                self.signals.finished.emit(result)

    def _fail(self, exc: BaseException, sentence: str) -> None:
        """A failure keeps its type: `errored` carries the exception (views decide by its
        class, never by the words), `failed` the sentence for the creator."""
        self.error = exc
        self._set(JobState.FAILED)
        self.signals.errored.emit(exc)
        self.signals.failed.emit(sentence)

    def _set(self, state: JobState) -> None:
        self.state = state
        self.signals.stateChanged.emit(state.value)


class JobRunner(QObject):
    """Runs jobs on a thread pool; keeps them alive until they end; cancels them all."""

    jobsChanged = Signal(int)  # how many jobs are queued or running

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.jobs: list[Job] = []

    def start(self, job: Job) -> Job:
        """Queue a job. It reaches the pool on the next turn of the event loop, so whoever
        starts it can still connect to its signals: a job that ends at once (a failure, an
        empty import) cannot end before anyone listens."""
        self.jobs.append(job)
        # a bound slot of this QObject: disconnected by Qt if the runner goes first
        job.signals.stateChanged.connect(self._state_changed)
        QTimer.singleShot(0, self, lambda: self.pool.start(job))
        self.jobsChanged.emit(self.active())
        return job

    def run(self, kind: str, fn: Callable[[JobControl], object], *,
            finished: Callable[[object], None] | None = None,
            failed: Callable[[str], None] | None = None,
            progress: Callable[[int, int, str], None] | None = None,
            cancelled: Callable[[], None] | None = None,
            partial: Callable[[object], None] | None = None,
            staged: Callable[[int, int, str, str], None] | None = None) -> Job:
        job = Job(kind, fn)
        for signal, slot in ((job.signals.finished, finished), (job.signals.failed, failed),
                             (job.signals.progress, progress),
                             (job.signals.cancelled, cancelled),
                             (job.signals.partial, partial), (job.signals.staged, staged)):
            if slot is not None:
                signal.connect(slot)
        return self.start(job)

    def active(self) -> int:
        return sum(j.state in (JobState.QUEUED, JobState.RUNNING) for j in self.jobs)

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    def wait(self, msecs: int = 10_000) -> bool:
        """Wait until no job is queued or running (jobs started meanwhile included), letting
        the event loop hand queued jobs to the pool and deliver their results."""
        deadline = time.monotonic() + msecs / 1000
        while self.active() or self.pool.activeThreadCount():
            QCoreApplication.processEvents()
            self.pool.waitForDone(10)
            if time.monotonic() > deadline:
                return False
        QCoreApplication.processEvents()
        return True

    def _state_changed(self, _state: str) -> None:
        job = next((j for j in self.jobs if j.signals is self.sender()), None)
        if job is not None:
            self._changed(job)

    def _changed(self, job: Job) -> None:
        if job.state not in (JobState.QUEUED, JobState.RUNNING) and job in self.jobs:
            self.jobs.remove(job)
        self.jobsChanged.emit(self.active())


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
