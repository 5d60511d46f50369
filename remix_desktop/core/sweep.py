"""Leftovers of interrupted work in the home's own folders (previews, thumbnails): files the
app writes under a hidden name of its process, then renames into place inside the
transaction that records them. So a file under its final name without its row, or a hidden
one whose process is gone, is a leftover; both sweeps below judge them the same way."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from .errors import RemixDesktopError
from .disk_errors import LibraryBusy

if TYPE_CHECKING:
    from .library import Library


def writer_gone(path: Path, pid: str, *, unnamed_after_s: float = 3600) -> bool:
    """A temporary file whose writing process (`pid`, from its name) is gone, or that is older
    than a day (`unnamed_after_s` for one whose name holds no pid)."""
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    if age > 24 * 3600:
        return True
    if not pid.isdigit():  # an older naming, without a pid
        return age > unnamed_after_s
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's
        return False
    return False


def remove_unrecorded(library: Library, folder: Path, finals: Iterable[str],
                      recorded: Callable[[sqlite3.Connection], set[str]], *,
                      wait_s: float = 0.2) -> int | None:
    """Delete the files of `finals` (names in `folder`) that `recorded` (the names the
    library refers to) does not know, judged again under the write lock, where files are
    renamed and recorded in one transaction. Returns how many went, or None when the library
    was busy for `wait_s` (the window is never held up). Never raises."""
    finals = list(finals)
    removed = 0
    try:
        if not finals or library.conn.in_transaction:
            return 0
        if all(n in recorded(library.conn) for n in finals):
            return 0
        conn = library.conn
        waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
        try:
            with library.write():
                known = recorded(conn)
                for n in finals:
                    if n not in known:
                        removed += unlink(folder / n)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(waited)}")
    except LibraryBusy:
        return None
    except (RemixDesktopError, OSError, sqlite3.Error):
        pass
    return removed


def unlink(path: Path) -> int:
    """Delete a file of the app's own, if it is there: 1 when it went, 0 otherwise."""
    try:
        path.unlink()
        return 1
    except OSError:
        return 0
