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

from . import audit, sweep, video_checks
from .copies import CopyIndex
from .errors import Rejection, RemixDesktopError
from .library import Library, NewVideo, Video
from .media import VIDEO_EXTENSIONS, MediaError, fingerprint, probe
from .video_files import is_utf8_name
from .disk_errors import StorageError, file_error


@dataclass
class ImportReport:
    imported: list[Video] = field(default_factory=list)
    relinked: list[Video] = field(default_factory=list)
    skipped: list[Rejection] = field(default_factory=list)  # already in the library
    # a file at a known path with other content: the video(s) recorded there, told about
    replaced: list[Rejection] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    cancelled: bool = False
    audit_id: int | None = None  # this import's audit row, once a video was added
    # new videos found to be copies of videos in the library: (copy, original)
    copies: list[tuple[Video, Video]] = field(default_factory=list)
    faces: int = 0  # of the new videos, how many show a face
    index: CopyIndex | None = field(default=None, repr=False)  # the library's fingerprints


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
        try:
            outcome, detail = _import_one(library, path, report)
        except StorageError as exc:  # a full or read-only home stops the import, clearly
            raise _stopped(exc, report) from exc
        yield ImportProgress(done, len(files), str(path), outcome, detail)
    return report


def _audit(conn: sqlite3.Connection, report: ImportReport, *, new: int = 0,
           relinked: int = 0) -> int:
    """The import's one audit row, written with its first video and brought up to date in
    the transaction of each later one: whenever the import stops (even killed), the row
    counts exactly the videos it added. Returns its id (keep it only after the commit)."""
    new += len(report.imported)
    relinked += len(report.relinked)
    text = f"{new} new, {relinked} relinked"
    if report.audit_id is None:
        return audit.record(conn, action="import", scope="library", old="-", new=text,
                            count=new + relinked)
    conn.execute("UPDATE audit SET new = ?, count = ? WHERE id = ?",
                 (text, new + relinked, report.audit_id))
    return report.audit_id


