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
