"""The window's speed: start to shown, a 10,000-video library, the longest stall of the
event loop while an import and caption generation run in the background, and the largest
event-loop gap while the creator works on a 100,000-video library (select all, Deny, Allow,
Undo, the bulk opt-out on and off, typing a search, a report of a million rejected files).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--clips 200]
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py --only big [--videos N]

Baselines in the same run: a bare PySide6 window (a QMainWindow with a QTableWidget of the
same rows) for start-up and the 10,000 rows; the stall is measured with a 5 ms QTimer whose
late ticks are recorded (a tick later than 5 ms + stall means the GUI thread was blocked).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

START_APP = """
import sys, time, json
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from remix_desktop.gui.app import make_app
from remix_desktop.gui.context import AppContext
from remix_desktop.gui.main_window import MainWindow
from remix_desktop.core.home import Home
app = make_app()
context = AppContext(Home(sys.argv[2]).ensure())
window = MainWindow(context)
window.show()
def shown():
    app.processEvents()
    print(json.dumps({"shown_s": time.time() - t0, "rows": window.model.rowCount()}))
    window.close()
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""

START_BARE = """
import sys, time, json, sqlite3
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableWidget, QTableWidgetItem
app = QApplication(sys.argv[:1])
window = QMainWindow()
rows = sqlite3.connect(sys.argv[2] + "/library.db").execute(
    "SELECT path, duration_s, width, height, permission FROM videos").fetchall()
table = QTableWidget(len(rows), 5)
for r, row in enumerate(rows):
    for c, value in enumerate(row):
        table.setItem(r, c, QTableWidgetItem(str(value)))
window.setCentralWidget(table)
window.resize(1280, 800)
window.show()
def shown():
    app.processEvents()
    print(json.dumps({"shown_s": time.time() - t0, "rows": table.rowCount()}), flush=True)
    import os
    os._exit(0)  # measured; skip tearing down 50,000 items
QTimer.singleShot(0, shown)
app.exec()
"""


def spawn(code: str, home: Path, repeat: int = 3) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", code, repr(t0), str(home)],
                             capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
        data = json.loads(out.strip().splitlines()[-1])
        best, rows = min(best, data["shown_s"]), data["rows"]
    return best, rows


def fill(home: Path, n: int) -> None:
    from remix_desktop.core.home import Home
    from remix_desktop.core.library import Library

    with Library(Home(home).ensure()) as library, library.write() as conn:
        conn.executemany(
            "INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, width, height, "
            "codec, added_at, face_share) VALUES (?, ?, 1, 0, 12.5, 30, 1080, 1920, 'h264', "
            "'now', 0)",
            ((f"/videos/clip {i:05d}.mp4", f"fp{i}") for i in range(n)))


