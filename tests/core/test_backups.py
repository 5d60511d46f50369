"""Backups, damage on disk, and restore: a damaged library is never opened as if it were
empty, never deleted, and the newest good backup brings the creator's decisions back."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remix_desktop.core import backups
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import LibraryDamaged, UsageError
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library


def fill(library: Library, n: int) -> list[int]:
    with library.write() as conn:
        conn.executemany(
            "INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, width, height, "
            "codec, added_at) VALUES (?, ?, 1000, 0, 12.5, 30, 1080, 1920, 'h264', 'now')",
            ((f"/videos/clip {i:05d}.mp4", f"fp{i}") for i in range(n)))
    return [v.id for v in library.videos()]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage_pages(path: Path, *, skip_first: bool = True) -> None:
    """Random bytes over every page but the first (the header stays valid, the b-trees do
    not): what a bad sector or a half-synced copy leaves behind."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        page = 4096
        for offset in range(page if skip_first else 0, size, page):
            f.seek(offset + 16)
            f.write(os.urandom(page - 32))


@pytest.fixture
def decided(home):
    """A library with 300 videos and decisions on them, a good backup, then more decisions."""
    with Library(home) as library:
        ids = fill(library, 300)
        consent = Consent(library)
        consent.set_permission(ids[:100], "deny")
        consent.set_permission(ids[100:150], "allow")
        consent.set_default("allow")
        first = library.auto_backup()
        assert first is not None and first.exists()
        consent.set_permission(ids[150:160], "deny")  # after the backup
    return home, ids


def test_daily_backup_is_taken_once_a_day_and_old_ones_are_pruned(home):
    with Library(home) as library:
        fill(library, 10)
        now = time.time()
        first = library.auto_backup(now=now)
        assert first and first.name.endswith("-auto.db")
        assert library.auto_backup(now=now + 60) is None  # not due yet
        made = [first]
        for day in range(1, 10):
            later = now + day * backups.AUTO_EVERY_S + 1
            os.utime(made[-1], (later - backups.AUTO_EVERY_S - 1,) * 2)
            path = library.auto_backup(now=later, keep=3)
            assert path is not None
            os.utime(path, (later, later))
            made.append(path)
    autos = sorted(home.backups.glob("*-auto.db"))
    assert len(autos) == 3 and set(autos) == set(made[-3:])
    assert not list(home.backups.glob(".*part"))  # written under a temporary name, renamed
    found = backups.list_backups(home)
    assert all(b.ok and b.videos == 10 for b in found)


def test_backup_is_a_consistent_standalone_copy(decided):
    home, ids = decided
    [backup] = backups.list_backups(home)
    conn = sqlite3.connect(backup.path)
    denied = conn.execute("SELECT count(*) FROM videos WHERE permission='deny'").fetchone()[0]
    assert denied == 100  # the change made after the backup is not in it
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed
    assert backup.videos == 300 and backup.label == "auto"


def test_damaged_header_is_refused_untouched_and_names_the_backup(decided):
    home, _ = decided
    with open(home.database, "r+b") as f:
        f.write(b"this is not SQLite any more")
    before = digest(home.database)
    with pytest.raises(LibraryDamaged) as caught:
        Library(home)
    message = str(caught.value)
    assert "is damaged" in message and "remix-desktop library restore" in message
    assert "300 videos" in message  # no "(s)" (issue 13)
    assert caught.value.newest_backup.endswith("-auto.db")
    assert digest(home.database) == before  # left exactly as it was


def test_damaged_pages_found_by_the_check_and_restore_brings_decisions_back(decided):
    home, ids = decided
    damage_pages(home.database)
    before = digest(home.database)
    with pytest.raises(LibraryDamaged):
        Library(home, check=True)
    assert digest(home.database) == before
    chosen, moved = backups.restore(home)
    assert chosen.name.endswith("-auto.db")
    assert digest(moved) == before  # the damaged file is kept, not deleted
    assert "replaced-by-restore" in moved.name
    with Library(home, check=True) as library:
        consent = Consent(library)
        assert library.count() == 300
        denied = [v.id for v in library.videos() if v.permission == "deny"]
        assert denied == ids[:100]
        assert consent.state().default == "allow"
    # the moved damaged file is listed but never offered as the good one
    assert backups.newest_good(home).path == chosen


def test_damage_does_not_push_out_good_backups(decided):
    home, _ = decided
    with Library(home) as library:
        good = backups.list_backups(home)
        damage_pages(home.database)
        with pytest.raises(LibraryDamaged):
            library.auto_backup(now=time.time() + 2 * backups.AUTO_EVERY_S, keep=1)
    assert backups.list_backups(home) == good


def test_restore_refuses_a_bad_backup_and_empty_keeps_the_old_file(home, tmp_path):
    with Library(home) as library:
        fill(library, 5)
    bad = home.backups / "library-20260101-000000-manual.db"
    bad.write_bytes(b"\0" * 8192)
    with pytest.raises(UsageError, match="cannot be restored"):
        backups.restore(home, bad)
    with pytest.raises(UsageError, match="no good backup"):
        backups.restore(home)
    old = digest(home.database)
    chosen, moved = backups.restore(home, empty=True)
    assert chosen is None and digest(moved) == old
    with Library(home) as library:
        assert library.count() == 0


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_says_damaged_and_restores(tmp_path):
    home = tmp_path / "h"
    assert cli(home, "list").returncode == 0  # creates the library and its daily backup
    with Library(Home(home)) as library:
        ids = fill(library, 200)
        Consent(library).set_permission(ids[:50], "deny")
    assert cli(home, "library", "backup").returncode == 0
    damage_pages(Home(home).database)
    listed = cli(home, "list", "--json")
    assert listed.returncode == 2
    assert "damaged" in listed.stderr and "library restore" in listed.stderr
    assert "Traceback" not in listed.stderr
    check = cli(home, "library", "check")
    assert check.returncode == 2 and "damaged" in check.stderr
    shown = json.loads(cli(home, "library", "backups", "--json").stdout)
    assert [b["label"] for b in shown][:2] == ["manual", "auto"]
    assert shown[0]["videos"] == 200 and shown[0]["ok"]
    restored = cli(home, "library", "restore")
    assert restored.returncode == 0, restored.stderr
    assert "200 videos" in restored.stdout and "kept as" in restored.stdout
    videos = json.loads(cli(home, "list", "--json").stdout)
    assert sum(v["permission"] == "deny" for v in videos) == 50
    assert cli(home, "library", "check").returncode == 0


def test_a_backup_that_fails_leaves_nothing_behind(home, monkeypatch):
    with Library(home) as library:
        fill(library, 20)

        def fail(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(backups, "fsync_file", fail)
        with pytest.raises(OSError):
            library.backup_now()
    assert list(home.backups.iterdir()) == []


def test_a_restore_that_cannot_copy_moves_nothing(decided, monkeypatch):
    home, _ = decided
    before = digest(home.database)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backups.shutil, "copyfile", full)
    with pytest.raises(OSError):
        backups.restore(home)
    assert digest(home.database) == before  # the library stays where it was
    assert not list(home.root.glob(".*.part"))
    assert [b.label for b in backups.list_backups(home)] == ["auto"]
