"""What keeping the creator's decisions safe costs, on a library of 100,000 videos:

- opening with SQLite's quick check (the window does it at every start) against a plain open;
- the daily backup (quick check + SQLite's online backup + fsync + rename) against a plain
  file copy of the same database (which would not be consistent while the app writes);
- a restore (move the old file aside, copy the backup in, fsync) and reopening with a check.

Prints medians of 5 runs and the ratios.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_consent import fill  # noqa: E402
from remix_desktop.core import backups  # noqa: E402
from remix_desktop.core.consent import Consent  # noqa: E402
from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.library import Library  # noqa: E402

N = 100_000
REPEAT = 5


def median_s(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    home = Home(root / "home").ensure()
    with Library(home) as library:
        fill(library, N)
        Consent(library).set_permission(list(range(1, N // 2)), "deny")
        library.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size_mb = home.database.stat().st_size / 1e6
    print(f"library of {N:,} videos: {size_mb:.1f} MB")

    plain = median_s(lambda: Library(home).close())
    checked = median_s(lambda: Library(home, check=True).close())
    print(f"open: plain {plain * 1000:.1f} ms, with quick_check {checked * 1000:.1f} ms "
          f"(+{(checked - plain) * 1000:.1f} ms)")

    library = Library(home)
    made: list[Path] = []

    def daily() -> None:
        made.append(library.auto_backup(now=time.time() + 10 * backups.AUTO_EVERY_S * (
            len(made) + 1), keep=100))

    backup = median_s(daily)
    copy_target = root / "copy.db"
    copy = median_s(lambda: shutil.copyfile(home.database, copy_target))
    library.close()
    print(f"daily backup (check + online backup + fsync + rename): {backup * 1000:.1f} ms; "
          f"plain file copy {copy * 1000:.1f} ms ({backup / copy:.1f}x)")

    listing = median_s(lambda: backups.list_backups(home))
    print(f"list and check {len(made)} backups: {listing * 1000:.1f} ms")

    def restore_and_open() -> None:
        backups.restore(home, made[-1])
        Library(home, check=True).close()

    restore = median_s(restore_and_open)
    print(f"restore + reopen with check: {restore * 1000:.1f} ms")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
