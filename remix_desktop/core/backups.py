"""Backups of the library database, damage detection and restore.

A creator's decisions live in one SQLite file. The app keeps copies of it in the home's
`backups/` folder: one before every schema migration, one a day while the app is used (only
of a database that passed SQLite's quick check), and one of whatever a restore replaces. A
damaged database is never opened as if it were empty and never deleted: the app says so and
offers the newest good backup.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import LibraryDamaged, UsageError
from .home import Home
from .disk_errors import read_only_uri
from .atomic_files import fsync_file, sync_folder

AUTO_EVERY_S = 24 * 3600  # an automatic backup a day while the app is used
AUTO_KEEP = 7  # automatic backups kept; others (before a migration or restore) are never pruned
_NAME = re.compile(r"^library-(\d{8}-\d{6})(?:-\d+)?-(.+)\.db$")


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime  # local time
    label: str  # auto, before-migration-v3-to-v4, replaced-by-restore, damaged, manual
    videos: int | None  # None when it cannot be read
    problem: str | None  # None when the copy passed SQLite's quick check

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        when = self.taken_at.strftime("%Y-%m-%d %H:%M")
        if not self.ok:
            return f"{self.path.name} ({when}, unusable: {self.problem})"
        return f"{self.path.name} ({when}, {self.videos} video{'' if self.videos == 1 else 's'}, {self.label})"

    def to_dict(self) -> dict:
        return {"file": str(self.path), "taken_at": self.taken_at.isoformat(timespec="seconds"),
                "label": self.label, "videos": self.videos, "ok": self.ok,
                "problem": self.problem}


def check_database(path: Path) -> str | None:
    """None when the SQLite file at `path` passes quick_check, otherwise why not. Opened
    read-only: checking never changes the file (a WAL beside it is read, not merged)."""
    return _inspect(path)[0]


def _inspect(path: Path, *, count: bool = False) -> tuple[str | None, int | None]:
    """(problem, videos) of a database file, through one read-only connection: the problem
    SQLite's quick check finds (None when sound) and, when asked, how many videos it holds."""
    if not path.exists():
        return "the file does not exist", None
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as exc:
        return str(exc), None
    try:
        problem = quick_check(conn)
        if problem is not None:
            return problem, None
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not count:
            return None, None
        try:
            return None, conn.execute("SELECT count(*) FROM videos").fetchone()[0]
        except sqlite3.Error:
            return None, None
    except sqlite3.Error as exc:
        return str(exc), None
    finally:
        conn.close()


def quick_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's quick check of an open database: None when sound, else what it found."""
    rows = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
    return None if rows == ["ok"] else "; ".join(str(r) for r in rows)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Read-only; in a read-only or full folder, where SQLite cannot make the -shm file a
    WAL database needs, as an immutable file (only then: immutable means no writer)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
                        sqlite3.SQLITE_READONLY):
            raise
    return sqlite3.connect(read_only_uri(path), uri=True, timeout=5)


def _stamp_of(path: Path) -> tuple[datetime, str]:
    found = _NAME.match(path.name)
    if found:
        try:
            return datetime.strptime(found.group(1), "%Y%m%d-%H%M%S"), found.group(2)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime), "manual"


def list_backups(home: Home, *, check: bool = True) -> list[Backup]:
    """Every backup in the home, newest first; each checked unless `check` is False."""
    found = []
    if not home.backups.is_dir():
        return found
    for path in home.backups.glob("*.db"):
        if not path.is_file():
            continue
        taken, label = _stamp_of(path)
        problem, videos = _inspect(path, count=True) if check else (None, None)
        found.append(Backup(path, taken, label, videos, problem))
    found.sort(key=lambda b: (b.taken_at, b.path.name), reverse=True)
    return found


def newest_good(home: Home) -> Backup | None:
    for backup in list_backups(home):
        if backup.ok and backup.label not in ("damaged", "replaced-by-restore"):
            return backup
    return None


