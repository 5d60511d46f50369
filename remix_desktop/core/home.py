"""Where the app keeps everything: the data home and its folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "remix-desktop"
HOME_ENV = "REMIX_DESKTOP_HOME"


@dataclass(frozen=True)
class Home:
    """The data home: the database, thumbnails, previews and models live below `root`."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def database(self) -> Path:
        return self.root / "library.db"

    @property
    def thumbnails(self) -> Path:
        return self.root / "thumbnails"

    @property
    def previews(self) -> Path:
        return self.root / "previews"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def ensure(self) -> "Home":
        for folder in (self.root, self.thumbnails, self.previews, self.models, self.backups):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_home(explicit: str | os.PathLike | None = None) -> Home:
    """`--home` wins, then $REMIX_DESKTOP_HOME, then the platform's user-data folder."""
    if explicit:
        root = Path(explicit)
    elif os.environ.get(HOME_ENV):
        root = Path(os.environ[HOME_ENV])
    else:
        root = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return Home(root.expanduser().absolute())
