"""A child process killed with SIGKILL in the middle of a bulk change over 50,000 videos
leaves a valid library in which all or none of the change happened, and the audit agrees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from remix_desktop.core import audit
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library

VIDEOS = 50_000

CHILD = textwrap.dedent("""
    import sys
    from remix_desktop.core.home import Home
    from remix_desktop.core.library import Library
    from remix_desktop.core.consent import ALL, Consent
    with Library(Home(sys.argv[1])) as lib:
        consent = Consent(lib)
        for n in range(1, 1000):
            print(f"begin {n}", flush=True)
            consent.set_permission(ALL, ("allow", "deny")[n % 2])
            print(f"commit {n}", flush=True)
""")


def fill(home: Home) -> None:
    with Library(home) as library, library.write() as conn:
        conn.executemany(
            "INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, width, height, "
            "codec, added_at) VALUES (?, ?, 1, 0, 1, 30, 64, 64, 'h264', 'now')",
            ((f"/videos/{i}.mp4", f"fp{i}") for i in range(VIDEOS)))


@pytest.mark.slow
@pytest.mark.parametrize("delay_ms", [5, 25, 60, 120])
def test_sigkill_during_bulk_change_leaves_all_or_nothing(tmp_path, delay_ms):
    home = Home(tmp_path / "home").ensure()
    fill(home)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home.root)],
                             stdout=subprocess.PIPE, text=True)
    committed = 0
    for line in child.stdout:
        kind, n = line.split()
        if kind == "commit":
            committed = int(n)
        elif int(n) == 3:  # the third change has begun: let it run a little, then kill
            time.sleep(delay_ms / 1000)
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert committed == 2

    with Library(home) as library:
        conn = library.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        values = dict(conn.execute("SELECT permission, count(*) FROM videos GROUP BY 1"))
        assert len(values) == 1 and sum(values.values()) == VIDEOS, "half a change survived"
        [state] = values
        changes = [e for e in audit.entries(conn) if e.action == "permission"]
        assert len(changes) in (2, 3)  # the third is all there or not at all
        assert changes[0].new == state == ("allow", "deny")[len(changes) % 2]
        assert all(e.count == VIDEOS for e in changes)
        per_change = dict(conn.execute(
            "SELECT audit_id, count(*) FROM audit_changes GROUP BY audit_id"))
        assert per_change == {e.id: VIDEOS for e in changes}