def _stopped(exc: StorageError, report: ImportReport) -> StorageError:
    """The import-level sentence: why it stopped, what was kept, what to do."""
    kept = (f"after {len(report.imported)} new video{'' if len(report.imported) == 1 else 's'}, which are kept"
            if report.imported else "before any video was added")
    if exc.kind == "full":
        text = (f"The disk holding {exc.folder} is full, so the import stopped {kept}; free "
                "some space there and import again")
    else:
        text = (f"The folder {exc.folder} is read-only, so the import stopped {kept}; make it "
                "writable and import again")
    return StorageError(text, kind=exc.kind, folder=exc.folder)


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
        if not is_utf8_name(key):
            return reject("its name is not valid UTF-8 text (the system gives it as bytes the "
                          "library cannot store); rename the file and import it again")
        here = library.at_path(key)  # videos recorded at this path (normally one)
        if here and here[-1].size == info.st_size and here[-1].mtime == info.st_mtime:
            report.skipped.append(Rejection(key, f"already in the library as video "
                                                        f"{here[-1].id}"))
            return "skipped", report.skipped[-1].reason
        fp = fingerprint(path, info.st_size)
        same = library.find(fingerprint=fp)
        # The video(s) that had this path but another content: the file was replaced. They
        # stay in the library (their decisions with them), their file gone; this content is
        # a video of its own and does not inherit their permission.
        replaced = [v for v in here if v.fingerprint != fp]
        if same is not None:
            if same.path == key:
                if same.mtime != info.st_mtime:  # touched, same content
                    with library.write() as conn:
                        conn.execute("UPDATE videos SET mtime = ? WHERE id = ?",
                                     (info.st_mtime, same.id))
                report.skipped.append(Rejection(key, f"already in the library as video "
                                                            f"{same.id}"))
                return "skipped", report.skipped[-1].reason
            if not Path(same.path).exists():
                with library.write() as conn:
                    conn.execute("UPDATE videos SET path = ?, mtime = ? WHERE id = ?",
                                 (key, info.st_mtime, same.id))
                    audit_id = _audit(conn, report, relinked=1)
                report.audit_id = audit_id
                report.relinked.append(library.video(same.id))
                detail = f"moved from {same.path}"
                if replaced:
                    detail += _replaced_note(replaced, report, key)
                return "relinked", detail
            return reject(f"it has the same content as video {same.id} ({same.path})")
        thumb_name = fp + ".jpg"
        # Written under a hidden name of this process, renamed into place inside the
        # transaction that records the video: a thumbnail under its final name always has its
        # row, or is one a kill left (the sweep takes both kinds of leftover).
        pending = library.home.thumbnails / f".{fp}.{os.getpid()}.pending.jpg"
        try:
            meta = probe(path, pending)
        except OSError as exc:  # the thumbnail could not be written into the home?
            sweep.unlink(pending)
            clear = _home_error(library, exc, pending.name)
            if clear is not None:
                raise clear from exc
            raise
        except BaseException:
            sweep.unlink(pending)
            raise
        try:  # its faces and fingerprint, which consent needs before it can be remixed
            seen = video_checks.look(path, meta.duration_s)
        except MediaError:  # damaged past its first frames: left to be looked at again
            seen = None
        except BaseException:
            sweep.unlink(pending)
            raise
        share, samples, faces_at = (video_checks.face_values(seen) if seen is not None
                                    else (None, 0, "[]"))
        video = NewVideo(
            path=key, fingerprint=fp, size=info.st_size, mtime=info.st_mtime,
            duration_s=meta.duration_s, fps=meta.fps, width=meta.width, height=meta.height,
            rotation=meta.rotation, codec=meta.codec, title=meta.title,
            description=meta.description, tags=meta.tags, thumbnail=thumb_name,
            face_share=share, face_samples=samples, faces_at=faces_at,
        )
        if report.index is None:
            with library.read() as conn:
                report.index = CopyIndex(conn)
        renamed = False
        try:
            with library.write() as conn:
                video_id = Library.insert_video(conn, video)
                original = (video_checks.record(conn, video_id, seen, report.index)
                            if seen is not None else None)
                audit_id = _audit(conn, report, new=1)
                if pending.exists():
                    os.replace(pending, library.home.thumbnails / thumb_name)
                    renamed = True
        except sqlite3.IntegrityError:  # another process imported it a moment ago
            sweep.unlink(pending)
            report.skipped.append(Rejection(key, "already in the library"))
            return "skipped", "already in the library"
        except BaseException:  # not recorded: its new thumbnail is nobody's
            sweep.unlink(pending)
            if renamed and library.find(fingerprint=fp) is None:
                sweep.unlink(library.home.thumbnails / thumb_name)
            raise
        report.audit_id = audit_id
        report.imported.append(library.video(video_id))
        if seen is not None:
            report.index.add(video_id, seen.fingerprint.kept)
            report.faces += seen.shows_face
        detail = f"video {video_id}"
        if original is not None:
            first = library.video(original)
            report.copies.append((report.imported[-1], first))
            detail += f"; a copy of video {first.id} ({first.title or first.name})"
        if replaced:
            detail += _replaced_note(replaced, report, key)
        return "imported", detail
    except MediaError as exc:
        return reject(exc.reason)
    except RemixDesktopError:  # the library or the home failed, not this video
        raise
    except PermissionError:
        return reject("it cannot be read (permission denied)")
    except OSError as exc:
        return reject(f"it cannot be read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the import
        return reject(f"it could not be imported ({type(exc).__name__}: {exc})")


def sweep_thumbnails(library: Library, *, wait_s: float = 0.2) -> int | None:
    """Delete what interrupted imports left in the thumbnails folder: a thumbnail no video
    refers to (an import killed between its rename and its commit, or a video removed by a
    process killed before it deleted the file) and pending files whose process is gone.
    Judged under the write lock, where imports rename and record in one transaction. Returns
    how many went, or None when the library was busy for `wait_s`. Never raises."""
    folder = library.home.thumbnails
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    # .FP.PID.pending.jpg (and a .part inside it) of a process that is gone
    removed = sum(sweep.unlink(folder / n) for n in names
                  if n.startswith(".") and ".pending.jpg" in n and sweep.writer_gone(
                      folder / n, n.split(".pending.jpg")[0].rsplit(".", 1)[-1],
                      unnamed_after_s=24 * 3600))
    finals = [n for n in names if n.endswith(".jpg") and not n.startswith(".")]
    swept = sweep.remove_unrecorded(
        library, folder, finals, wait_s=wait_s, recorded=lambda conn: {r[0] for r in conn.execute(
            "SELECT thumbnail FROM videos WHERE thumbnail IS NOT NULL")})
    return None if swept is None else removed + swept


def _replaced_note(replaced: list[Video], report: ImportReport, key: str) -> str:
    """Say that the file at `key` replaced what the library knew there: those videos keep
    their decisions, shown with their file gone."""
    names = ", ".join(f"video {v.id} ({v.permission})" for v in replaced)
    note = (f"the file at this path used to be {names}, whose content is no longer there; "
            "kept in the library with its decision, its file marked changed")
    report.replaced.append(Rejection(key, note))
    return f"; {note}"


def _home_error(library: Library, exc: OSError, thumb_name: str) -> StorageError | None:
    """A failed write into the home's thumbnails folder (full disk, read-only folder) is no
    fault of the video: the import stops with a clear error. Its half-written thumbnail goes."""
    folder = library.home.thumbnails
    name = os.fspath(exc.filename) if exc.filename is not None else ""
    in_home = bool(name) and os.path.dirname(os.path.abspath(name)) == os.path.abspath(folder)
    clear = file_error(exc, folder, "the thumbnail") if in_home or exc.filename is None else None
    if clear is not None:
        sweep.unlink(folder / (thumb_name + ".part"))
    return clear
