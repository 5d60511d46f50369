"""What every view of the window shares: the library, consent, the job runner, the engine,
and signals that tell views the data changed.

Consent changes made from the window run as one op at a time on the thread pool (`run_op`),
through their own connection; the op reads back what views need (every video's own
permission, the counts, the state, the next undo) in the same job, so the GUI thread only
swaps it in. Changes made by other processes (the CLI, another window) are noticed by
polling SQLite's `PRAGMA data_version` once a second; when it moved, a job reads a small
stamp of what changed and the signals of those parts are emitted, once each.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from PySide6.QtCore import QObject, QTimer, Signal

from ..core import audit
from ..core.changes import OpChanges
from ..core.consent import Consent, ConsentState
from ..core.consent_rule import VideoFacts
from ..core.home import Home
from ..core.library import Library
from ..core.remix import Remixer
from ..engine.client import EngineCaptions, EngineClient, EngineImages
from .jobs import Job, JobRunner

log = logging.getLogger(__name__)

WATCH_MS = 1000  # how often other processes' changes are looked for


@dataclass(frozen=True)
class ConsentSnapshot:
    """What the window shows of consent, read off the GUI thread in one transaction."""

    facts: dict[int, VideoFacts] | None  # video id -> what the rule knows (None: unchanged)
    state: ConsentState
    counts: dict[str, int]
    next_undo: audit.AuditEntry | None
    stamp: dict[str, tuple]


def read_snapshot(library: Library, *, facts: bool = True) -> ConsentSnapshot:
    """`facts`: read every video's facts too (a change of the library's state alone, the
    opt-out or the default, leaves them as the views have them: None)."""
    consent = Consent(library)
    with library.read():
        return ConsentSnapshot(consent.facts() if facts else None, consent.state(),
                               consent.counts(),
                               consent.next_undo(), library.stamp())


class AppContext(QObject):
    libraryChanged = Signal()  # videos added, removed, or their info edited
    consentChanged = Signal()  # a permission, the default, the opt-out, an undo
    previewsChanged = Signal(int)  # a video id whose previews changed (0: several)
    settingsChanged = Signal()
    modelsChanged = Signal()  # a model added, removed, downloaded or verified
    opChanged = Signal(bool)  # a consent op started (True) or ended (False)
    opExecuted = Signal(object, object)  # (OpChanges, initiator) after run_op emitted them

    def __init__(self, home: Home, parent: QObject | None = None):
        super().__init__(parent)
        self.home = home
        self.library = Library(home)  # the GUI thread's own connection
        self.consent = Consent(self.library)
        self.jobs = JobRunner(self)
        self.engine = EngineClient(home, name="caption engine")
        self.captions = EngineCaptions(self.engine)
        # diffusion runs in a second worker process that keeps its model loaded
        self.diffusion_engine = EngineClient(home, name="diffusion engine")
        self.images = EngineImages(self.diffusion_engine)
        self.apply_settings()
        self.op: Job | None = None  # the consent change being written, if any
        self.snapshot: ConsentSnapshot | None = None  # set only while consentChanged emits
        self.importing = False  # an import reports its own progress: not polled meanwhile
        self._looking: Job | None = None
        self._version = self.library.data_version()
        self._stamp = self.library.stamp()
        # connected first, so the stamp is read before any view reads the library again
        self.libraryChanged.connect(lambda: self._noted("library", "consent"))
        self.consentChanged.connect(lambda: self._noted("consent"))
        self.settingsChanged.connect(lambda: self._noted("settings"))
        self.modelsChanged.connect(lambda: self._noted("models"))
        self.previewsChanged.connect(lambda _id: self._noted("previews"))
        self.watch = QTimer(self, interval=WATCH_MS)
        self.watch.timeout.connect(self.look_for_changes)
        self.watch.start()

    def apply_settings(self) -> None:
        self.captions.model_id = self.library.setting("caption_model")
        self.captions.n_threads = self.library.value("threads")
        self.images.n_threads = self.captions.n_threads

    @contextmanager
    def background_library(self) -> Iterator[Library]:
        """A separate connection for a job on a pool thread (SQLite connections are not
        shared between threads)."""
        library = Library(self.home)
        try:
            yield library
        finally:
            library.close()

    # -- changes, off the GUI thread; the views told from what came back ------------------

    def run_op(self, kind: str, change: Callable[[Library, object], OpChanges], *,
               finished: Callable[[object], None] | None = None,
               failed: Callable[[str], None] | None = None,
               progress: Callable[[int, int, str], None] | None = None,
               cancelled: Callable[[], None] | None = None,
               initiator: object = None, exclusive: bool = False,
               partial_changes: OpChanges | None = None, reads: bool = False,
               staged: Callable[[int, int, str, str], None] | None = None,
               partial: Callable[[object], None] | None = None) -> Job | None:
        """Run `change(library, control)` on a job with its own connection. It returns an
        OpChanges (core.ops); from it this emits, once each, the signals of the parts that
        changed (after a consent change, with the snapshot read by the same job, so views
        swap it in), then `opExecuted(changes, initiator)`, then `finished(result)`.
        `exclusive` (every consent change): one at a time, so an Undo label never goes
        stale. `partial_changes`: what a cancelled op may have kept (a folder search
        relinks what it found before the stop). `reads`: the op may only read (a queue of
        loads and writes), so a read-only library does not refuse it up front (a write in it
        fails in core, saying so). None (and `failed` told why) while another exclusive op
        runs or the library is read-only."""
        failed = failed or (lambda _message: None)
        if exclusive and self.op is not None:
            failed("Another permission change is still being saved; try again when it is "
                   "done.")
            return None
        if self.library.read_only and not reads:
            failed(f"The data folder {self.home.root} is read-only, so nothing can be "
                   "changed.")
            return None

        def work(control):
            with self.background_library() as library:
                changes = change(library, control)
                snapshot = (read_snapshot(library, facts=changes.facts) if changes.consent
                            else None)
                return changes, snapshot

        def done(result) -> None:
            changes, snapshot = result
            if exclusive:
                self._end_op()
            self.emit_changes(changes, snapshot, initiator)
            if finished is not None:
                finished(changes.result)

        def fail(message: str) -> None:
            if exclusive:
                self._end_op()
            failed(message)
            self.look_for_changes()  # what got in the way shows (labels, rows)

        def stopped() -> None:
            if exclusive:
                self._end_op()
            if partial_changes is not None:
                self.emit_changes(partial_changes, None, initiator)
            if cancelled is not None:
                cancelled()

        job = self.jobs.run(kind, work, finished=done, failed=fail, progress=progress,
                            cancelled=stopped, staged=staged, partial=partial)
        if exclusive:
            self.op = job
            self.opChanged.emit(True)
        return job

    def emit_changes(self, changes: OpChanges, snapshot: "ConsentSnapshot | None" = None,
                     initiator: object = None) -> None:
        """Tell the views what changed: one signal per part, then opExecuted."""
        if changes.settings:
            self.apply_settings()
            self.settingsChanged.emit()
        if changes.models:
            self.modelsChanged.emit()
        if changes.videos:
            self.libraryChanged.emit()  # views read everything again, consent included
        elif changes.consent:
            if snapshot is not None:
                self.publish(snapshot)
            else:
                self.consentChanged.emit()
        for video_id in sorted(changes.previews):
            self.previewsChanged.emit(video_id)
        self.opExecuted.emit(changes, initiator)

    def _end_op(self) -> None:
        if self.op is not None:
            self.op = None
            self.opChanged.emit(False)

    def publish(self, snapshot: ConsentSnapshot) -> None:
        """Emit consentChanged with `snapshot` readable meanwhile (views swap it in instead
        of reading 100,000 rows on the GUI thread)."""
        self._stamp["consent"] = snapshot.stamp["consent"]
        self.snapshot = snapshot
        try:
            self.consentChanged.emit()
        finally:
            self.snapshot = None

    # -- noticing other processes' changes ------------------------------------------------

    def _noted(self, *parts: str) -> None:
        """A view is about to read these parts again: remember their stamp, so the watch
        does not report the same change a second time."""
        if self.library.closed or getattr(self, "_closed", False):
            return
        try:
            stamp = self.library.stamp()
        except Exception:  # noqa: BLE001 - a closed or restoring library: look next time
            return
        snapshot = self.snapshot
        if snapshot is not None and snapshot.stamp["consent"] != stamp["consent"]:
            self.snapshot = None  # changed again since the op read it: views read afresh
        for part in parts:
            self._stamp[part] = stamp[part]

    def look_for_changes(self) -> Job | None:
        """If another connection committed since last time, read the stamp (and, when
        consent changed, a snapshot) on a job and emit what changed. Cheap when nothing
        did: one PRAGMA."""
        if self.op is not None or self._looking is not None or getattr(self, "_closed", False):
            return None
        try:
            version = self.library.data_version()
        except Exception:  # noqa: BLE001 - closed while restoring a backup
            return None
        if version == self._version:
            return None
        self._version = version
        known = dict(self._stamp)

        def work(control):
            with self.background_library() as library:
                stamp = library.stamp()
                if stamp["consent"] != known["consent"] and stamp["library"] == known["library"]:
                    snapshot = read_snapshot(library)
                    return snapshot.stamp, snapshot
                return stamp, None

        self._looking = self.jobs.run("look for changes", work, finished=self._looked,
                                      failed=self._look_failed,
                                      cancelled=self._look_failed)
        return self._looking

    def _look_failed(self, *args) -> None:
        self._looking = None

    def _looked(self, result) -> None:
        self._looking = None
        if getattr(self, "_closed", False):
            return
        stamp, snapshot = result
        changed = {part for part, value in stamp.items() if self._stamp.get(part) != value}
        if self.importing:
            changed.discard("library")
        if not changed or self.op is not None:
            return
        log.info("changed by another process: %s", ", ".join(sorted(changed)))
        if "settings" in changed:
            self.apply_settings()
            self.settingsChanged.emit()
        if "models" in changed:
            self.modelsChanged.emit()
        if "library" in changed:
            self.libraryChanged.emit()  # views read everything again, consent included
        elif "consent" in changed:
            if snapshot is not None and snapshot.stamp["consent"] == stamp["consent"]:
                self.publish(snapshot)
            else:
                self.consentChanged.emit()
        if "previews" in changed:
            self.previewsChanged.emit(0)

    # -- restoring, closing ----------------------------------------------------------------

    def restore_backup(self, backup) -> tuple:
        """Put a backup in place of the library while the window runs: every job and worker
        is stopped and the connection closed first; the library it replaces is kept in the
        backups folder. If the restore fails, the current library is opened again as it
        was. Returns (restored backup, where the replaced library went)."""
        from ..core.backups import restore

        self.watch.stop()
        self.jobs.cancel_all()
        self.jobs.wait(30_000)
        self.engine.cancel()
        self.diffusion_engine.cancel()
        self.library.close()
        try:
            return restore(self.home, backup)
        finally:
            self.library = Library(self.home, check=True)
            self.consent = Consent(self.library)
            self.apply_settings()
            self._version = self.library.data_version()
            for signal in (self.libraryChanged, self.consentChanged, self.settingsChanged,
                           self.modelsChanged):
                signal.emit()
            self.previewsChanged.emit(0)
            self.watch.start()

    def window_settings(self):
        """The window's own settings (geometry, panel sizes, the folders file dialogs last
        used): an INI file of this machine beside the library, not in it, so restoring a
        library backup does not move the windows (and each data home has its own)."""
        from PySide6.QtCore import QSettings

        return QSettings(str(self.home.root / "window.ini"), QSettings.Format.IniFormat)

    def last_folder(self, kind: str, default: Path | None = None) -> Path:
        """The folder a file dialog of `kind` used last (it still exists), else `default`
        (the Pictures folder, or home)."""
        value = self.window_settings().value(f"folders/{kind}")
        if value and Path(str(value)).is_dir():
            return Path(str(value))
        if default is not None:
            return default
        pictures = Path.home() / "Pictures"
        return pictures if pictures.is_dir() else Path.home()

    def remember_folder(self, kind: str, folder: Path) -> None:
        saved = self.window_settings()
        saved.setValue(f"folders/{kind}", str(folder))
        saved.sync()

    def remixer(self, library: Library) -> Remixer:
        return Remixer(library, self.captions, self.images, caption_model=self.captions.model_id)

    def close(self) -> None:
        self._closed = True
        self.watch.stop()
        self.jobs.cancel_all()
        self.engine.cancel()
        self.diffusion_engine.cancel()
        self.jobs.wait(5000)
        self.engine.stop()
        self.diffusion_engine.stop()
        self.library.close()
