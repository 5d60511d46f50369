"""Helpers for the window tests: a MainWindow over a temporary home, answers for
QMessageBox.question, and readers for what the list shows. Import the fixtures into a test
module to use them."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from remix_desktop.core.importer import run_import
from remix_desktop.core.library import Library
from remix_desktop.gui.context import AppContext
from remix_desktop.gui.library_model import COL_NAME
from remix_desktop.gui.main_window import MainWindow

YES, NO = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


def open_window(qtbot, home) -> MainWindow:
    window = MainWindow(AppContext(home))
    qtbot.addWidget(window)  # closed at the end: closeEvent saves state, closes the context
    window.show()
    qtbot.waitExposed(window)
    return window


def fill(home, paths) -> None:
    with Library(home) as library:
        run_import(library, paths)


@pytest.fixture
def window(qtbot, home):
    return open_window(qtbot, home)


@pytest.fixture
def filled(qtbot, home, good_clips):
    """A window over a library that already holds the good clips."""
    fill(home, [good_clips])
    return open_window(qtbot, home)


@pytest.fixture
def questions(monkeypatch):
    """QMessageBox.question answers Yes, or the next of `answers`; `asked` records
    (title, text) of each question."""
    asked, answers = [], []

    def question(parent, title, text, *args, **kwargs):
        asked.append((title, text))
        return answers.pop(0) if answers else YES

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked, answers


def column(window, col):
    return [window.proxy.index(r, col).data() for r in range(window.proxy.rowCount())]


def row_of(window, name):
    return column(window, COL_NAME).index(name)


def permissions(window):
    return {v.id: v.permission for v in window.context.library.videos()}



def finish(qtbot, window, job, timeout: int = 15_000):
    """Wait until a consent change the window started on a job has been written and shown
    (the context clears its op when the result or failure has reached the views)."""
    assert job is not None, "the command started no job"
    qtbot.waitUntil(lambda: window.context.op is not job, timeout=timeout)
    # an op that is not exclusive (not a consent change) is done when its job is, and its
    # result has reached the views once the events it posted are handled
    assert window.context.jobs.wait(timeout)
    return job
