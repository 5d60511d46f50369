"""Errors the creator can act on. Each message is one plain sentence."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rejection:
    """An input that was not used (a file not imported, a row not applied) and why."""

    path: str
    reason: str

    def __post_init__(self) -> None:
        # A file name that is not valid UTF-8 must still print and stay valid in --json.
        from .video_files import display_path

        object.__setattr__(self, "path", display_path(self.path))

    def to_dict(self) -> dict:
        return {"path": self.path, "reason": self.reason}


class RemixDesktopError(Exception):
    """Base for errors shown to the creator as one sentence (CLI exit code 2)."""

    exit_code = 2


class LibraryError(RemixDesktopError):
    """The library database cannot be opened or used."""


class UsageError(RemixDesktopError):
    """The creator asked for something that does not make sense (unknown id, bad file)."""


class Cancelled(RemixDesktopError):
    """Work the creator stopped (a job, a download, a worker's run). Not a failure: views show
    it as stopped. The one cancellation type of every layer, so the window's job adapter
    needs no engine import to know one."""

    def __init__(self, message: str = "The job was cancelled"):
        super().__init__(message)


class UndoConflict(UsageError):
    """Undo was asked for one change, but a newer undoable change (often made by another
    process: the CLI, another window) is in the way. Nothing was undone."""

    def __init__(self, message: str, *, expected: int, newest: int | None):
        self.expected = expected
        self.newest = newest
        super().__init__(message)


class RemixNotAllowed(RemixDesktopError):
    """The consent gate refused a video: no frame of it may be read by a model."""

    exit_code = 3

    def __init__(self, video_id: int, reason: str):
        self.video_id = video_id
        self.reason = reason
        super().__init__(f"Remixing video {video_id} is not allowed: {reason}.")


class VideoFileProblem(RemixDesktopError):
    """A video's file cannot be used: missing, unreadable, or no longer the content the
    creator decided about (then it is refused like a denied video: exit code 3). Nothing of
    it was read for a model."""

    def __init__(self, video_id: int, state: str, message: str):
        self.video_id = video_id
        self.state = state  # video_files.FileState value: missing, unreadable, changed
        super().__init__(message)

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 3 if self.state == "changed" else 2


class LibraryDamaged(LibraryError):
    """The library database file is damaged on disk. It is left as it is; the message says
    which backup can be restored and how."""

    def __init__(self, message: str, *, database: str, newest_backup: str | None = None,
                 backup=None):
        self.database = database
        self.newest_backup = newest_backup
        self.backup = backup  # that backup, as backups.Backup (taken, videos), or None
        super().__init__(message)
