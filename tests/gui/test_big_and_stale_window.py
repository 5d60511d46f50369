"""The window with other processes and with big libraries: changes made by the command line
while the window is open show within seconds; Undo undoes only the change it is labelled
with; Settings writes back only what the creator changed in it; consent changes are written
on a job, one at a time; select-all does not ask for the flags of every cell; a big
library's search filters after a pause; an import report lists at most 1,000 files."""

from __future__ import annotations

import csv
import subprocess
import sys
import threading

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication  # noqa: E402

from remix_desktop.core import audit  # noqa: E402
from remix_desktop.core.consent import Consent  # noqa: E402
from remix_desktop.core.errors import Rejection  # noqa: E402
from remix_desktop.gui import library_model, main_window  # noqa: E402
from remix_desktop.gui.dialogs import (SHOWN_REJECTIONS, ImportReportDialog,  # noqa: E402
                                       SettingsDialog)
from remix_desktop.gui.library_model import COL_PERMISSION  # noqa: E402
from tests.conftest import GOOD_CLIPS  # noqa: E402
from tests.gui.windows import (column, fill, filled, finish, open_window,  # noqa: E402,F401
                               permissions)


def cli(home, *args: str) -> str:
    root = str(getattr(home, "root", home))
    result = subprocess.run([sys.executable, "-m", "remix_desktop", "--home", root, *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- other processes ---------------------------------------------------------------------

def test_the_window_shows_what_the_command_line_changed(qtbot, home, good_clips):
    fill(home, [good_clips])
    window = open_window(qtbot, home)
    ids = sorted(permissions(window))
    target = ids[2]
    row = window.proxy.proxy_row_of(target)
    assert window.proxy.index(row, COL_PERMISSION).data() == "Default"
    assert not window.undo_action.isEnabled()

    cli(home, "permission", "allow", str(target))
    qtbot.waitUntil(lambda: window.proxy.index(row, COL_PERMISSION).data() == "Allow",
                    timeout=10_000)
    assert f"{len(GOOD_CLIPS)} videos · 1 may be remixed" in window.counts_label.text()
    assert window.undo_action.isEnabled()
    assert f"video {target}" in window.undo_action.toolTip()

    cli(home, "optout", "on")
    qtbot.waitUntil(window.banner.isVisible, timeout=10_000)
    assert window.optout_action.isChecked()
    assert "0 may be remixed" in window.counts_label.text()
    assert "optout" in window.undo_action.toolTip()

    cli(home, "undo")  # the opt-out off again
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=10_000)
    assert "1 may be remixed" in window.counts_label.text()


def test_undo_undoes_only_what_its_label_says(qtbot, filled):
    window = filled
    context = window.context
    ids = sorted(permissions(window))
    window.select_ids(ids[:1])
    finish(qtbot, window, window.set_permission_for_selection("deny"))
    assert f"video {ids[0]}" in window.undo_action.toolTip()
    context.watch.stop()  # the click comes before the window has looked again
    cli(context.home, "permission", "deny", str(ids[3]))

    job = window.undo()
    finish(qtbot, window, job)
    assert job.state.value == "failed"
    assert "A newer change is in the way" in window.last_message
    assert window.last_message.endswith(".")
    after = permissions(window)
    assert after[ids[0]] == "deny" and after[ids[3]] == "deny", "nothing was undone"
    # refusing made the window look: Undo now offers the command line's change
    qtbot.waitUntil(lambda: f"video {ids[3]}" in window.undo_action.toolTip(), timeout=10_000)
    qtbot.waitUntil(lambda: window.proxy.index(window.proxy.proxy_row_of(ids[3]),
                                               COL_PERMISSION).data() == "Deny", timeout=10_000)


@pytest.mark.parametrize("cli_default", ["allow", "deny"])
def test_settings_ok_keeps_a_default_changed_meanwhile(qtbot, filled, cli_default):
    window = filled
    context = window.context
    if cli_default == "deny":  # the dialog shows allow; the command line goes back to deny
        context.consent.set_default("allow")
        context.consentChanged.emit()
    dialog = SettingsDialog(context, window)
    qtbot.addWidget(dialog)
    cli(context.home, "default", cli_default)
    dialog.threads_spin.setValue(2)  # the creator changes something else
    dialog.accept()
    assert context.jobs.wait(10_000)  # settings are written on a job (run_op)
    assert context.consent.state().default == cli_default
    assert context.library.setting("threads") == "2"
    actions = [e.action for e in audit.entries(context.library.conn)]
    assert actions.count("default") == (2 if cli_default == "deny" else 1), \
        "the dialog wrote no default of its own"


# -- big libraries ---------------------------------------------------------------------

def test_a_consent_change_is_written_on_a_job_one_at_a_time(qtbot, filled, monkeypatch):
    window = filled
    context = window.context
    threads, release = [], threading.Event()
    original = Consent.set_permission

    def slow_set_permission(self, selection, permission):
        threads.append(threading.current_thread())
        release.wait(10)
        return original(self, selection, permission)

    monkeypatch.setattr(Consent, "set_permission", slow_set_permission)
    statements = []
    context.library.conn.set_trace_callback(statements.append)
    window.select_all()
    job = window.set_permission_for_selection("deny")
    assert job is not None
    for action in (window.allow_action, window.deny_action, window.undo_action,
                   window.optout_action):
        assert not action.isEnabled(), f"{action.text()} is off while the change is written"
    assert window.set_permission_for_selection("allow") is None, "no second change"
    assert "still being saved" in window.last_message
    qtbot.waitUntil(lambda: bool(threads), timeout=10_000)
    release.set()
    finish(qtbot, window, job)
    context.library.conn.set_trace_callback(None)
    assert threads == [t for t in threads if t is not threading.main_thread()] and threads
    assert set(permissions(window).values()) == {"deny"}
    assert set(column(window, COL_PERMISSION)) == {"Deny"}
    assert window.last_message == f"Denied {len(GOOD_CLIPS)} videos. Undo with Ctrl+Z."
    assert window.deny_action.isEnabled() and window.undo_action.isEnabled()
    assert not [s for s in statements if "SELECT id, permission FROM videos" in s
                or "GROUP BY permission" in s], \
        "the rows were swapped in from the job, not read again on the GUI thread"


def test_select_all_does_not_ask_every_cell_for_its_flags(qtbot, home, monkeypatch):
    from remix_desktop.core.library import Library, NewVideo

    with Library(home) as library, library.write() as conn:
        for i in range(600):
            Library.insert_video(conn, NewVideo(f"/v/clip {i:03d}.mp4", f"fp{i}", 1, 0.0, 1.0,
                                                25.0, 320, 180, 0, "h264", face_share=0.0))
    calls = []
    original = library_model.LibraryModel.flags
    monkeypatch.setattr(library_model.LibraryModel, "flags",
                        lambda self, index: calls.append(1) or original(self, index))
    window = open_window(qtbot, home)
    window.resize(900, 600)
    for _ in range(3):
        QCoreApplication.processEvents()
    calls.clear()
    window.select_all()
    window.repaint()
    for _ in range(3):
        QCoreApplication.processEvents()
    assert len(window.selected_ids()) == 600
    assert 0 < len(calls) < 600, "the flags of the painted cells only, not of 3,000"


def test_a_big_librarys_search_filters_once_typing_pauses(qtbot, filled, monkeypatch):
    window = filled
    monkeypatch.setattr(main_window, "SEARCH_DELAY_ROWS", 1)  # 7 videos count as many
    filtered = []
    window.proxy.layoutChanged.connect(lambda *a: filtered.append(1))
    window.proxy.rowsRemoved.connect(lambda *a: filtered.append(1))
    for text in ("m", "mp", "mp4"):
        window.search.setText(text)
    assert window.proxy.rowCount() == len(GOOD_CLIPS), "not filtered at each keystroke"
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3, timeout=5000)
    assert sorted(column(window, 0)) == ["h264.mp4", "opencv.mp4", "phone.mp4"]
    assert window.proxy.search_text == "mp4"


