"""Relinking videos whose files moved: one file, or a folder searched for them (a drive
that came back under another name). A file is taken for a video only when its content
fingerprint matches, so a different clip under the old name is never relinked."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterable

from . import audit
from .errors import UsageError
from .library import Library, Video
from .video_files import VIDEO_EXTENSIONS, FileState, display_path, fingerprint, is_utf8_name, quick_states


@dataclass
class LocateReport:
    found: list[tuple[Video, str]] = field(default_factory=list)  # (video, old path)
    still_missing: list[Video] = field(default_factory=list)
    files_looked_at: int = 0
    cancelled: bool = False
    audit_id: int | None = None


@dataclass(frozen=True)
class LocateProgress:
    done: int  # files looked at
    found: int
    path: str


def problem_videos(library: Library, ids: Iterable[int] | None = None) -> dict[int, FileState]:
    """The videos (of `ids`, or all) whose file is not usable now, with its state."""
    videos = library.videos(ids)
    if ids is not None:  # a replaced file is judged against every video at its path
        paths = {v.path for v in videos}
        others = [v for v in library.videos() if v.path in paths]
        states = quick_states(others)
        states = {v.id: states[v.id] for v in videos}
    else:
        states = quick_states(videos)
    return {i: s for i, s in states.items() if s is not FileState.OK}


def relink(library: Library, video_id: int, new_path: str | os.PathLike) -> Video:
    """Point video `video_id` at `new_path`, which must hold the same content."""
    video = library.video(video_id)
    path = Path(new_path).expanduser().absolute()
    if not is_utf8_name(path):
        raise UsageError(f"{display_path(path)} has a name that is not valid UTF-8 text; "
                         "rename it first")
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    try:
        size = path.stat().st_size
        same = size == video.size and fingerprint(path, size) == video.fingerprint
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if not same:
        raise UsageError(f"{path} is not the file of video {video.id} ('{video.name}'): its "
                         "content differs; import it as a video of its own instead")
    with library.write() as conn:
        _relink(conn, video, str(path))
        audit.record(conn, action="relink", scope=f"video {video.id}", old=video.path,
                     new=str(path), count=1)
    return library.video(video_id)


def locate(library: Library, folder: str | os.PathLike, ids: Iterable[int] | None = None,
           cancelled: Callable[[], bool] = lambda: False,
           ) -> Generator[LocateProgress, None, LocateReport]:
    """Search `folder` (recursively) for the files of videos whose file is missing (of
    `ids`, or all), matched by size, then fingerprint; relink every one found, in one
    change with one audit row. Yields progress per file looked at; returns the report."""
    root = Path(folder).expanduser().absolute()
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    wanted = [library.video(i) for i, s in problem_videos(library, ids).items()
              if s is FileState.MISSING]
    report = LocateReport()
    by_size: dict[int, list[Video]] = {}
    for v in wanted:
        by_size.setdefault(v.size, []).append(v)
    found: dict[int, str] = {}
    for dirpath, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if cancelled():
                report.cancelled = True
                break
            if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
                continue
            path = os.path.join(dirpath, name)
            report.files_looked_at += 1
            try:
                size = os.stat(path).st_size
                candidates = [v for v in by_size.get(size, []) if v.id not in found]
                if candidates and is_utf8_name(path):
                    fp = fingerprint(path, size)
                    for v in candidates:
                        if v.fingerprint == fp:
                            found[v.id] = path
                            break
            except OSError:
                pass
            yield LocateProgress(report.files_looked_at, len(found), display_path(path))
        if report.cancelled or len(found) == len(wanted):
            break
    if found:
        with library.write() as conn:
            for v in wanted:
                if v.id in found:
                    _relink(conn, v, found[v.id])
            report.audit_id = audit.record(
                conn, action="relink", scope=f"{len(found)} videos found in {root}",
                old="missing", new="relinked", count=len(found))
    report.found = [(library.video(v.id), v.path) for v in wanted if v.id in found]
    report.still_missing = [v for v in wanted if v.id not in found]
    return report


def run_locate(library: Library, folder, ids=None) -> LocateReport:
    job = locate(library, folder, ids)
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def _relink(conn, video: Video, path: str) -> None:
    info = os.stat(path)
    conn.execute("UPDATE videos SET path = ?, mtime = ? WHERE id = ?",
                 (path, info.st_mtime, video.id))
