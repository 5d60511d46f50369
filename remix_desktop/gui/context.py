"""What every view of the window shares: the library, consent, the job runner, the engine,
and signals that tell views the data changed."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from PySide6.QtCore import QObject, Signal

from ..core.consent import Consent
from ..core.home import Home
from ..core.library import Library
from ..core.remix import Remixer
from ..engine.client import EngineCaptions, EngineClient, EngineImages
from .jobs import JobRunner


class AppContext(QObject):
    libraryChanged = Signal()  # videos added, removed, or their info edited
    consentChanged = Signal()  # a permission, the default, the opt-out, an undo
    previewsChanged = Signal(int)  # a video id whose previews changed (0: several)
    settingsChanged = Signal()
    modelsChanged = Signal()  # a model added, removed, downloaded or verified

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

    def apply_settings(self) -> None:
        self.captions.model_id = self.library.setting("caption_model")
        self.captions.n_threads = int(self.library.setting("threads"))
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

    def restore_backup(self, backup) -> tuple:
        """Put a backup in place of the library while the window runs: every job and worker
        is stopped and the connection closed first; the library it replaces is kept in the
        backups folder. If the restore fails, the current library is opened again as it
        was. Returns (restored backup, where the replaced library went)."""
        from ..core.backups import restore

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
            for signal in (self.libraryChanged, self.consentChanged, self.settingsChanged,
                           self.modelsChanged):
                signal.emit()
            self.previewsChanged.emit(0)

    def remixer(self, library: Library) -> Remixer:
        return Remixer(library, self.captions, self.images)

    def close(self) -> None:
        self.jobs.cancel_all()
        self.engine.cancel()
        self.diffusion_engine.cancel()
        self.jobs.wait(5000)
        self.engine.stop()
        self.diffusion_engine.stop()
        self.library.close()