class StallMeter:
    """A 5 ms timer; the longest gap between its ticks, less 5 ms, is the longest stall."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.gaps: list[float] = []

    def start(self):
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        worst = max(self.gaps, default=0.0) - 0.005
        late = sum(g > 0.055 for g in self.gaps)
        return {"longest_stall_ms": round(max(worst, 0.0) * 1000, 1), "ticks": len(self.gaps),
                "ticks_over_50ms_late": late}

    def _tick(self):
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now


def stalls(clips: list[Path]) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from remix_desktop.core.home import Home
    from remix_desktop.gui.app import make_app
    from remix_desktop.gui.context import AppContext
    from remix_desktop.gui.main_window import MainWindow

    app = make_app()
    home = Home(Path(tempfile.mkdtemp(prefix="bench-gui-stall-"))).ensure()
    context = AppContext(home)
    window = MainWindow(context)
    window.resize(1400, 900)
    window.show()
    app.processEvents()

    def wait_for(signal_owner, timeout_s: float) -> float:
        loop = QEventLoop()
        for sig in signal_owner:
            sig.connect(loop.quit)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        start = time.perf_counter()
        loop.exec()
        return time.perf_counter() - start

    results = {}
    meter = StallMeter()
    meter.start()
    job = window.import_paths([str(c) for c in clips])
    took = wait_for([job.signals.finished, job.signals.failed], 600)
    results["import"] = {**meter.stop(), "seconds": round(took, 2),
                         "videos": window.model.rowCount()}
    for dialog in app.topLevelWidgets():  # the import report, if it opened
        if dialog is not window and dialog.isVisible():
            dialog.close()

    video_id = context.library.videos()[0].id
    context.consent.set_permission([video_id], "allow")
    context.consentChanged.emit()
    panel = window.panel
    panel.set_video(video_id)
    app.processEvents()
    meter = StallMeter()
    meter.start()
    job = panel.write_captions()
    took = wait_for([job.signals.finished, job.signals.failed], 600)
    results["captions"] = {**meter.stop(), "seconds": round(took, 2)}
    window.close()
    return results


class GapMeter:
    """A 10 ms timer; the largest gap between two of its ticks while an action runs (a gap of
    10 ms means the event loop never waited; the goal is no gap over 100 ms)."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.largest = 0.0

    def start(self) -> None:
        self.last, self.largest = time.perf_counter(), 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.largest = max(self.largest, now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        self._tick()  # the gap up to now counts too
        return self.largest * 1000


def spin(ms: int) -> None:
    """Run the event loop for `ms` milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def spin_until(done, timeout_s: float = 120.0) -> bool:
    """Run the event loop until `done()` (checked every 5 ms) or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return True
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(5)
    check.timeout.connect(lambda: done() and loop.quit())
    check.start()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    check.stop()
    return done()


def big_library(n: int) -> list[tuple[str, float, float]]:
    """A window over `n` videos; each action runs with the event loop turning until its
    result shows, then 300 ms more (the repaints). Returns (action, largest gap ms, s)."""
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QMessageBox

    from remix_desktop.core.errors import Rejection
    from remix_desktop.core.home import Home
    from remix_desktop.gui.app import make_app
    from remix_desktop.gui.context import AppContext
    from remix_desktop.gui.dialogs import ImportReportDialog
    from remix_desktop.gui.main_window import MainWindow

    app = make_app()
    root = Path(tempfile.mkdtemp(prefix="bench-gui-100k-"))
    fill(root, n)
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)
    context = AppContext(Home(root).ensure())
    window = MainWindow(context)
    window.resize(1400, 900)
    window.show()
    spin(500)
    model, last = window.model, n - 1
    results = []

    def measure(name: str, action, done) -> None:
        meter = GapMeter()
        meter.start()
        start = time.perf_counter()
        action()
        ok = spin_until(done)
        took = time.perf_counter() - start
        spin(300)
        results.append((name if ok else name + " (timed out)", meter.stop(), took))

    def own(permission):
        return lambda: (model.permission(0) == permission
                        and model.permission(last) == permission)

    def optout(on):
        return lambda: model.state.optout == on and window.banner.isVisible() == on

    measure("select all", window.select_all_action.trigger,
            lambda: len(window.table.selectionModel().selection()) > 0)
    measure("Deny on all selected", window.deny_action.trigger, own("deny"))
    measure("Allow on all selected", window.allow_action.trigger, own("allow"))
    measure("bulk opt-out on", lambda: window.set_optout(True), optout(True))
    measure("bulk opt-out off", lambda: window.set_optout(False), optout(False))
    measure("Undo (the opt-out back on)", window.undo_action.trigger, optout(True))
    measure("bulk opt-out off (for the next two)", lambda: window.set_optout(False),
            optout(False))
    # the baseline, in the same run: the same bulk Deny over every video written on the GUI
    # thread (as before run_op), then shown, against the window's own (run_op: on a job)
    from remix_desktop.core.consent import ALL

    def deny_on_gui_thread():
        context.consent.set_permission(ALL, "deny")
        context.consentChanged.emit()

    measure("Deny all, written on the GUI thread (baseline)", deny_on_gui_thread, own("deny"))
    measure("Allow all through run_op (the window's way)",
            lambda: context.run_op("allow all", lambda library, _c: __import__(
                "remix_desktop.core.ops", fromlist=["x"]).set_permission(library, ALL, "allow"),
                exclusive=True), own("allow"))

    def type_search():
        window.search.setFocus()
        for ch in "clip 1234":
            QTest.keyClicks(window.search, ch)
            spin(120)  # a quick typist: the event loop runs between keystrokes

    measure("typing 9 characters into search", type_search,
            lambda: window.proxy.rowCount() == 10)
    measure("clearing the search", window.search.clear,
            lambda: window.proxy.rowCount() == n)

    rejected = [Rejection(f"/junk/file {i:07d}.txt", "it is not a video") for i in range(1_000_000)]
    report = type("Report", (), {"imported": [], "relinked": [], "skipped": [],
                                 "rejected": rejected, "cancelled": False})()
    dialogs = []
    measure("import report of 1,000,000 rejected files",
            lambda: dialogs.append(ImportReportDialog(report, window)) or dialogs[0].open(),
            lambda: bool(dialogs) and dialogs[0].isVisible())
    dialogs[0].close()
    window.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--only", choices=("all", "big"), default="all")
    args = parser.parse_args()
    if args.only == "big":
        print_big(args.videos)
        return
    empty = Path(tempfile.mkdtemp(prefix="bench-gui-empty-"))
    fill(empty, 0)
    big = Path(tempfile.mkdtemp(prefix="bench-gui-10k-"))
    fill(big, 10_000)
    app_empty, _ = spawn(START_APP, empty)
    bare_empty, _ = spawn(START_BARE, empty)
    app_big, rows = spawn(START_APP, big)
    bare_big, _ = spawn(START_BARE, big)
    assert rows == 10_000, rows
    print(f"{'window':44} {'app':>9} {'bare Qt':>9} {'ratio':>7}")
    print(f"{'process start to shown window, empty':44} {app_empty:>8.2f}s {bare_empty:>8.2f}s "
          f"{bare_empty / app_empty:>6.2f}x")
    print(f"{'process start to shown, 10,000 videos':44} {app_big:>8.2f}s {bare_big:>8.2f}s "
          f"{bare_big / app_big:>6.2f}x")

    from bench_import import make_clips  # the same 200 clips as the import benchmark

    clips = make_clips(Path(tempfile.gettempdir()) / "remix-bench-clips", args.clips)
    results = stalls(clips)
    for name, data in results.items():
        print(f"longest event-loop stall during {name:9} {data['longest_stall_ms']:>7.1f} ms "
              f"({data['ticks']} ticks, {data['ticks_over_50ms_late']} over 50 ms late; "
              f"the job took {data['seconds']} s)")
    print_big(args.videos)


# The same script run on the window before issue 10's item 7 (commit e9fc9e2), 100,000
# videos, on the 2-core machine the figures below it were measured on (load average ~2):
# the largest gap in ms. Printed beside today's figures for comparison.
BEFORE_MS = {
    "select all": 5350, "Deny on all selected": 2060, "Allow on all selected": 1751,
    "bulk opt-out on": 6379, "bulk opt-out off": 5659, "Undo (the opt-out back on)": 5455,
    "typing 9 characters into search": 976, "clearing the search": 237,
    "import report of 1,000,000 rejected files": 56547,
}


def print_big(n: int) -> None:
    print(f"\nlargest event-loop gap (10 ms timer) at {n:,} videos; goal: none over 100 ms")
    print(f"{'action':44} {'now':>8}    {'before (e9fc9e2)':>16}")
    for name, gap, took in big_library(n):
        before = BEFORE_MS.get(name)
        then = f"{before:>13} ms" if before is not None and n == 100_000 else ""
        print(f"{name:44} {gap:>5.0f} ms   {then:>16}   (done after {took:.2f} s)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
