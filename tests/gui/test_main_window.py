"""The main window over a real library in a temporary home, offscreen, with real clips:
import (and its report), per-video and bulk permissions, undo, the bulk opt-out, the empty
state, search and filter, remove, shortcuts, and state across restarts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QComboBox  # noqa: E402

from remix_desktop.gui.delegates import PermissionDelegate  # noqa: E402
from remix_desktop.gui.jobs import JobState  # noqa: E402
from remix_desktop.gui.library_model import (COL_DURATION, COL_EFFECTIVE, COL_NAME,  # noqa: E402
                                             COL_PERMISSION)
from remix_desktop.gui.main_window import EMPTY_PAGE, LIBRARY_PAGE  # noqa: E402
from tests import clips  # noqa: E402
from tests.conftest import GOOD_CLIPS  # noqa: E402
from tests.gui.windows import (NO, column, fill, filled, finish,  # noqa: E402,F401
                               open_window, permissions, questions, row_of, window)



# -- import and the empty state ------------------------------------------------------------

def test_empty_state_then_import_through_the_window_with_a_report(
        qtbot, window, good_clips, bad_dir, tmp_path):
    assert window.stack.currentIndex() == EMPTY_PAGE
    assert window.stack.currentWidget() is window.empty_page
    assert "0 videos" in window.counts_label.text()
    job = window.import_paths([good_clips, bad_dir / "zero.mp4", bad_dir / "notes.mp4",
                               bad_dir / "pipe.mp4", tmp_path / "gone.mp4"])
    assert window.import_flow.progress.isVisible(), "progress and Cancel show while it runs"
    with qtbot.waitSignal(job.signals.finished, timeout=30000) as done:
        pass
    report = done.args[0]
    assert len(report.imported) == len(GOOD_CLIPS)
    qtbot.waitUntil(lambda: not window.import_flow.progress.isVisible())
    assert window.stack.currentIndex() == LIBRARY_PAGE
    assert window.model.rowCount() == len(GOOD_CLIPS) == window.context.library.count()
    assert sorted(column(window, COL_NAME)) == sorted(Path(n).name for n in GOOD_CLIPS)
    assert f"{len(GOOD_CLIPS)} videos · 0 may be remixed" in window.counts_label.text()

    dialog = window.import_flow.last_dialog
    assert dialog is not None and dialog.isVisible()
    reasons = {Path(path).name: reason for path, reason in dialog.rows()}
    assert reasons == {
        "zero.mp4": "the file is empty (0 bytes)",
        "notes.mp4": "it is not a video: its contents are in no video format",
        "pipe.mp4": "it is not a regular file",
        "gone.mp4": "there is no such file or folder",
    }
    assert dialog.summary.text().startswith(f"Imported {len(GOOD_CLIPS)} videos;")
    assert "4 files not imported" in dialog.summary.text()

    again = window.import_paths([good_clips / "h264.mp4"])
    with qtbot.waitSignal(again.signals.finished, timeout=30000) as done:
        pass
    assert len(done.args[0].skipped) == 1 and window.model.rowCount() == len(GOOD_CLIPS)


def test_drag_and_drop_of_a_folder_imports_it(qtbot, window, good_clips):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good_clips / "My Clips é"))])
    where = QPointF(50, 50)
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(where.toPoint(), *args)  # QPoint here, QPointF for the drop
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted() and window.drop_overlay.isVisible()
    with qtbot.waitSignal(window.import_flow.imported, timeout=30000) as done:
        QApplication.sendEvent(window, QDropEvent(where, *args))
    assert not window.drop_overlay.isVisible()
    assert [Path(v.path).name for v in done.args[0].imported] == ["Café ☕ morning 🎬.mkv"]
    assert column(window, COL_NAME) == ["Café ☕ morning 🎬.mkv"]


def test_a_queued_import_can_be_cancelled_and_the_window_stays_usable(
        qtbot, window, good_clips):
    release = threading.Event()
    blockers = [window.context.jobs.run("block", lambda c: release.wait(10)) for _ in range(2)]
    job = window.import_paths([good_clips])  # the pool is busy: it waits its turn
    window.import_flow.progress.cancel_button.click()
    assert window.search.isEnabled()
    with qtbot.waitSignal(job.signals.cancelled, timeout=10000):
        release.set()
    assert job.state is JobState.CANCELLED
    assert window.context.library.count() == 0
    qtbot.waitUntil(lambda: all(b.state is JobState.FINISHED for b in blockers))
    assert "cancelled" in window.statusBar().currentMessage()


# -- permissions ---------------------------------------------------------------------------

def test_permission_through_the_delegate_writes_consent(qtbot, filled):
    window = filled
    row = row_of(window, "h264.mp4")
    index = window.proxy.index(row, COL_PERMISSION)
    delegate = window.table.itemDelegateForColumn(COL_PERMISSION)
    assert isinstance(delegate, PermissionDelegate)
    editor = delegate.createEditor(window.table.viewport(), None, index)
    delegate.setEditorData(editor, index)
    assert editor.currentData() == "default"
    editor.setCurrentIndex(editor.findData("allow"))
    with qtbot.waitSignal(window.context.consentChanged, timeout=1000):
        delegate.setModelData(editor, window.proxy, index)
    editor.deleteLater()
    video_id = window.proxy.video_id(row)
    assert window.context.library.video(video_id).permission == "allow"
    assert window.proxy.index(row, COL_PERMISSION).data() == "Allow"
    assert window.proxy.index(row, COL_EFFECTIVE).data() == "Allowed — your choice"
    assert "1 may be remixed" in window.counts_label.text()
    assert "h264.mp4" in window.last_message and "Allow" in window.last_message
    others = [p for i, p in permissions(window).items() if i != video_id]
    assert set(others) == {"default"}


def test_bulk_deny_on_a_selection_then_undo(qtbot, filled):
    window = filled
    ids = sorted(permissions(window))
    window.context.consent.set_permission(ids[:2], "allow")
    window.context.consentChanged.emit()
    chosen = ids[:3]
    window.select_ids(chosen)
    assert window.selected_ids() == chosen
    assert window.panel.video_id is None, "several videos: the panel shows none"
    job = window.set_permission_for_selection("deny")
    assert not window.deny_action.isEnabled(), "one consent change at a time"
    finish(qtbot, window, job)
    assert window.last_change.count == 3
    after = permissions(window)
    assert [after[i] for i in chosen] == ["deny"] * 3
    assert all(after[i] == "default" for i in ids[3:])
    assert window.last_message.startswith("Denied 3 videos.")
    assert window.selected_ids() == chosen, "the selection survives the change"
    for r in (window.proxy.proxy_row_of(i) for i in chosen):
        assert window.proxy.index(r, COL_EFFECTIVE).data() == "Denied — your choice"
    assert window.undo_action.isEnabled()

    window.undo_action.trigger()
    finish(qtbot, window, window.context.op)
    restored = permissions(window)
    assert [restored[i] for i in chosen] == ["allow", "allow", "default"]
    assert "Undone" in window.last_message and "3 videos" in window.last_message
    assert "2 may be remixed" in window.counts_label.text()
    window.undo_action.trigger()  # the allow before it
    finish(qtbot, window, window.context.op)
    assert not window.undo_action.isEnabled()
    window.undo_action.trigger()  # nothing left: disabled, nothing starts
    assert window.context.op is None
    assert set(permissions(window).values()) == {"default"}
    assert not window.undo_action.isEnabled()


def test_single_selection_goes_to_the_remix_panel(qtbot, filled):
    window = filled
    video_id = window.proxy.video_id(2)
    window.table.selectRow(2)
    assert window.selected_ids() == [video_id]
    assert window.panel.video_id == video_id
    window.table.clearSelection()
    assert window.panel.video_id is None


def test_bulk_optout_asks_with_the_count_and_keeps_choices(qtbot, filled, questions):
    asked, answers = questions
    window = filled
    ids = sorted(permissions(window))
    window.context.consent.set_permission(ids[:2], "allow")
    window.context.consent.set_permission(ids[2:3], "deny")
    window.context.consentChanged.emit()
    assert not window.banner.isVisible()

    answers.append(NO)
    window.optout_action.trigger()
    assert not window.optout_action.isChecked() and not window.context.consent.state().optout

    window.optout_action.trigger()  # answered Yes
    finish(qtbot, window, window.context.op)
    assert len(asked) == 2 and "This denies 2 videos" in asked[1][1]
    assert window.context.consent.state().optout and window.optout_action.isChecked()
    assert window.optout_switch.isChecked()
    assert window.banner.isVisible()
    assert window.banner.text == ("Bulk opt-out is on: no video may be remixed. "
                                  "Your per-video choices are kept.")
    assert set(column(window, COL_EFFECTIVE)) == {"Denied — bulk opt-out is on"}
    assert sorted(column(window, COL_PERMISSION)) == sorted(
        ["Allow", "Allow", "Deny"] + ["Default"] * (len(ids) - 3))
    assert "0 may be remixed" in window.counts_label.text()
    assert "bulk opt-out ON" in window.counts_label.text()

    window.optout_action.trigger()  # off: no question
    finish(qtbot, window, window.context.op)
    assert len(asked) == 2
    assert not window.context.consent.state().optout
    assert not window.banner.isVisible()
    assert column(window, COL_EFFECTIVE).count("Allowed — your choice") == 2
    assert "2 may be remixed" in window.counts_label.text()
    assert sorted(permissions(window).values()) == sorted(
        ["allow", "allow", "deny"] + ["default"] * (len(ids) - 3))


def test_search_and_permission_filter(qtbot, filled):
    window = filled
    window.context.consent.set_permission([window.proxy.video_id(row_of(window, "clip.mov"))],
                                          "allow")
    window.context.consentChanged.emit()
    window.search.setText("MP4")
    assert sorted(column(window, COL_NAME)) == ["h264.mp4", "opencv.mp4", "phone.mp4"]
    assert "3 of 7" in window.filter_note.text()
    window.search.clear()
    window.filter_combo.setCurrentIndex(window.filter_combo.findData("allowed"))
    assert column(window, COL_NAME) == ["clip.mov"]
    window.filter_combo.setCurrentIndex(window.filter_combo.findData("own:default"))
    assert len(column(window, COL_NAME)) == 6 and "clip.mov" not in column(window, COL_NAME)
    window.search.setText("nothing like this")
    assert window.proxy.rowCount() == 0 and window.filter_note.text() == "No videos match"


def test_remove_asks_and_never_touches_the_files(qtbot, filled, questions, good_clips):
    asked, answers = questions
    window = filled
    row = row_of(window, "vp9.webm")
    window.table.selectRow(row)
    answers.append(NO)
    assert window.remove_action.isEnabled() and window.remove_selected() == 0
    assert window.context.library.count() == len(GOOD_CLIPS)
    window.remove_action.trigger()
    assert "not touched" in asked[-1][1]
    finish(qtbot, window, window.remove_job)  # removed on a job (run_op), off the GUI thread
    assert window.context.library.count() == len(GOOD_CLIPS) - 1
    assert "vp9.webm" not in column(window, COL_NAME)
    assert (good_clips / "vp9.webm").is_file()
    assert window.remove_action.shortcut().toString() == "Del"


# -- shortcuts------------------------------------------------------------------------------

def test_actions_have_tooltips_and_shortcuts(window):
    actions = [a for a in window.findChildren(QAction) if a.text()]
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString() for a in actions}
    assert shortcuts["Import videos…"] == "Ctrl+I"
    assert shortcuts["Undo"] == "Ctrl+Z"
    assert shortcuts["Search"] == "Ctrl+F"
    assert shortcuts["Select all"] == "Ctrl+A"
    assert shortcuts["Bulk opt-out"] == "Ctrl+Shift+O"
    assert shortcuts["Settings…"] == "Ctrl+,"
    assert shortcuts["Remove from library…"] == "Del"
    assert window.remove_action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
    mine = [a for a in actions if a.parent() is window]
    assert len(mine) >= 15
    assert all(a.toolTip() and a.toolTip() != a.text() for a in mine)


# -- state across restarts -----------------------------------------------------------------

def test_geometry_columns_search_and_last_video_survive_a_restart(qtbot, home, good_clips):
    fill(home, [good_clips])
    first = open_window(qtbot, home)
    first.resize(1300, 700)
    header = first.table.horizontalHeader()
    header.resizeSection(COL_DURATION, 99)
    first.table.sortByColumn(COL_DURATION, Qt.SortOrder.DescendingOrder)
    first.search.setText("mp4")
    video_id = first.proxy.video_id(1)
    first.table.selectRow(1)
    first.close()
    with pytest.raises(Exception):
        first.context.library.count()  # closeEvent closed the context's connection

    second = open_window(qtbot, home)
    # the offscreen screen is 800 px wide: the width is fitted to it, the height is not
    assert second.height() == 700 and second.width() != 1360  # 1360 x 820 is the default
    header = second.table.horizontalHeader()
    assert header.sectionSize(COL_DURATION) == 99
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        COL_DURATION, Qt.SortOrder.DescendingOrder)
    durations = [second.model.row(r).duration_s for r in range(second.model.rowCount())]
    assert durations == sorted(durations, reverse=True)
    assert second.search.text() == "mp4"
    assert second.selected_ids() == [video_id]
    assert second.panel.video_id == video_id
    # the layout is the machine's (QSettings beside the library), not the library's: a
    # restored backup does not move the windows
    saved = second.context.window_settings()
    assert not saved.value("gui.splitter").isEmpty()
    assert second.context.library.setting("gui.splitter", "") == ""


def test_keyboard_shortcuts_act_on_the_library(qtbot, filled, questions):
    asked, answers = questions
    window = filled
    window.activateWindow()
    qtbot.waitActive(window)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.selected_ids()) == len(GOOD_CLIPS)
    qtbot.keyClick(window.table, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    finish(qtbot, window, window.context.op)
    assert set(permissions(window).values()) == {"allow"}
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    finish(qtbot, window, window.context.op)
    assert set(permissions(window).values()) == {"default"}
    answers.append(NO)
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert asked and asked[-1][0] == "Remove from the library?"
    assert window.context.library.count() == len(GOOD_CLIPS)
    window.search.setFocus()
    window.search.setText("abc")
    qtbot.keyClick(window.search, Qt.Key.Key_Delete)  # the search field keeps its keys
    assert len(asked) == 1
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()


def test_selection_and_scroll_survive_a_reload_with_new_videos(qtbot, home, tmp_path):
    from remix_desktop.core.library import NewVideo
    from remix_desktop.core.library import Library
    with Library(home) as library, library.write() as conn:
        for i in range(300):
            Library.insert_video(conn, NewVideo(f"/v/clip {i:03d}.mp4", f"fp{i}", 1, 0.0, 1.0,
                                                25.0, 320, 180, 0, "h264", face_share=0.0))
    window = open_window(qtbot, home)
    chosen = [window.proxy.video_id(r) for r in (150, 151, 152)]
    window.select_ids(chosen, chosen[0])
    window.table.scrollTo(window.proxy.index(150, 0),
                          window.table.ScrollHint.PositionAtTop)
    top_before = window.proxy.video_id(window.table.rowAt(0))
    new = clips.make_clip(tmp_path / "aaa first by name.mp4", seconds=1)
    job = window.import_paths([new])
    with qtbot.waitSignal(job.signals.finished, timeout=30000):
        pass
    assert window.model.rowCount() == 301
    assert window.proxy.index(0, COL_NAME).data() == "aaa first by name.mp4"  # rows moved
    assert window.selected_ids() == sorted(chosen)
    assert window.current_id() == chosen[0]
    assert window.proxy.video_id(window.table.rowAt(0)) == top_before


def test_one_click_on_the_badge_opens_the_choices(qtbot, filled):
    window = filled
    row = row_of(window, "clip.mov")
    index = window.proxy.index(row, COL_PERMISSION)
    window.table.scrollTo(index)
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    combo = window.table.viewport().findChild(QComboBox)
    assert combo is not None and combo.isVisible()
    assert [combo.itemData(i) for i in range(combo.count())] == ["allow", "deny", "default"]
    combo.setCurrentIndex(combo.findData("deny"))
    with qtbot.waitSignal(window.context.consentChanged, timeout=1000):
        combo.activated.emit(combo.currentIndex())
    assert window.context.library.video(window.proxy.video_id(row)).permission == "deny"
    assert window.proxy.index(row, COL_PERMISSION).data() == "Deny"
    qtbot.waitUntil(lambda: window.table.viewport().findChild(QComboBox) is None
                    or not window.table.viewport().findChild(QComboBox).isVisible())
