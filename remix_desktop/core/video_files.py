"""Is a video's file still there, and still the video the creator decided about?

The library remembers a video by its path and a content fingerprint (its size and three
64 KiB samples). Files move, get renamed, deleted, made unreadable, or replaced by other
content under the same name. A permission was given for a content, not for a path: before
any frame is read for a model the file is checked against the fingerprint (`verify`), and
the library shows each video's file state (`quick_states`, from `stat` alone: cheap enough
for 100,000 videos). Light on purpose: no PyAV or NumPy here, the consent gate imports it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterable

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"})
_SAMPLE = 64 * 1024


class FileState(str, Enum):
    OK = "ok"
    MISSING = "missing"  # moved, renamed, deleted, or its drive is not mounted
    UNREADABLE = "unreadable"  # there, but this user may not read it
    CHANGED = "changed"  # there, but other content than the video imported from it

    def __str__(self) -> str:  # "missing", not "FileState.MISSING", in sentences and JSON
        return self.value


def fingerprint(path: Path | str, size: int | None = None) -> str:
    """A content fingerprint from the size and three 64 KiB samples (start, middle, end).

    It survives moves and renames, and reads at most 192 KiB however long the video is."""
    size = os.path.getsize(path) if size is None else size
    digest = hashlib.blake2b(size.to_bytes(8, "little"), digest_size=16)
    with open(path, "rb") as fh:
        if size <= 3 * _SAMPLE:
            digest.update(fh.read())
        else:
            for offset in (0, size // 2 - _SAMPLE // 2, size - _SAMPLE):
                fh.seek(offset)
                digest.update(fh.read(_SAMPLE))
    return "b2-" + digest.hexdigest()


@dataclass(frozen=True)
class FileCheck:
    state: FileState
    detail: str = ""  # what was found, for a sentence

    @property
    def ok(self) -> bool:
        return self.state is FileState.OK


def quick_state(path: str, size: int) -> FileState:
    """The file state from `stat` alone (no content read): a file of another size is
    another content; the same size may still be (`verify` reads the samples)."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return FileState.MISSING
    except PermissionError:
        return FileState.UNREADABLE
    except (OSError, ValueError):  # a name the system refuses, a dead mount
        return FileState.MISSING
    if not stat.S_ISREG(info.st_mode):
        return FileState.MISSING
    if info.st_size != size:
        return FileState.CHANGED
    if not os.access(path, os.R_OK):
        return FileState.UNREADABLE
    return FileState.OK


def quick_states(videos: Iterable) -> dict[int, FileState]:
    """The state of every given video's file, by id, from `stat` (videos: library.Video).
    Where several videos share a path (the file there was replaced by other content), which
    one owns it is decided by content: those few files are fingerprinted."""
    videos = list(videos)
    states = path_states([(v.path, v.size) for v in videos])
    count: dict[str, int] = {}
    for v in videos:
        count[v.path] = count.get(v.path, 0) + 1
    found = {}
    for v, state in zip(videos, states):
        if count[v.path] > 1:
            state = verify(v.path, v.fingerprint, v.size).state
        found[v.id] = state
    return found


def path_states(files: Iterable[tuple[str, int]]) -> list[FileState]:
    """quick_state of each (path, size), in order. A folder that is not there (an unplugged
    drive, a moved folder) is asked once, not once for each of its files."""
    files = list(files)
    if os.sep == "/" and os.altsep is None:  # the folder with its "/": "" for a bare name
        folders = [path[: path.rfind("/") + 1] for path, _ in files]
    else:
        folders = [os.path.dirname(path) for path, _ in files]
    ask = {folder: _folder_may_hold_files(folder) for folder in set(folders)}
    state_of, missing = quick_state, FileState.MISSING
    return [state_of(path, size) if ask[folder] else missing
            for (path, size), folder in zip(files, folders)]


def _folder_may_hold_files(folder: str) -> bool:
    """False only when every file in `folder` is certainly missing for quick_state: the
    folder is not there or is not a folder (a folder that may not be entered is asked file
    by file, for their own errors)."""
    try:
        return stat.S_ISDIR(os.stat(folder or ".").st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True


# Verified (path, identity of the file) -> fingerprint: a frame view asks for many frames of
# one video; the file is read again only when its inode, size, mtime or ctime moved.
_verified: dict[tuple, str] = {}


def verify(path: str, expected_fingerprint: str, size: int) -> FileCheck:
    """Whether the file at `path` still holds the content with `expected_fingerprint`."""
    state = quick_state(path, size)
    if state is FileState.CHANGED:
        return FileCheck(state, "its size changed")
    if state is not FileState.OK:
        return FileCheck(state)
    try:
        info = os.stat(path)
        key = (path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
               info.st_ctime_ns)
        found = _verified.get(key)
        if found is None:
            found = fingerprint(path, info.st_size)
            if len(_verified) > 256:
                _verified.clear()
            _verified[key] = found
    except FileNotFoundError:
        return FileCheck(FileState.MISSING)
    except PermissionError:
        return FileCheck(FileState.UNREADABLE)
    except OSError as exc:
        return FileCheck(FileState.UNREADABLE, exc.strerror or str(exc))
    if found != expected_fingerprint:
        return FileCheck(FileState.CHANGED, "its content changed")
    return FileCheck(FileState.OK)


def problem_sentence(video, state: FileState, *, window: bool = False) -> str:
    """One sentence (without the final stop) for a video whose file is not usable, saying
    what is wrong and what to do (video: library.Video); `window`: the fix as the window
    offers it, else as the command line does."""
    name = f"video {video.id} ('{video.title or video.name}')"
    if state is FileState.MISSING:
        fix = ("use Locate… to show where it is now (or File > Locate moved videos… for a "
               "whole folder)" if window else
               f"relink it with 'remix-desktop relink {video.id} NEW_PATH' (or "
               "'remix-desktop locate FOLDER'), or Locate… in the window")
        return (f"The file of {name} is missing: {video.path} was moved, renamed or deleted, "
                f"or its drive is not connected; {fix}")
    if state is FileState.UNREADABLE:
        return (f"The file of {name} cannot be read ({video.path}: permission denied); make "
                "it readable for this user")
    return (f"The file at {video.path} has changed since it was imported as {name}: import "
            "it again to decide about it")


def display_path(path: str | os.PathLike) -> str:
    """A path as text that can always be printed and written as UTF-8 JSON: a file name that
    is not valid UTF-8 (kept by Python as surrogate escapes) shows its bad bytes as U+FFFD."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_utf8_name(path: str | os.PathLike) -> bool:
    try:
        os.fspath(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def same_content(path: Path, fp: str, size: int) -> bool:
    try:
        return os.path.getsize(path) == size and fingerprint(path, size) == fp
    except OSError:
        return False
