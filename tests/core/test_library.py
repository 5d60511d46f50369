"""The SQLite library: schema, migrations with a backup, settings, two processes at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from remix_desktop.core import audit
from remix_desktop.core.errors import LibraryDamaged, LibraryError
from remix_desktop.core.home import Home, resolve_home
from remix_desktop.core.library import MIGRATIONS, SCHEMA_VERSION, Library, NewVideo


def test_fresh_library_is_at_the_latest_schema_in_wal_mode(library):
    assert library.schema_version == SCHEMA_VERSION
    assert library.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert library.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert library.setting("default_permission") == "deny"
    assert library.setting("optout") == "0"


def test_old_library_is_backed_up_then_migrated_keeping_its_videos(home):
    conn = sqlite3.connect(home.database)
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, width, "
                 "height, codec, permission, added_at) VALUES ('/v/a.mp4', 'fp', 1, 0, 2, 30, "
                 "640, 360, 'h264', 'allow', 'then')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Library(home) as library:
        assert library.schema_version == SCHEMA_VERSION
        assert library.video(1).permission == "allow"
        library.conn.execute("SELECT count(*) FROM previews").fetchone()
    [backup] = list(home.backups.iterdir())
    assert "before-migration-v1" in backup.name
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT path FROM videos").fetchall() == [("/v/a.mp4",)]


def test_a_library_from_a_newer_app_is_refused(home):
    conn = sqlite3.connect(home.database)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(LibraryError, match="newer Remix Desktop"):
        Library(home)


def test_a_file_that_is_not_a_database_gives_a_clear_error(home):
    home.database.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryDamaged, match="is damaged .file is not a database.; it has "
                       "been left as it is") as caught:
        Library(home)
    assert isinstance(caught.value, LibraryError)
    assert home.database.read_bytes() == b"this is not sqlite" * 100


def test_home_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("REMIX_DESKTOP_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "flag").root == tmp_path / "flag"
    assert resolve_home().root == tmp_path / "env"
    monkeypatch.delenv("REMIX_DESKTOP_HOME")
    assert "remix-desktop" in str(resolve_home().root)


def test_video_info_can_be_set(library):
    with library.write() as conn:
        vid = Library.insert_video(conn, NewVideo("/v/x.mp4", "fp", 1, 0, 1, 30, 64, 64, 0, "h264"))
    video = library.set_info(vid, title=" Sip ", description="Coffee", tags=["a", " b ", ""])
    assert (video.title, video.description, video.tags) == ("Sip", "Coffee", ("a", "b"))


WRITER = textwrap.dedent("""
    import sys
    from remix_desktop.core.home import Home
    from remix_desktop.core.library import Library
    from remix_desktop.core.consent import Consent
    with Library(Home(sys.argv[1])) as lib:
        consent = Consent(lib)
        for i in range(40):
            consent.set_permission([1 + i % 5], ("allow", "deny")[(i + int(sys.argv[2])) % 2])
""")


def test_two_processes_write_to_one_home_without_losing_a_change(home):
    with Library(home) as library:
        with library.write() as conn:
            for i in range(5):
                Library.insert_video(conn, NewVideo(f"/v/{i}.mp4", f"fp{i}", 1, 0, 1, 30, 64, 64,
                                                    0, "h264"))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(home.root), str(k)],
                              stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    with Library(home) as library:
        assert library.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        entries = audit.entries(library.conn)
        changed = library.conn.execute("SELECT count(*) FROM audit_changes").fetchone()[0]
        assert len(entries) == changed  # one audit row per real change, none half-written
        assert 40 <= len(entries) <= 80
