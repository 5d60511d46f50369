"""Bulk consent changes and listing over 100,000 videos, against naive baselines run here.

    .venv/bin/python benchmarks/bench_consent.py [--videos N]

Baselines, in the same process on the same database:
- per-row bulk change: one UPDATE and one audit_changes INSERT per video (executemany), in
  one transaction: what a straightforward loop over the selection costs;
- raw listing: a bare `SELECT * FROM videos` fetched by sqlite3, no model objects, no
  effective permission: the floor under `list`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core.consent import ALL, Consent  # noqa: E402
from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.library import Library  # noqa: E402


def fill(library: Library, n: int) -> None:
    with library.write() as conn:
        conn.executemany(
            "INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, width, height, "
            "codec, added_at, face_share) VALUES (?, ?, 1000, 0, 12.5, 30, 1080, 1920, 'h264', "
            "'now', 0)",
            ((f"/videos/clip {i:06d}.mp4", f"fp{i}") for i in range(n)))


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def naive_bulk(library: Library, ids: list[int], value: str) -> None:
    with library.write() as conn:
        cur = conn.execute("INSERT INTO audit(at, action, scope, old, new, count, undoable) "
                           "VALUES ('now', 'permission', 'naive', '-', ?, ?, 1)",
                           (value, len(ids)))
        audit_id = cur.lastrowid
        olds = conn.execute("SELECT id, permission FROM videos").fetchall()
        conn.executemany("INSERT INTO audit_changes(audit_id, video_id, old) VALUES (?, ?, ?)",
                         ((audit_id, vid, old) for vid, old in olds))
        conn.executemany("UPDATE videos SET permission = ? WHERE id = ?",
                         ((value, vid) for vid in ids))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=100_000)
    args = parser.parse_args()
    n = args.videos
    root = Path(tempfile.mkdtemp(prefix="bench-consent-"))
    home = Home(root).ensure()
    rows = []
    with Library(home) as library:
        fill(library, n)
        consent = Consent(library)
        ids = [r[0] for r in library.conn.execute("SELECT id FROM videos")]
        flip = iter(["allow", "deny"] * 10)
        t_all = timed(lambda: consent.set_permission(ALL, next(flip)))
        half = ids[: n // 2]
        flip_sel = iter(["allow", "deny"] * 10)
        t_sel = timed(lambda: consent.set_permission(half, next(flip_sel)))
        t_undo = timed(consent.undo)
        switch = iter([True, False] * 10)
        t_opt = timed(lambda: consent.set_optout(next(switch)), repeat=4)
        flip_naive = iter(["allow", "deny"] * 10)
        t_naive = timed(lambda: naive_bulk(library, ids, next(flip_naive)))
        state = consent.state()
        t_list = timed(lambda: [consent.verdict(v, state) for v in library.videos()])
        t_raw = timed(lambda: library.conn.execute("SELECT * FROM videos").fetchall())
    env = {**os.environ, "REMIX_DESKTOP_HOME": str(root)}
    cmd = [sys.executable, "-m", "remix_desktop", "list", "--json"]

    outputs = []

    def run_cli():
        outputs.append(subprocess.run(cmd, env=env, capture_output=True, check=True).stdout)

    t_cli = timed(run_cli, repeat=2)
    assert len(json.loads(outputs[-1])) == n
    # The file state `list` shows for each video (missing, unreadable, changed), over real
    # files, against a bare os.stat of each path.
    from remix_desktop.core.library import Video
    from remix_desktop.core.video_files import quick_states

    files = root / "files"
    files.mkdir()
    videos = []
    for i in range(n):
        path = files / f"clip {i:06d}.mp4"
        path.touch()
        videos.append(Video(i, str(path), f"fp{i}", 0, 0.0, 1, 30, 64, 64, 0, "h264", "", "",
                            (), None, "default", "now"))
    t_states = timed(lambda: quick_states(videos))
    t_stat = timed(lambda: [os.stat(v.path) for v in videos])
    rows = [
        (f"bulk deny/allow, all {n:,} videos", t_all, t_naive),
        (f"bulk change, selection of {len(half):,}", t_sel, t_naive),
        (f"undo last bulk change ({len(half):,})", t_undo, t_naive),
        (f"bulk opt-out on/off ({n:,})", t_opt, t_naive),
        (f"list in process, {n:,} with effective", t_list, t_raw),
        (f"`remix-desktop list --json`, {n:,}", t_cli, t_raw),
        (f"file states of {n:,} real files", t_states, t_stat),
    ]
    print(f"{'operation':44} {'app':>10} {'baseline':>10} {'ratio':>7}")
    for name, ours, base in rows:
        print(f"{name:44} {ours * 1000:>8.1f}ms {base * 1000:>8.1f}ms {base / ours:>6.2f}x")
    print("baseline: per-row executemany for bulk rows; bare SELECT * fetch for list rows; "
          "bare os.stat per path for file states; "
          "ratio = baseline / app (above 1: the app is faster)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
