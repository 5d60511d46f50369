"""Putting a file in place whole: one atomic write, and the flushes that make a rename
survive a power cut (fsync_file, sync_folder). How a failure is said is disk_errors'."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def fsync_file(path: Path | str) -> None:
    """Flush a written file's data to the disk (before it is renamed into place)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(target: Path | str, write: Callable[[BinaryIO], None], *,
                 no_clobber: bool = False, durable: bool = True, mode: int = 0o644) -> Path:
    """The one way the app puts a file in place: `write` fills a temporary file beside
    `target`, which is flushed to the disk (`durable`) and moved into place in one step, so
    a reader sees the old file or the new one, never half of one. `no_clobber`: a file that
    is at `target` (or appears there meanwhile) is never replaced, FileExistsError instead
    (a hard link, which fails if the name is taken; where the file system has none, a check
    just before the rename). The temporary file never outlives a failure. Raises OSError
    (callers say it in their own words: see why_not_written and file_error); one raised
    before anything was written has `nothing_written` set."""
    target = Path(target)
    # the temporary's name is longer than the target's: a short prefix keeps a target of up
    # to 255 bytes (the most a file system takes) writable
    short = target.name.encode("utf-8", "surrogateescape")[:64].decode("utf-8", "ignore")
    try:
        # "<name>.<random><suffix>.part": a leftover still says what it was ("….jpg.part")
        fd, tmp = tempfile.mkstemp(prefix=f".{short}.", suffix=f"{target.suffix[:16]}.part",
                                   dir=target.parent)
    except OSError as exc:
        exc.nothing_written = True  # the folder took no file at all (for the wording)
        raise
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)  # mkstemp makes it private (0600)
            write(fh)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        if not no_clobber:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network shares)
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
                os.replace(tmp, target)
        if durable:
            sync_folder(target.parent)
    finally:
        try:
            os.unlink(tmp)  # after a link, or a failure; gone after a replace
        except OSError:
            pass
    return target


def sync_folder(folder: Path | str) -> None:
    """Make a rename into `folder` durable (POSIX); skipped where folders cannot be opened
    or synced, as on Windows."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
