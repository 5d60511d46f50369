"""The previews table and the preview files in the home: the one owner of both.

A render records its preview here (`record`, inside the render's transaction, after its file
was renamed into place); consent removes the previews of videos that may no longer be
remixed and the library those of removed videos (`drop_for_videos`, inside their own
transactions, the files deleted after the commit by `delete_files`); the sweep takes files
no row refers to. The output kinds a remix can be (still, and later animated) are a table
here too: the kind names the file suffix and is kept in the row.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from . import sweep
from .audit import utc_now
from .errors import UsageError

if TYPE_CHECKING:
    from .home import Home
    from .library import Library


@dataclass(frozen=True)
class OutputKind:
    name: str
    suffix: str  # the preview file's suffix
    label: str  # in the creator's words
    animated: bool = False


OUTPUT_KINDS = {k.name: k for k in (
    OutputKind("still", ".png", "Still image"),
    OutputKind("animated", ".webp", "Animated", animated=True),
)}
"""A new kind of remix is one entry here and its renderer (core.remix, core.animate)."""


def output_kind(name: str) -> OutputKind:
    try:
        return OUTPUT_KINDS[name]
    except KeyError:
        raise UsageError(f"'{name}' is not a kind of remix; use one of: "
                         f"{', '.join(OUTPUT_KINDS)}") from None


@dataclass(frozen=True)
class Preview:
    id: int
    video_id: int
    request_hash: str
    path: Path
    caption: str
    params: dict
    created_at: str
    face: bool = False
    timings: dict = field(default_factory=dict)
    kind: str = "still"

    @property
    def suffix(self) -> str:
        return self.path.suffix


_COLUMNS = "id, video_id, request_hash, file, caption, params, created_at, face, kind"


class PreviewStore:
    def __init__(self, library: "Library"):
        self.library = library

    @property
    def folder(self) -> Path:
        return self.library.home.previews

    def list(self, video_id: int | None = None) -> list[Preview]:
        """Newest first; every video's, or one video's."""
        if video_id is None:
            rows = self.library.conn.execute(f"SELECT {_COLUMNS} FROM previews ORDER BY id DESC")
        else:
            rows = self.library.conn.execute(
                f"SELECT {_COLUMNS} FROM previews WHERE video_id = ? ORDER BY id DESC",
                (video_id,))
        return [self._row(r) for r in rows]

    def get(self, preview_id: int) -> Preview:
        row = self.library.conn.execute(
            f"SELECT {_COLUMNS} FROM previews WHERE id = ?", (preview_id,)).fetchone()
        if row is None:
            raise UsageError(f"There is no preview with id {preview_id}")
        return self._row(row)

    def cached(self, key: str) -> Preview | None:
        """The preview made for a request's hash, if it and its file are there."""
        row = self.library.conn.execute(
            "SELECT id FROM previews WHERE request_hash = ?", (key,)).fetchone()
        if row is None:
            return None
        preview = self.get(row[0])
        return preview if preview.path.is_file() else None

    @staticmethod
    def file_name(key: str, kind: str) -> str:
        return f"{key}{output_kind(kind).suffix}"

    @staticmethod
    def record(conn: sqlite3.Connection, *, video_id: int, key: str, name: str, caption: str,
               params: dict, face: bool, kind: str) -> int:
        """Record a preview inside the caller's transaction (its file already in place)."""
        cur = conn.execute(
            "INSERT INTO previews(video_id, request_hash, file, caption, params, created_at, "
            "face, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(request_hash) DO UPDATE SET file = excluded.file",
            (video_id, key, name, caption, json.dumps(params, ensure_ascii=False), utc_now(),
             int(face), kind))
        return int(cur.lastrowid)

    @staticmethod
    def is_recorded(conn: sqlite3.Connection, key: str) -> bool:
        return conn.execute("SELECT 1 FROM previews WHERE request_hash = ?",
                            (key,)).fetchone() is not None

    def _row(self, row) -> Preview:
        return Preview(row[0], row[1], row[2], self.folder / Path(row[3]).name, row[4],
                       json.loads(row[5]), row[6], bool(row[7]), kind=row[8])


def counts_by_video(conn: sqlite3.Connection, columns: str) -> list[tuple]:
    """(id, *columns, previews) of every video that has a preview; `columns` are of `v`,
    the videos table (for the consent rule: its facts)."""
    return conn.execute(f"SELECT v.id, {columns}, count(*) FROM previews p "
                        "JOIN videos v ON v.id = p.video_id GROUP BY v.id").fetchall()


def drop_for_videos(conn: sqlite3.Connection, video_ids: Iterable[int]) -> list[str]:
    """Delete the preview rows of these videos inside the caller's transaction; returns
    their file names, for `delete_files` after the commit."""
    ids = sorted({int(i) for i in video_ids})
    if not ids:
        return []
    return [Path(r[0]).name for r in conn.execute(
        "DELETE FROM previews WHERE video_id IN (SELECT value FROM json_each(?)) "
        "RETURNING file", (json.dumps(ids),))]


def delete_files(home: "Home", names: Iterable[str]) -> int:
    """Delete preview files after the transaction that dropped their rows committed (a file
    left by a crash in between is swept on the next open). Returns how many went."""
    gone = 0
    for name in names:
        try:
            (home.previews / Path(name).name).unlink()
            gone += 1
        except FileNotFoundError:
            pass
    return gone


def sweep_previews(library: "Library", *, wait_s: float = 0.2) -> int | None:
    """Delete what interrupted renders and consent changes left in the previews folder: a
    preview file no row refers to (a render killed between its rename and its commit, or the
    preview of a video denied by a change killed before it deleted the file) and temporaries
    whose process is gone (or that are older than a day). Returns how many files went, or
    None when it could not look (the library busy in another process for `wait_s`).

    Files are judged under the write lock: a render renames its file and records it in one
    transaction, so a render in progress in another process is never taken for a leftover.
    Never raises: on a full or read-only disk the leftovers wait for the next time."""
    folder = library.home.previews
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = sum(sweep.unlink(folder / n) for n in names if n.endswith(".part")
                  and sweep.writer_gone(folder / n, n[:-len(".part")].rsplit(".", 1)[-1]))
    suffixes = tuple({k.suffix for k in OUTPUT_KINDS.values()})
    finals = [n for n in names if n.endswith(suffixes) and not n.startswith(".")]
    swept = sweep.remove_unrecorded(
        library, folder, finals, wait_s=wait_s,
        recorded=lambda conn: {Path(r[0]).name for r in conn.execute("SELECT file FROM previews")})
    return None if swept is None else removed + swept
