"""Import files and folders into the library. Bad input never stops an import.

`import_videos` is a generator that yields one `ImportProgress` per file and returns the
`ImportReport`; the CLI drains it, the GUI runs it on a worker thread and can cancel it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterable

from . import audit
from .errors import Rejection
from .library import Library, NewVideo, Video
from .media import VIDEO_EXTENSIONS, MediaError, fingerprint, probe


@dataclass
class ImportReport:
    imported: list[Video] = field(default_factory=list)
    relinked: list[Video] = field(default_factory=list)
    skipped: list[Rejection] = field(default_factory=list)  # already in the library
    rejected: list[Rejection] = field(default_factory=list)
    cancelled: bool = False


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int
    path: str
    outcome: str  # imported | relinked | skipped | rejected
    detail: str = ""


def collect(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Rejection]]:
    """Expand folders (recursively) into video files; explain each path that gives none."""
    files: list[Path] = []
    rejected: list[Rejection] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.absolute()
        if key not in seen:
            seen.add(key)
            files.append(key)

    for raw in paths:
        path = Path(raw).expanduser()
        try:
            info = path.stat()
        except FileNotFoundError:
            rejected.append(Rejection(str(path), "there is no such file or folder"))
            continue
        except OSError as exc:
            rejected.append(Rejection(str(path), f"it cannot be read ({exc.strerror})"))
            continue
        if stat.S_ISDIR(info.st_mode):
            before = len(files)
            for folder, dirs, names in os.walk(path, onerror=lambda e: rejected.append(
                    Rejection(e.filename, f"this folder cannot be read ({e.strerror})"))):
                dirs.sort()
                for name in sorted(names):
                    if Path(name).suffix.lower() in VIDEO_EXTENSIONS:
                        add(Path(folder) / name)
            if len(files) == before:
                what = ("it is a folder named like a video, and it holds no video files"
                        if path.suffix.lower() in VIDEO_EXTENSIONS else
                        "the folder holds no video files")
                rejected.append(Rejection(str(path), f"{what} ("
                                          + " ".join(sorted(VIDEO_EXTENSIONS)) + ")"))
        elif path.suffix.lower() not in VIDEO_EXTENSIONS:
            rejected.append(Rejection(str(path), f"'{path.suffix or 'no extension'}' is not a "
                                      "supported video type (" + " ".join(sorted(VIDEO_EXTENSIONS))
                                      + ")"))
        else:
            add(path)
    return files, rejected


def import_videos(
    library: Library, paths: Iterable[str | os.PathLike],
    cancelled: Callable[[], bool] = lambda: False,
) -> Generator[ImportProgress, None, ImportReport]:
    files, rejected = collect(paths)
    report = ImportReport(rejected=list(rejected))
    for done, path in enumerate(files, start=1):
        if cancelled():
            report.cancelled = True
            break
        outcome, detail = _import_one(library, path, report)
        yield ImportProgress(done, len(files), str(path), outcome, detail)
    if report.imported or report.relinked:
        with library.write() as conn:
            audit.record(conn, action="import", scope="library", old="-",
                         new=f"{len(report.imported)} new, {len(report.relinked)} relinked",
                         count=len(report.imported) + len(report.relinked))
    return report


def run_import(library: Library, paths: Iterable[str | os.PathLike]) -> ImportReport:
    """Import without progress reporting."""
    job = import_videos(library, paths)
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def _import_one(library: Library, path: Path, report: ImportReport) -> tuple[str, str]:
    def reject(reason: str) -> tuple[str, str]:
        report.rejected.append(Rejection(str(path), reason))
        return "rejected", reason

    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return reject("it is a folder whose name ends like a video")
        if not stat.S_ISREG(info.st_mode):
            return reject("it is not a regular file")
        if info.st_size == 0:
            return reject("the file is empty (0 bytes)")
        key = str(path)
        existing = library.find(path=key)
        if existing and existing.size == info.st_size and existing.mtime == info.st_mtime:
            report.skipped.append(Rejection(key, f"already in the library as video "
                                                        f"{existing.id}"))
            return "skipped", report.skipped[-1].reason
        fp = fingerprint(path, info.st_size)
        same = library.find(fingerprint=fp)
        if same is not None:
            if same.path == key:
                report.skipped.append(Rejection(key, f"already in the library as video "
                                                            f"{same.id}"))
                return "skipped", report.skipped[-1].reason
            if not Path(same.path).exists():
                with library.write() as conn:
                    conn.execute("UPDATE videos SET path = ?, mtime = ? WHERE id = ?",
                                 (key, info.st_mtime, same.id))
                report.relinked.append(library.video(same.id))
                return "relinked", f"moved from {same.path}"
            return reject(f"it has the same content as video {same.id} ({same.path})")
        thumb_name = fp + ".jpg"
        meta = probe(path, library.home.thumbnails / thumb_name)
        video = NewVideo(
            path=key, fingerprint=fp, size=info.st_size, mtime=info.st_mtime,
            duration_s=meta.duration_s, fps=meta.fps, width=meta.width, height=meta.height,
            rotation=meta.rotation, codec=meta.codec, title=meta.title,
            description=meta.description, tags=meta.tags, thumbnail=thumb_name,
        )
        try:
            with library.write() as conn:
                video_id = Library.insert_video(conn, video)
        except sqlite3.IntegrityError:  # another process imported it a moment ago
            report.skipped.append(Rejection(key, "already in the library"))
            return "skipped", "already in the library"
        report.imported.append(library.video(video_id))
        return "imported", f"video {video_id}"
    except MediaError as exc:
        return reject(exc.reason)
    except PermissionError:
        return reject("it cannot be read (permission denied)")
    except OSError as exc:
        return reject(f"it cannot be read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the import
        return reject(f"it could not be imported ({type(exc).__name__}: {exc})")