def _free_name(home: Home, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = home.backups / f"library-{stamp}-{label}.db"
    n = 1
    while target.exists() or target.with_name(target.name + "-wal").exists():
        n += 1
        target = home.backups / f"library-{stamp}-{n}-{label}.db"
    return target


def take_backup(conn: sqlite3.Connection, home: Home, label: str) -> Path:
    """A consistent copy of the open database (SQLite's online backup), written under a
    temporary name and renamed into place, so a crash never leaves half a backup."""
    home.backups.mkdir(parents=True, exist_ok=True)
    target = _free_name(home, label)
    part = target.with_name(f".{target.name}.part")
    try:
        dest = sqlite3.connect(part)
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        fsync_file(part)
        os.replace(part, target)
    except BaseException:  # a full disk, a kill signal as an exception: no half backup left
        for leftover in (part, part.with_name(part.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    sync_folder(home.backups)
    return target


def auto_backup(conn: sqlite3.Connection, home: Home, *, every_s: float = AUTO_EVERY_S,
                keep: int = AUTO_KEEP, now: float | None = None) -> Path | None:
    """Take the daily backup when the newest automatic one is older than `every_s`, and only
    of a database that passes quick_check (a damaged file must not push out good copies).
    Returns the new backup, or None when none was due."""
    now = time.time() if now is None else now
    autos = sorted(home.backups.glob("library-*-auto.db"), key=lambda p: p.stat().st_mtime)
    if autos and now - autos[-1].stat().st_mtime < every_s:
        return None
    problem = quick_check(conn)
    if problem is not None:
        raise damaged(home, problem)
    made = take_backup(conn, home, "auto")
    autos.append(made)
    for old in autos[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return made


def damaged(home: Home, problem: str) -> LibraryDamaged:
    """The error for a damaged database: what happened, that the file was left alone, and
    which backup to restore and how."""
    best = newest_good(home)
    text = (f"The library database {home.database} is damaged ({problem}); it has been left "
            f"as it is. ")
    if best:
        text += (f"The newest good backup is {best.describe()}: restore it with "
                 f"'remix-desktop library restore' (the damaged file is kept in "
                 f"{home.backups})")
    else:
        text += ("There is no good backup to restore: 'remix-desktop library restore --empty' "
                 "sets the damaged file aside (it is kept) and starts a new library")
    return LibraryDamaged(text, database=str(home.database),
                          newest_backup=str(best.path) if best else None, backup=best)


def restore(home: Home, backup: Path | None = None, *,
            empty: bool = False) -> tuple[Path | None, Path | None]:
    """Put a backup (default: the newest good one) in place of the library database, or set
    the database aside and start empty when `empty`. The file it replaces (damaged or not) is
    moved into backups/, never deleted. Returns (restored backup, where the old file went)."""
    if empty and backup is not None:
        raise UsageError("Give a backup to restore or --empty, not both")
    chosen = None
    if not empty:
        if backup is None:
            best = newest_good(home)
            if best is None:
                raise UsageError(f"There is no good backup in {home.backups}; use --empty to "
                                 f"set the damaged library aside and start a new one")
            chosen = best.path
        else:
            chosen = Path(backup)
            if not chosen.is_absolute() and not chosen.exists():
                chosen = home.backups / chosen
            problem = check_database(chosen)
            if problem:
                raise UsageError(f"{chosen.name} cannot be restored: {problem}")
    part = home.root / f".{home.database.name}.restore.part"
    if chosen is not None:  # the copy first: if it fails (a full disk), nothing was moved
        try:
            shutil.copyfile(chosen, part)
            fsync_file(part)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    moved = None
    if home.database.exists():
        moved = _free_name(home, "replaced-by-restore")
        for suffix in ("-wal", "-shm", "-journal"):
            side = home.database.with_name(home.database.name + suffix)
            if side.exists():
                os.replace(side, moved.with_name(moved.name + suffix))
        os.replace(home.database, moved)
    if chosen is not None:
        os.replace(part, home.database)
    sync_folder(home.root)
    sync_folder(home.backups)
    return chosen, moved
