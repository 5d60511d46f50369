"""The job adapter: results, failures and cancels arrive as signals on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QThread  # noqa: E402

from remix_desktop.core.errors import UsageError  # noqa: E402
from remix_desktop.gui.jobs import JobRunner, JobState  # noqa: E402


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    r.cancel_all()
    r.wait()


def test_result_and_progress_arrive_on_the_gui_thread(qtbot, runner):
    seen = []

    def work(control):
        for i in range(3):
            control.progress(i + 1, 3, "step")
        return threading.get_ident()

    main = QThread.currentThread()
    job = runner.run("count", work, progress=lambda d, t, m: seen.append(
        (d, QThread.currentThread() is main)))
    with qtbot.waitSignal(job.signals.finished, timeout=5000) as blocker:
        pass
    assert blocker.args[0] != threading.get_ident(), "the work ran on a pool thread"
    qtbot.waitUntil(lambda: len(seen) == 3)
    assert seen == [(1, True), (2, True), (3, True)]
    assert job.state is JobState.FINISHED and runner.active() == 0


def test_failure_is_one_sentence(qtbot, runner):
    def work(control):
        raise UsageError("There is no video with id 5")

    job = runner.run("fail", work)
    with qtbot.waitSignal(job.signals.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["There is no video with id 5."]


def test_cancel_interrupts_a_running_job_and_drops_a_queued_one(qtbot, runner):
    runner.pool.setMaxThreadCount(1)
    interrupted = threading.Event()

    def slow(control):
        control.on_cancel(interrupted.set)
        while not control.cancelled():
            time.sleep(0.01)

    first = runner.run("slow", slow)
    second = runner.run("never", lambda control: pytest.fail("a dropped job ran"))
    qtbot.waitUntil(lambda: first.state is JobState.RUNNING)
    with qtbot.waitSignals([first.signals.cancelled, second.signals.cancelled], timeout=5000):
        second.cancel()
        first.cancel()
    assert interrupted.is_set()
    assert first.state is JobState.CANCELLED and second.state is JobState.CANCELLED


def test_the_qt_binding_keeps_its_references(qtbot):
    """PySide6 6.12.0 dropped a reference to None on every call returning nothing, so a
    window crashed after a few thousand repaints; the version pinned must not."""
    import sys

    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(5000):
        label.setText("x")
    assert abs(sys.getrefcount(None) - before) < 100
