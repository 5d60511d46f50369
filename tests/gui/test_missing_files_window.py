"""The library window for videos whose file moved: greyed rows that say so, a count in the
status bar, Locate… for one video and File > Locate moved videos… for a folder."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core.video_files import FileState  # noqa: E402
from remix_desktop.gui.library_model import COL_EFFECTIVE, COL_NAME, FileStateRole  # noqa: E402
from tests.gui.windows import fill, open_window  # noqa: E402

TIMEOUT = 30_000


def state_of(window, video_id):
    row = window.proxy.proxy_row_of(video_id)
    return window.proxy.index(row, COL_NAME).data(FileStateRole)


@pytest.fixture
def moved(qtbot, home, good_clips, tmp_path):
    fill(home, [good_clips / "h264.mp4", good_clips / "mpeg4.avi", good_clips / "clip.mov"])
    drive = tmp_path / "drive"
    drive.mkdir()
    shutil.move(good_clips / "h264.mp4", drive / "renamed.mp4")
    shutil.move(good_clips / "clip.mov", drive / "clip.mov")
    window = open_window(qtbot, home)
    qtbot.waitUntil(lambda: window.files_label.isVisible(), timeout=TIMEOUT)
    return window, drive


def test_missing_files_are_greyed_said_and_counted(moved):
    window, drive = moved
    videos = {v.name: v for v in window.context.library.videos()}
    missing = videos["h264.mp4"].id
    assert state_of(window, missing) == FileState.MISSING
    assert state_of(window, videos["mpeg4.avi"].id) is None
    row = window.proxy.proxy_row_of(missing)
    assert window.proxy.index(row, COL_EFFECTIVE).data(FileStateRole) == "missing"
    tip = window.proxy.index(row, COL_NAME).data(0x03)  # ToolTipRole
    assert "is missing" in tip and "Locate…" in tip
    assert window.files_label.text() == "2 missing files ·"
    assert window.locate_action.isEnabled()


def test_locate_one_video_by_its_new_file(qtbot, moved):
    window, drive = moved
    video = next(v for v in window.context.library.videos() if v.name == "h264.mp4")
    window.locate_video(video.id, str(drive / "renamed.mp4"))
    qtbot.waitUntil(lambda: state_of(window, video.id) is None, timeout=TIMEOUT)
    assert window.context.library.video(video.id).path == str(drive / "renamed.mp4")
    qtbot.waitUntil(lambda: window.files_label.text() == "1 missing file ·", timeout=TIMEOUT)
    assert "Found renamed.mp4" in window.last_message


def test_locate_a_folder_finds_every_moved_video(qtbot, moved):
    window, drive = moved
    job = window.locate_folder(str(drive))
    qtbot.waitUntil(lambda: not window.files_label.isVisible(), timeout=TIMEOUT)
    assert job is not None
    assert "Found 2 of 2 missing videos" in window.last_message
    assert not window.locate_action.isEnabled()
    assert all(state_of(window, v.id) is None for v in window.context.library.videos())
