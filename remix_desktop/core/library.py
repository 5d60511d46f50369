"""The library: one SQLite file with a schema version, ordered migrations, videos and settings.

Every write is a transaction started with BEGIN IMMEDIATE, so two processes on one home queue
behind each other (WAL mode, a busy timeout) instead of corrupting the file.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from . import audit
from .backups import auto_backup, check_database, damaged, quick_check, take_backup
from .errors import LibraryError, UsageError
from .home import Home
from .disk_errors import open_error, read_only_uri
from .previews import delete_files, drop_for_videos
from .settings import declared
from .schema import (INSERT_VIDEO, MIGRATIONS, SCHEMA_VERSION, SETTING_DEFAULTS,  # noqa: F401
                     VIDEO_COLUMNS, NewVideo, Video, insert_values)

PERMISSIONS = ("allow", "deny", "default")


LISTING_COLUMNS = 7  # the texts json_listing gives for each video


class Library:
    """The creator's video library in `home`. Open it, use it, close it (or use `with`)."""

    def __init__(self, home: Home, *, busy_timeout_s: float = 30.0, check: bool = False):
        """Open (creating or migrating) the library. `check` runs SQLite's quick check first
        (75 ms for 100,000 videos): the window does, so damage is found before anything is
        shown; a damaged file raises LibraryDamaged and is left untouched."""
        self.home = home.ensure()
        self.read_only = False  # True: opened for reading in a read-only folder
        if home.database.exists() and home.database.stat().st_size > 0:
            problem = check_database(home.database) if check else _header_problem(home.database)
            if problem:
                raise damaged(home, problem)
        try:
            self.conn = sqlite3.connect(
                home.database, timeout=busy_timeout_s, isolation_level=None,
                check_same_thread=False,
            )
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            clear = open_error(exc, home)  # a full disk or a read-only folder is not damage
            if clear is not None and clear.kind == "read-only" and home.database.exists():
                self.conn = sqlite3.connect(read_only_uri(home.database), uri=True,
                                            isolation_level=None, check_same_thread=False)
                self.read_only = True
                if self.schema_version != SCHEMA_VERSION:
                    raise clear from exc  # cannot migrate what cannot be written
                return
            if clear is not None:
                raise clear from exc
            problem = check_database(home.database)
            if problem:
                raise damaged(home, problem) from exc
            raise LibraryError(
                f"The library database {home.database} cannot be opened ({exc}); "
                f"backups are kept in {home.backups}"
            ) from exc

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. Other processes wait for it; a failure rolls it all back.
        A full disk, a read-only data folder or a lock held too long by another process is
        raised as a LibraryError that says so (nothing of the transaction is kept)."""

        def failed(exc: BaseException, *, began: bool = True) -> None:
            if began and self.conn.in_transaction:  # SQLite may have rolled back already
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.OperationalError):
                from .disk_errors import sqlite_error

                clear = sqlite_error(exc, self.home)
                if clear is not None:
                    raise clear from exc

        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            failed(exc, began=False)  # not ours to roll back (a caller's transaction?)
            raise
        try:
            yield self.conn
        except BaseException as exc:
            failed(exc)
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            failed(exc)
            raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads (inside a write, that write's view)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        except sqlite3.OperationalError as exc:
            from .disk_errors import sqlite_error

            clear = sqlite_error(exc, self.home, reading=True)
            if clear is not None:
                raise clear from exc
            raise
        finally:
            if self.conn.in_transaction:  # an error may have ended it already
                self.conn.execute("COMMIT")

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version` of this connection: it changes whenever another
        connection (another process, or a job's own connection) commits a change, so a view
        that polls it knows when to read again. Cheap (no I/O beyond the WAL index)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def stamp(self) -> dict[str, tuple]:
        """A fingerprint of each part views show (see changes.read_stamp)."""
        from .changes import read_stamp

        return read_stamp(self.conn)

    @property
    def closed(self) -> bool:
        return self.conn is None

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        found = self.schema_version
        if found == SCHEMA_VERSION:
            return
        if 0 < found < SCHEMA_VERSION:  # a consistent copy first, outside the write lock
            self._backup(f"before-migration-v{found}-to-v{SCHEMA_VERSION}")
        # Foreign keys off around the migration (a no-op inside a transaction, so here): a
        # table rebuild drops the old table, which would otherwise cascade to its previews.
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            self._migrate_locked()
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def _migrate_locked(self) -> None:
        with self.write() as conn:
            current = self.schema_version  # re-read under the lock: another process may have won
            if current > SCHEMA_VERSION:
                raise LibraryError(
                    f"The library at {self.home.database} was made by a newer Remix Desktop "
                    f"(schema {current}, this one knows {SCHEMA_VERSION}); update the app"
                )
            if current == SCHEMA_VERSION:
                return
            for index in range(current, SCHEMA_VERSION):
                for statement in _split_sql(MIGRATIONS[index]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {index + 1}")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:  # rolled back whole: the library stays as it was
                raise LibraryError(f"Migrating the library to schema {SCHEMA_VERSION} would "
                                   f"leave {len(broken)} row(s) pointing nowhere; nothing "
                                   "was changed")

    def _backup(self, label: str) -> Path:
        return take_backup(self.conn, self.home, label)

    def backup_now(self) -> Path:
        """A backup on request, after the same check as the daily one."""
        problem = quick_check(self.conn)
        if problem is not None:
            raise damaged(self.home, problem)
        return take_backup(self.conn, self.home, "manual")

    def auto_backup(self, **kwargs) -> Path | None:
        """The daily backup, when one is due (see backups.auto_backup). A home that cannot
        take one (read-only, full) still works: that is logged and None returned; a damaged
        database raises LibraryDamaged."""
        try:
            return auto_backup(self.conn, self.home, **kwargs)
        except (OSError, sqlite3.OperationalError) as exc:
            logging.getLogger(__name__).warning("no daily backup: %s", exc)
            return None

    # -- settings --------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return row[0]
        if key in SETTING_DEFAULTS:
            return SETTING_DEFAULTS[key]
        if default is not None:
            return default
        raise KeyError(key)

    def value(self, key: str) -> object:
        """A declared setting's typed value (an int for threads, a bool for optout)."""
        return declared(key).value(self.setting(key))

    def set_setting(self, key: str, value: str) -> None:
        """Write one setting in its own transaction (see set_settings)."""
        self.set_settings({key: value})

    def set_settings(self, values: dict[str, str]) -> list[str]:
        """Write settings in one transaction, each checked against its declaration
        (settings.SETTINGS): an unknown key or a value it does not take raises UsageError and
        nothing is written. The consent switches are changed through consent.py, with audit
        rows. Returns the keys whose value changed."""
        for key, value in values.items():
            setting = declared(key)
            if setting.consent:
                raise UsageError(f"'{key}' is changed through consent, with an audit row")
            setting.check(value)
        changed = []
        with self.write() as conn:
            for key, value in values.items():
                row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
                if (row[0] if row else SETTING_DEFAULTS[key]) != value:
                    self.put_setting(conn, key, value)
                    changed.append(key)
        return changed

    @staticmethod
    def put_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
        """Write a setting inside the caller's transaction."""
        conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- videos ----------------------------------------------------------------------------

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM videos").fetchone()[0]

    def videos(self, ids: Iterable[int] | None = None) -> list[Video]:
        if ids is None:
            rows = self.conn.execute(f"SELECT {VIDEO_COLUMNS} FROM videos ORDER BY id")
        else:
            rows = self.conn.execute(
                f"SELECT {VIDEO_COLUMNS} FROM videos "
                "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (json.dumps(list(ids)),),
            )
        return [Video.from_row(row) for row in rows]

    def listing(self) -> list[tuple]:
        """(id, path, duration_s, width, height, thumbnail, title, search text) of every
        video: what a table of the library shows and searches, in one query. The search
        text holds the title, description and tags (the file name is the view's own)."""
        return self.conn.execute(
            "SELECT id, path, duration_s, width, height, thumbnail, title, "
            "title || ' ' || description || ' ' || tags FROM videos").fetchall()

    def json_listing(self, thumbs: str) -> tuple[list[list[str]], list[tuple]]:
        """Every video for a JSON listing of 100,000, with SQLite writing the JSON of the
        text and whole-number fields: (columns, reals). columns holds LISTING_COLUMNS lists
        of texts, one text a video, in the same order: the id, the path as a JSON string,
        the size, the facts key (consent_rule's FACTS_KEY_SQL) as a JSON string, and three
        JSON objects: fingerprint and size; width and height; rotation, codec, title,
        description, tags, thumbnail (`thumbs` + its name), permission, face share and the
        video it copies. reals holds each
        video's (duration_s, fps), in the same order, to be written exactly (SQLite's JSON
        would round them to 15 digits). Each column is one group_concat split at char(1),
        which JSON text never holds unescaped: a row of Python objects for each video
        costs twice as much."""
        from .consent_rule import FACTS_KEY_SQL

        columns = [
            "id", "json_quote(path)", "size", f"json_quote({FACTS_KEY_SQL})",
            "json_object('fingerprint', fingerprint, 'size', size)",
            "json_object('width', width, 'height', height)",
            "json_object('rotation', rotation, 'codec', codec, 'title', title, "
            "'description', description, 'tags', json(tags), 'thumbnail', CASE WHEN "
            "thumbnail IS NULL OR thumbnail = '' THEN NULL ELSE ? || thumbnail END, "
            "'permission', permission, 'face_share', face_share, 'copy_of', copy_of)"]
        assert len(columns) == LISTING_COLUMNS
        texts = self.conn.execute(
            "SELECT " + ", ".join(f"group_concat({c}, char(1))" for c in columns)
            + " FROM videos", (thumbs,)).fetchone()
        if texts[0] is None:
            return [[] for _ in columns], []
        split = [text.split("\x01") for text in texts]
        rows = self.conn.execute(
            "SELECT CAST(id AS TEXT), duration_s, fps FROM videos").fetchall()
        reals = [r[1:] for r in rows]
        if [r[0] for r in rows] != split[0]:  # two scans of one table: the same order, or
            found = dict((str(r[0]), r[1:]) for r in rows)  # matched by id
            reals = [found[i] for i in split[0]]
        return split[:LISTING_COLUMNS], reals

    def video(self, video_id: int) -> Video:
        row = self.conn.execute(
            f"SELECT {VIDEO_COLUMNS} FROM videos WHERE id = ?", (video_id,)
        ).fetchone()
        if row is None:
            raise UsageError(f"There is no video with id {video_id} in the library")
        return Video.from_row(row)

    def find(self, *, fingerprint: str | None = None, path: str | None = None) -> Video | None:
        if fingerprint is not None:
            row = self.conn.execute(
                f"SELECT {VIDEO_COLUMNS} FROM videos WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()
        else:  # the newest video at that path (an older one there lost its file)
            row = self.conn.execute(
                f"SELECT {VIDEO_COLUMNS} FROM videos WHERE path = ? ORDER BY id DESC LIMIT 1",
                (path,)).fetchone()
        return Video.from_row(row) if row else None

    def at_path(self, path: str) -> list[Video]:
        """Every video recorded at `path`, oldest first (more than one when the file there
        was replaced by other content since the first was imported)."""
        rows = self.conn.execute(
            f"SELECT {VIDEO_COLUMNS} FROM videos WHERE path = ? ORDER BY id", (path,))
        return [Video.from_row(row) for row in rows]

    def missing_ids(self, ids: Iterable[int]) -> list[int]:
        wanted = sorted(set(ids))
        found = {
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM videos WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted),),
            )
        }
        return [i for i in wanted if i not in found]

    @staticmethod
    def insert_video(conn: sqlite3.Connection, video: NewVideo) -> int:
        """Insert inside the caller's transaction; the permission starts at `default`."""
        cur = conn.execute(INSERT_VIDEO, insert_values(video))
        return int(cur.lastrowid)

    def remove(self, ids: Iterable[int]) -> list[Video]:
        """Take videos out of the library. The video files themselves are never touched."""
        wanted = sorted({int(i) for i in ids})
        missing = self.missing_ids(wanted)
        if missing:
            raise UsageError(f"There is no video with id {', '.join(map(str, missing))} "
                             "in the library")
        gone = self.videos(wanted)
        selector = "(SELECT value FROM json_each(?))"
        with self.write() as conn:
            previews = drop_for_videos(conn, wanted)
            conn.execute(f"DELETE FROM videos WHERE id IN {selector}", (json.dumps(wanted),))
            scope = f"video {wanted[0]}" if len(wanted) == 1 else f"{len(wanted)} videos"
            audit.record(conn, action="remove", scope=scope, old="in library", new="removed",
                         count=len(gone))
        # Only files the app made in its own home are deleted, after the commit.
        delete_files(self.home, previews)
        for video in gone:
            if video.thumbnail:
                (self.home.thumbnails / Path(video.thumbnail).name).unlink(missing_ok=True)
        return gone

    def set_info(
        self, video_id: int, *, title: str | None = None, description: str | None = None,
        tags: Iterable[str] | None = None,
    ) -> Video:
        """Set the title, description or tags the creator gives a video (they feed captions)."""
        self.video(video_id)
        with self.write() as conn:
            if title is not None:
                conn.execute("UPDATE videos SET title = ? WHERE id = ?", (title.strip(), video_id))
            if description is not None:
                conn.execute(
                    "UPDATE videos SET description = ? WHERE id = ?",
                    (description.strip(), video_id),
                )
            if tags is not None:
                clean = [t.strip() for t in tags if t.strip()]
                conn.execute(
                    "UPDATE videos SET tags = ? WHERE id = ?", (json.dumps(clean), video_id)
                )
        return self.video(video_id)


def _header_problem(path: Path) -> str | None:
    """A cheap look at the database's header, through SQLite: None when it is plausible.

    Never with Python's `open()`: on POSIX, closing any descriptor of a file drops every fcntl
    lock this process holds on it, SQLite's included, so a look beside a live connection (the
    window's, while a job opens its own) would strip that connection's locks, and another
    process would then take itself for the last one and delete the WAL under it. SQLite
    shares one lock record per file among its connections in a process and defers closing,
    so reading through it is safe."""
    try:
        probe = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True,
                                isolation_level=None, check_same_thread=False, timeout=1.0)
    except sqlite3.Error:
        return None  # cannot be opened at all: the real open says why
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return text
        return None  # locked, busy, a read-only folder without -shm: not damage
    finally:
        probe.close()
    return None


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
