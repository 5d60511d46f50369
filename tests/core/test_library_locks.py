"""A window's live connection, its jobs' connections and CLI processes on one library.

On POSIX, closing any descriptor of a file drops every fcntl lock the process holds on it,
SQLite's included. Opening a second `Library` beside a live one (every window job does) must
therefore never `open()` the database file itself; otherwise the next CLI command believes it
is the last connection, deletes `-wal`/`-shm` under the live one, and decisions vanish.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from remix_desktop.core import audit
from remix_desktop.core.consent import Consent
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library, NewVideo


def cli(home: Home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(home.root),
                           *args], capture_output=True, text=True, timeout=120)


def add_videos(library: Library, n: int) -> list[int]:
    ids = []
    with library.write() as conn:
        for i in range(n):
            ids.append(Library.insert_video(conn, NewVideo(
                path=f"/videos/clip-{i}.mp4", fingerprint=f"fp-{i}", size=1000 + i,
                mtime=0.0, duration_s=2.0, fps=25.0, width=320, height=180, rotation=0,
                codec="h264")))
    return ids


def own_permissions(home: Home) -> dict[int, str]:
    result = cli(home, "list", "--json")
    assert result.returncode == 0, result.stderr
    return {v["id"]: v["permission"] for v in json.loads(result.stdout)}


def test_the_issue_reproduction_keeps_every_change_and_its_audit_row(home):
    window = Library(home)  # the window's own connection
    ids = add_videos(window, 3)
    Library(home).close()  # one job's connection, opened and closed beside it
    first = cli(home, "permission", "deny", str(ids[0]))
    assert first.returncode == 0, first.stderr
    Consent(window).set_permission([ids[1]], "deny")  # the window's change
    third = cli(home, "permission", "deny", str(ids[2]))
    assert third.returncode == 0, third.stderr
    window.close()

    assert own_permissions(home) == {i: "deny" for i in ids}
    with Library(home) as lib:
        scopes = [e.scope for e in audit.entries(lib.conn) if e.action == "permission"]
    assert sorted(scopes) == sorted(f"video {i}" for i in ids)


def test_window_with_jobs_and_cli_processes_at_the_same_time(home):
    """A live connection, jobs opening and closing their own connections on threads, and CLI
    processes changing permissions meanwhile: every change and its audit row survive."""
    window = Library(home)
    ids = add_videos(window, 12)
    stop = threading.Event()
    errors: list[BaseException] = []

    def jobs() -> None:  # what the window's background jobs do, over and over
        try:
            while not stop.is_set():
                with Library(home) as job:
                    job.count()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    runner = threading.Thread(target=jobs)
    runner.start()
    consent = Consent(window)
    try:
        for n, video_id in enumerate(ids):
            if n % 2:
                consent.set_permission([video_id], "allow")
            else:
                result = cli(home, "permission", "deny", str(video_id))
                assert result.returncode == 0, result.stderr
            Library(home).close()
    finally:
        stop.set()
        runner.join()
    assert not errors
    seen_by_window = {v.id: v.permission for v in window.videos()}
    window.close()
    expected = {v: ("allow" if n % 2 else "deny") for n, v in enumerate(ids)}
    assert seen_by_window == expected
    assert own_permissions(home) == expected
    with Library(home) as lib:
        rows = [e for e in audit.entries(lib.conn) if e.action == "permission"]
    assert sorted(e.scope for e in rows) == sorted(f"video {i}" for i in ids)


def test_a_damaged_header_is_still_refused_untouched(home):
    home.database.write_bytes(b"this is not a database at all, not even close" * 10)
    before = home.database.read_bytes()
    import pytest

    from remix_desktop.core.errors import LibraryDamaged

    with pytest.raises(LibraryDamaged):
        Library(home)
    assert home.database.read_bytes() == before


def test_undo_of_a_named_change_refuses_when_a_newer_one_is_in_the_way(home):
    import pytest as _pytest

    from remix_desktop.core.errors import UndoConflict

    window = Library(home)
    ids = add_videos(window, 6)
    consent = Consent(window)
    mine = consent.set_permission([ids[4]], "deny")  # the window's Undo is labelled for this
    assert cli(home, "permission", "deny", str(ids[2])).returncode == 0  # the CLI, since
    with _pytest.raises(UndoConflict) as caught:
        consent.undo(expected=mine.audit_id)
    assert "A newer change is in the way" in str(caught.value)
    assert {v.id: v.permission for v in window.videos()}[ids[2]] == "deny"  # nothing undone
    assert {v.id: v.permission for v in window.videos()}[ids[4]] == "deny"
    newest = consent.next_undo()
    consent.undo(expected=newest.id)  # the CLI's change, named: undone
    consent.undo(expected=mine.audit_id)  # now the window's
    assert {v.id: v.permission for v in window.videos()}[ids[4]] == "default"
    with _pytest.raises(UndoConflict, match="already undone"):
        consent.undo(expected=mine.audit_id)
    window.close()


def test_data_version_moves_when_another_process_commits(home):
    window = Library(home)
    ids = add_videos(window, 2)
    before = window.data_version()
    assert window.data_version() == before  # nothing happened
    Consent(window).set_permission([ids[0]], "deny")
    assert window.data_version() == before  # its own commits do not move it
    assert cli(home, "permission", "deny", str(ids[1])).returncode == 0
    assert window.data_version() != before
    window.close()
