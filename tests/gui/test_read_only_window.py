"""A data home on a read-only file system: the window opens the library for reading, says so
at the top, and a change fails with that sentence instead of a crash or a 'damaged' alarm."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.library import Library  # noqa: E402
from tests.gui.windows import fill, open_window  # noqa: E402


@pytest.fixture
def read_only_home(tmp_path, good_clips):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    home = Home(disk / "home").ensure()
    fill(home, [good_clips / "h264.mp4", good_clips / "vp9.webm"])
    shutil.copytree(good_clips, disk / "clips")  # the videos stay readable, on the same disk
    try:
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)]).returncode == 0
        yield home
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_read_only_home_opens_for_looking_and_says_so(qtbot, read_only_home):
    window = open_window(qtbot, read_only_home)
    assert window.context.library.read_only
    assert window.read_only_notice.isVisible()
    assert "is read-only" in window.read_only_notice.text()
    assert window.model.rowCount() == 2
    window.select_ids([1])
    assert window.set_permission_for_selection("allow") is None
    assert "read-only" in window.statusBar().currentMessage()
    with Library(read_only_home) as library:
        assert library.read_only and library.video(1).permission == "default"


def test_a_writable_home_shows_no_notice(qtbot, home, good_clips):
    fill(home, [good_clips / "h264.mp4"])
    window = open_window(qtbot, home)
    assert not window.context.library.read_only
    assert window.read_only_notice.isHidden()