def test_an_import_report_lists_the_first_thousand_and_saves_them_all(qtbot, context,
                                                                      tmp_path):
    rejected = [Rejection(f"/junk/file {i:05d}.txt", "it is not a video") for i in range(2500)]
    report = type("Report", (), {"imported": [], "relinked": [], "skipped": [],
                                 "rejected": rejected, "cancelled": False})()
    dialog = ImportReportDialog(report, jobs=context.jobs)
    qtbot.addWidget(dialog)
    rows = dialog.rows()
    assert len(rows) == SHOWN_REJECTIONS == 1000
    assert rows[0] == ("/junk/file 00000.txt", "it is not a video")
    assert "first 1,000 of 2,500" in dialog.more.text()
    target = tmp_path / "not imported.csv"
    job = dialog.save_full_list(target)
    qtbot.waitUntil(lambda: "Saved all" in dialog.more.text(), timeout=10_000)
    assert job.state.value == "finished"
    lines = list(csv.reader(target.open(encoding="utf-8")))
    assert lines[0] == ["group", "path", "reason"] and len(lines) == 2501
    assert lines[-1] == ["Not imported", "/junk/file 02499.txt", "it is not a video"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    failed = dialog.save_full_list(tmp_path / "no such folder" / "x.csv")
    qtbot.waitUntil(lambda: "could not be saved" in dialog.more.text(), timeout=10_000)
    assert failed.state.value == "failed"
