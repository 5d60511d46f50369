"""The window over a real library, offscreen."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core.consent import Consent  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.gui.app import MainWindow  # noqa: E402


def test_empty_library_explains_itself(qtbot, library):
    window = MainWindow(library)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "library is empty" in window.status_label.text()


def test_window_shows_counts_and_the_optout(qtbot, library, good_clips):
    run_import(library, [good_clips / "h264.mp4", good_clips / "clip.mov"])
    consent = Consent(library)
    consent.set_permission([1], "allow")
    window = MainWindow(library)
    qtbot.addWidget(window)
    assert "2 videos in your library; 1 may be remixed" in window.status_label.text()
    consent.set_optout(True)
    window.refresh()
    assert "Bulk opt-out is ON" in window.status_label.text()
    assert "0 may be remixed" in window.status_label.text()
