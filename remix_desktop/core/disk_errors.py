"""Storage faults turned into one sentence the creator can act on.

A full disk or a read-only folder is not a damaged library, a bad video or a bug: it is said
as such, with what to do. `sqlite_error` is for the library's transactions (Library.write and
read), `file_error` for the files the app writes in its home (thumbnails, previews),
`why_not_written` for an export's message, and `open_error` with `read_only_uri` for the
library's open (a read-only folder can still be read)."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from .errors import LibraryError, RemixDesktopError
from .home import Home

FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
NEARLY_FULL_BYTES = 256 * 1024  # less than this free: an I/O error is taken as "disk full"


class StorageError(RemixDesktopError):
    """Something could not be saved: the disk is full (`kind` "full") or the folder is
    read-only (`kind` "read-only")."""

    def __init__(self, message: str, *, kind: str, folder: Path | str):
        super().__init__(message)
        self.kind = kind
        self.folder = str(folder)


class LibraryStorageError(StorageError, LibraryError):
    """A library transaction failed because the disk is full or the folder is read-only."""


class LibraryBusy(LibraryError):
    """Another process held the library's write lock longer than the busy timeout."""


def full_sentence(folder: Path | str, what: str) -> str:
    return (f"The disk holding {folder} is full, so {what} was not saved; free some space "
            "there and try again")


def read_only_sentence(folder: Path | str, what: str) -> str:
    return (f"The folder {folder} is read-only, so {what} was not saved; make it writable "
            "and try again")


def disk_full(path: Path | str) -> bool:
    """True when the file system holding `path` has (almost) no space left."""
    try:
        info = os.statvfs(path)
    except (OSError, AttributeError):
        return False
    return info.f_bavail * info.f_frsize < NEARLY_FULL_BYTES


def read_only(path: Path | str) -> bool:
    """True when `path` is on a read-only mount or cannot be written by this process."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):
        pass
    return os.path.exists(path) and not os.access(path, os.W_OK)


def file_error(exc: OSError, folder: Path | str, what: str) -> StorageError | None:
    """The clear error for a failed write into `folder`, or None when it is something else
    (then the caller handles `exc` as before)."""
    if exc.errno in FULL:
        return StorageError(full_sentence(folder, what), kind="full", folder=folder)
    if exc.errno == errno.EROFS or (exc.errno in READ_ONLY and read_only(folder)):
        return StorageError(read_only_sentence(folder, what), kind="read-only", folder=folder)
    return None


def why_not_written(exc: BaseException, folder: Path | str) -> tuple[str, str]:
    """For a message about a file that was not written: (" because ...", "; what to do") when
    the disk is full or the folder read-only, else ("", "")."""
    number = getattr(exc, "errno", None)
    if number in FULL:
        return " because the disk is full", "; free some space there and try again"
    if number == errno.EROFS or (number in READ_ONLY and read_only(folder)):
        return (" because its folder is read-only",
                "; make the folder writable or choose another one")
    return "", ""


def sqlite_error(exc: sqlite3.Error, home: Home, *,
                 reading: bool = False) -> LibraryError | None:
    """The clear error for a failed library transaction (a write, or a read when `reading`)
    in `home`, or None when SQLite failed for another reason."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    root, what = home.root, "the change"
    full = locked = False
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
        return LibraryBusy("The library is in use by another Remix Desktop window or command "
                           "and stayed locked too long, so "
                           + ("it could not be read" if reading else "the change was not saved")
                           + "; try again when that has finished")
    if primary == sqlite3.SQLITE_FULL or "disk is full" in text:
        full = True
    elif primary == sqlite3.SQLITE_READONLY or "readonly database" in text:
        locked = True
    elif primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN) or "disk i/o error" in text:
        full, locked = disk_full(root), read_only(root)
    if full:
        return LibraryStorageError(
            f"The disk holding {root} is full, so the library cannot be read; free some space "
            "there and try again" if reading else full_sentence(root, what),
            kind="full", folder=root)
    if not locked:
        return None
    if read_only(root) or not home.database.exists():
        return LibraryStorageError(
            f"The folder {root} is read-only and the library cannot be read there; make it "
            "writable and try again" if reading else read_only_sentence(root, what),
            kind="read-only", folder=root)
    return LibraryStorageError(  # the folder is writable, the database file is not
        f"The library file {home.database} is read-only, so {what} was not saved; make it "
        "writable and try again", kind="read-only", folder=root)


def open_error(exc: sqlite3.Error, home: Home) -> LibraryStorageError | None:
    """For the library's open: the clear error when it failed because the disk is full or
    the folder is read-only (`kind` says which), or None (then it may be damage). A caller
    may still read a read-only library with `read_only_uri`."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
                       sqlite3.SQLITE_READONLY, None):
        return None
    if primary == sqlite3.SQLITE_FULL or disk_full(home.root):
        return LibraryStorageError(
            f"The disk holding {home.root} is full, so the library cannot be opened; free some "
            "space there and try again", kind="full", folder=home.root)
    if read_only(home.root):
        return LibraryStorageError(
            f"The folder {home.root} is read-only, so the library can only be read there; make "
            "it writable to change anything", kind="read-only", folder=home.root)
    return None


def read_only_uri(database: Path) -> str:
    """A URI that opens the library for reading in a read-only folder. SQLite cannot open a
    WAL database read-only when its -shm file is missing and cannot be created, unless told
    the file is immutable; that is only true when no -wal file holds unmerged changes."""
    uri = f"{Path(database).absolute().as_uri()}?mode=ro"
    wal = Path(f"{database}-wal")
    if not (wal.exists() and wal.stat().st_size > 0):
        uri += "&immutable=1"
    return uri
