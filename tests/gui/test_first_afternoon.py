"""What a first afternoon with the window ran into (issue 13), one test per item fixed."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from remix_desktop.core import ops  # noqa: E402
from remix_desktop.gui.library_model import COL_NAME  # noqa: E402
from remix_desktop.gui.remix_widgets import format_time  # noqa: E402
from tests.gui.windows import (column, filled, finish, open_window,  # noqa: E402,F401
                               questions, row_of)


def test_the_time_label_rounds_once():
    assert format_time(1.999) == "0:02.00"  # not 0:01.00
    assert format_time(59.996) == "1:00.00"
    assert format_time(1.234) == "0:01.23"
    assert format_time(3599.999) == "1:00:00.00"


def test_search_looks_in_titles_descriptions_and_tags(qtbot, filled):
    window = filled
    library = window.context.library
    h264 = window.proxy.video_id(row_of(window, "h264.mp4"))
    vp9 = window.proxy.video_id(row_of(window, "vp9.webm"))
    job = window.context.run_op("info", lambda lib, _c: ops.set_video_info(
        lib, h264, title="Campaign shoot", tags=["bts"]))
    finish(qtbot, window, job)
    library.set_info(vp9, description="first coffee of the day", tags=["coffee"])
    window.context.libraryChanged.emit()
    window.search.setText("campaign")
    assert column(window, COL_NAME) == ["h264.mp4"]
    window.search.setText("COFFEE")
    assert column(window, COL_NAME) == ["vp9.webm"]
    window.search.setText("webm")  # the file name still counts
    assert column(window, COL_NAME) == ["vp9.webm"]


def test_a_search_and_filter_that_come_back_say_so_and_clear_in_one_click(qtbot, filled,
                                                                          home):
    window = filled
    window.search.setText("mp4")
    window.filter_combo.setCurrentIndex(window.filter_combo.findData("own:default"))
    window.close()
    again = open_window(qtbot, home)
    assert again.search.text() == "mp4"
    assert again.clear_filter.isVisible()
    assert "of 7" in again.filter_note.text()
    assert "search “mp4”" in again.filter_note.toolTip()
    assert "Own choice: follows the default" in again.filter_note.toolTip()
    again.clear_filter.click()
    assert again.search.text() == "" and again.filter_combo.currentData() == "all"
    assert len(column(again, COL_NAME)) == 7 and not again.clear_filter.isVisible()


def test_no_key_is_bound_twice(qtbot, filled):
    from PySide6.QtGui import QAction, QShortcut

    window = filled
    keys = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            keys.setdefault(sequence.toString(), []).append(action.text())
    for shortcut in window.findChildren(QShortcut):
        if shortcut.context() != Qt.ShortcutContext.WidgetWithChildrenShortcut:
            keys.setdefault(shortcut.key().toString(), []).append("panel shortcut")
    twice = {k: v for k, v in keys.items() if k and len(v) > 1}
    assert not twice, twice
    assert keys["Ctrl+E"] == ["panel shortcut"]  # export the preview
    assert keys["Ctrl+Alt+E"] == ["&Export permissions…"]


def test_keys_in_the_search_box_reach_the_window(qtbot, filled):
    window = filled
    window.activateWindow()
    qtbot.waitActive(window)
    ids = sorted(v.id for v in window.context.library.videos())
    window.select_ids(ids[:1], ids[0])
    finish(qtbot, window, window.set_permission_for_selection("allow"))
    window.search.setFocus()
    qtbot.keyClicks(window.search, "mp")
    qtbot.keyClick(window.search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    finish(qtbot, window, window.context.op)  # Ctrl+Z undid the permission, not the typing
    assert window.context.library.video(ids[0]).permission == "default"
    assert window.search.text() == "mp"
    window.table.clearSelection()
    qtbot.keyClick(window.search, Qt.Key.Key_Down)  # Down goes into the results
    assert window.table.hasFocus() and len(window.selected_ids()) == 1
    assert not window.table.tabKeyNavigation()  # Tab leaves the table for the panel


def test_generate_from_the_library_says_why_it_cannot(qtbot, filled):
    window = filled
    window.activateWindow()
    qtbot.waitActive(window)
    window.table.setFocus()
    window.select_ids([window.proxy.video_id(0)], window.proxy.video_id(0))
    qtbot.keyClick(window.table, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Remixing is off for this video" in window.panel.status_label.text(),
                    timeout=3000)


def test_help_lists_every_shortcut_and_about_says_versions_and_where_the_data_is(qtbot,
                                                                                 filled):
    from importlib import metadata

    window = filled
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in menus
    dialog = window.open_shortcuts()
    rows = dict((keys, what) for what, keys in dialog.rows())
    assert rows["Ctrl+G"] == "Generate previews of the checked captions"
    assert rows["Ctrl+E"] == "Export the selected preview"
    assert rows["Ctrl+Alt+E"] == "Export permissions"
    assert rows["Ctrl+Z"] == "Undo" and rows["Ctrl+/"] == "Keyboard shortcuts"
    about = window.open_about()
    text = about.label.text()
    assert metadata.version("llama-cpp-python") in text
    assert metadata.version("stable-diffusion-cpp-python") in text
    assert str(window.context.home.root) in text


def test_the_opt_out_switch_stays_off_while_its_question_is_open(qtbot, filled,
                                                                 monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = filled
    seen = []

    def question(*args, **kwargs):
        seen.append((window.optout_switch.isChecked(), window.optout_action.isChecked()))
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    window.optout_switch.click()
    assert seen == [(False, False)]
    assert not window.optout_switch.isChecked()


def test_words_a_creator_reads(qtbot, filled, home):
    from remix_desktop.core.download import human_size
    from remix_desktop.gui.dialogs import SettingsDialog

    window = filled
    dialog = SettingsDialog(window.context, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.diffusion_combo.isEnabled(), timeout=10_000)
    assert dialog.diffusion_combo.itemText(0).startswith("None installed")
    assert dialog.default_hint.wordWrap() and dialog.backup_label.wordWrap()
    assert human_size(0) == "—" and human_size(2_500_000_000) == "2.5 GB"
    # the denied banner and the row say it in the same words
    from remix_desktop.core.consent_rule import Reason, Verdict
    from remix_desktop.gui.library_model import SHORT_REASONS, reason_for_you

    mine = Verdict("deny", Reason.OWN_DENY)
    assert SHORT_REASONS[mine.reason] in reason_for_you(mine)


def _allowed_and_selected(window, name: str) -> int:
    """Allow the video of file `name` and select it; its id."""
    from remix_desktop.core.consent import Consent

    video_id = window.proxy.video_id(row_of(window, name))
    Consent(window.context.library).set_permission([video_id], "allow")
    window.context.consentChanged.emit()
    window.select_ids([video_id], video_id)
    return video_id


def _make_previews(window, video_id, n=2):
    """Real previews of a video (OpenCV styles, no model): allowed first."""
    from remix_desktop.core.consent import Consent
    from remix_desktop.core.library import Library
    from remix_desktop.core.remix import Remixer

    with Library(window.context.home) as library:
        Consent(library).set_permission([video_id], "allow")
        remixer = Remixer(library)
        requests = remixer.plan(video_id, [(f"Me when test {i}", None) for i in range(n)],
                                [0.5], style="cartoon")
        remixer.render_all(requests)
    window.context.consentChanged.emit()


def test_a_deny_that_deletes_previews_asks_first_and_the_trail_and_undo_say_so(
        qtbot, filled, questions):
    from tests.gui.windows import NO

    asked, answers = questions
    window = filled
    video_id = window.proxy.video_id(row_of(window, "h264.mp4"))
    _make_previews(window, video_id)
    window.select_ids([video_id], video_id)
    answers.append(NO)
    assert window.set_permission_for_selection("deny") is None  # kept on No
    assert "their 2 remix previews will be deleted" in asked[-1][1]
    assert len(window.context.remixer(window.context.library).previews(video_id)) == 2
    finish(qtbot, window, window.set_permission_for_selection("deny"))
    assert "Denied h264.mp4." in window.last_message  # the video by name
    entry = window.context.consent.audit_entries(limit=1)[0]
    assert entry.previews_removed == 2 and "2 previews deleted" in entry.sentence()
    assert "h264.mp4" in window.undo_action.toolTip()
    assert "not brought back" in window.undo_action.toolTip()
    finish(qtbot, window, window.undo())
    assert "The 2 remix previews that change deleted are not brought back" in \
        window.last_message


def test_the_opt_out_question_counts_the_previews_it_deletes(qtbot, filled, questions):
    from tests.gui.windows import NO

    asked, answers = questions
    window = filled
    _make_previews(window, window.proxy.video_id(0), n=3)
    answers.append(NO)
    window.set_optout(True)
    assert "deletes their 3 remix previews" in asked[-1][1]


def test_the_audit_trail_lists_a_bulk_change_by_name_and_the_selection_is_counted(
        qtbot, filled):
    window = filled
    ids = sorted(v.id for v in window.context.library.videos())
    window.select_ids(ids[:3], ids[0])
    assert window.selection_label.text() == "3 selected"
    finish(qtbot, window, window.set_permission_for_selection("allow"))
    names = [window.context.library.video(i).name for i in ids[:3]]
    assert window.last_message.startswith("Allowed 3 videos.")
    dialog = window.open_audit()
    text = dialog.videos_text(0)
    assert all(f"{name}: was default" in text for name in names), text


def test_the_remix_panel_comes_back_as_it_was_left(qtbot, filled, home):
    window = filled
    panel = window.panel
    panel.style_combo.setCurrentIndex(panel.style_combo.findData("sketch"))
    panel.layout_combo.setCurrentIndex(panel.layout_combo.count() - 1)
    panel.size_combo.setCurrentIndex(panel.size_combo.count() - 1)
    chosen = (panel.style_combo.currentData(), panel.layout_combo.currentData(),
              panel.size_combo.currentData())
    window.resize(1600, 900)
    total = sum(window.splitter.sizes())
    window.splitter.setSizes([total - 700, 700])
    share = window.splitter.sizes()[1] / sum(window.splitter.sizes())
    window.close()
    again = open_window(qtbot, home)
    again.resize(1600, 900)
    qtbot.wait(50)
    assert (again.panel.style_combo.currentData(), again.panel.layout_combo.currentData(),
            again.panel.size_combo.currentData()) == chosen
    again_share = again.splitter.sizes()[1] / sum(again.splitter.sizes())
    assert abs(again_share - share) < 0.05, (again_share, share)


def test_the_window_fits_the_screen_and_the_panel_folds_away(qtbot, filled):
    from remix_desktop.gui.main_window import default_size

    window = filled
    free = window.screen().availableGeometry()
    width, height = default_size()
    assert width <= free.width() and height <= free.height()
    smallest = window.minimumSizeHint()  # and a 1366 x 768 laptop holds the window whole
    assert smallest.width() <= 1366 and smallest.height() <= 740, smallest
    window.panel_action.trigger()  # View > Remix panel: off
    assert window.splitter.sizes()[1] == 0 and not window.panel_action.isChecked()
    window.panel_action.trigger()
    assert window.splitter.sizes()[1] > 0 and window.panel_action.isChecked()


def test_a_title_is_shown_with_the_file_name_beneath(qtbot, filled):
    from remix_desktop.gui.library_model import TitleRole

    window = filled
    video_id = window.proxy.video_id(row_of(window, "h264.mp4"))
    finish(qtbot, window, window.context.run_op(
        "title", lambda lib, _c: ops.set_video_info(lib, video_id, title="Morning espresso")))
    index = window.proxy.index(row_of(window, "h264.mp4"), COL_NAME)
    assert index.data(TitleRole) == "Morning espresso"
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith("Morning espresso\n")
    assert index.data(Qt.ItemDataRole.ToolTipRole).endswith("h264.mp4")


def test_the_diffusion_settings_never_push_generate_out_of_a_short_window(qtbot, filled):
    from remix_desktop.core.remix import DIFFUSION

    window = filled
    window.resize(1366, 740)
    video_id = window.proxy.video_id(0)
    window.select_ids([video_id], video_id)
    panel = window.panel
    panel.style_combo.setCurrentIndex(panel.style_combo.findData(DIFFUSION))
    qtbot.wait(50)
    assert panel.diffusion_box.isVisibleTo(panel)
    # the settings scroll instead of growing the window past a 1366 x 768 screen
    assert window.minimumSizeHint().height() <= 740, window.minimumSizeHint()
    assert panel.settings_area.minimumSizeHint().height() <= panel.settings_area.MIN_HEIGHT
    assert panel.settings_area.horizontalScrollBarPolicy() == \
        Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert panel.generate_button.isVisible()


def test_a_vision_suggestion_never_pushes_generate_out_of_a_short_window(qtbot, filled):
    from remix_desktop.core.captions_store import CaptionStore
    from remix_desktop.core.remix import DIFFUSION

    window = filled
    window.resize(1366, 740)
    video_id = window.proxy.video_id(row_of(window, "h264.mp4"))
    finish(qtbot, window, window.context.run_op(
        "allow", lambda lib, _c: ops.set_permission(lib, [video_id], "allow")))
    CaptionStore(window.context.library).suggest(
        video_id, "a cat asleep on a sunny windowsill beside a steaming mug of coffee",
        "smolvlm-256m-instruct")
    window.select_ids([video_id], video_id)
    panel = window.panel
    qtbot.waitUntil(lambda: panel.info.suggestion.text != "", timeout=10_000)
    if panel.tabs.indexOf(panel.info) >= 0:  # a narrow panel: About this video is a tab
        assert panel.tabs.tabText(panel.tabs.indexOf(panel.info)) == "About this video \u2022"
        panel.tabs.setCurrentWidget(panel.info)
    assert panel.info.suggestion.isVisible()
    panel.style_combo.setCurrentIndex(panel.style_combo.findData(DIFFUSION))
    qtbot.wait(50)
    assert window.minimumSizeHint().height() <= 740, window.minimumSizeHint()
    assert panel.generate_button.isVisible()
    bottom = panel.generate_button.mapTo(window, panel.generate_button.rect().bottomLeft())
    assert bottom.y() <= window.height(), (bottom.y(), window.height())


def test_the_strip_cursor_follows_the_new_video(qtbot, filled):
    window = filled
    first = window.proxy.video_id(row_of(window, "h264.mp4"))
    other = window.proxy.video_id(row_of(window, "clip.mov"))
    window.select_ids([first], first)
    scrubber = window.panel.scrubber
    scrubber.set_time(0.1)
    assert abs(scrubber.strip.position() - 0.1) < 1e-6
    window.select_ids([other], other)
    assert abs(scrubber.strip.position() - scrubber.time()) < 1e-6
    assert abs(scrubber.time() - window.context.library.video(other).duration_s / 2) < 0.01


def test_several_previews_export_into_a_folder_copy_and_the_folder_is_remembered(
        qtbot, filled, tmp_path, home):
    from PySide6.QtGui import QGuiApplication

    window = filled
    video_id = window.proxy.video_id(row_of(window, "h264.mp4"))
    _make_previews(window, video_id, n=3)
    window.select_ids([video_id], video_id)
    gallery = window.panel.gallery
    qtbot.waitUntil(lambda: gallery.preview_list.count() == 3, timeout=5000)
    gallery.preview_list.selectAll()
    chosen = gallery.chosen()  # (a reload noticed later may change the selection shown)
    assert len(chosen) == 3
    out = tmp_path / "exports"
    out.mkdir()
    taken = out / gallery.default_name(chosen[0])
    taken.write_bytes(b"keep me")
    job = gallery.export_many([p.id for p in chosen], out)
    with qtbot.waitSignal(job.signals.finished, timeout=10_000):
        pass
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 4 and any(" (2)" in name for name in files)
    assert taken.read_bytes() == b"keep me"  # nothing there was replaced
    assert gallery.open_folder_button.isEnabled()
    gallery.preview_list.setCurrentRow(0)
    job = gallery.copy_selected()
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        pass
    qtbot.waitUntil(lambda: not QGuiApplication.clipboard().image().isNull(), timeout=3000)
    window.close()
    again = open_window(qtbot, home)
    assert again.panel.gallery.last_folder == out  # file dialogs open where they were left


def test_choosing_a_style_shows_the_frame_in_it(qtbot, filled):
    import numpy as np

    window = filled
    _allowed_and_selected(window, "h264.mp4")
    view = window.panel.scrubber.view
    qtbot.waitUntil(lambda: view.image() is not None, timeout=5000)

    def pixels():
        image = view.image().convertToFormat(view.image().Format.Format_RGB888)
        return np.frombuffer(image.constBits(), np.uint8).copy()

    plain = pixels()
    panel = window.panel
    panel.style_combo.setCurrentIndex(panel.style_combo.findData("sketch"))
    qtbot.waitUntil(lambda: view.image() is not None and len(pixels()) == len(plain)
                    and not np.array_equal(pixels(), plain), timeout=5000)
    panel.style_combo.setCurrentIndex(panel.style_combo.findData("none"))
    qtbot.waitUntil(lambda: view.image() is not None and np.array_equal(pixels(), plain),
                    timeout=5000)


def test_emoji_in_a_title_are_drawn_with_an_emoji_font(qtbot, filled):
    from PySide6.QtGui import QTextLayout
    from PySide6.QtWidgets import QApplication

    from remix_desktop.core.resources import emoji_font
    from remix_desktop.gui.app import use_emoji_font

    if emoji_font() is None:
        pytest.skip("no colour emoji font on this machine (Debian: fonts-noto-color-emoji)")
    app = QApplication.instance()
    family = use_emoji_font(app)
    assert family and family not in app.font().families()  # never the window's own font

    def families(text: str) -> set[str]:
        layout = QTextLayout(text, app.font())
        layout.beginLayout()
        layout.createLine()
        layout.endLayout()
        return {run.rawFont().familyName() for run in layout.glyphRuns()}

    drawn = families("🎬 0:04 640×360")
    assert any("emoji" in f.lower() for f in drawn), drawn  # the clapper from the emoji font
    assert not any("emoji" in f.lower() for f in families("0:04 640×360"))  # digits: not


def test_an_undo_that_would_delete_previews_asks_first(qtbot, filled, questions):
    from tests.gui.windows import NO

    asked, answers = questions
    window = filled
    video_id = window.proxy.video_id(row_of(window, "h264.mp4"))
    window.select_ids([video_id], video_id)
    finish(qtbot, window, window.set_permission_for_selection("allow"))  # default -> allow
    _make_previews(window, video_id, n=2)
    remixer = window.context.remixer(window.context.library)
    pending = window.context.consent.next_undo()
    assert window.context.consent.previews_lost_by_undo(pending) == 2  # back to a deny default
    window._update_undo()
    answers.append(NO)
    assert window.undo() is None  # kept on No
    assert "2 remix previews will be deleted" in asked[-1][1]
    assert len(remixer.previews(video_id)) == 2
    finish(qtbot, window, window.undo())  # Yes
    assert remixer.previews(video_id) == []
    assert "back from allow to default" in window.last_message
    assert "h264.mp4" in window.last_message  # the video by name


def test_ctrl_z_in_the_caption_list_brings_a_deleted_caption_back(qtbot, filled):
    window = filled
    video_id = _allowed_and_selected(window, "h264.mp4")
    panel = window.panel
    panel.caption_list.add_own("POV: the cake collapses", edit=False)
    from remix_desktop.gui.remix_captions import ID_ROLE

    qtbot.waitUntil(lambda: panel.caption_list.item(0).data(ID_ROLE) is not None,
                    timeout=5000)
    window.activateWindow()
    qtbot.waitActive(window)
    panel.caption_list.setFocus()
    panel.caption_list.setCurrentRow(0)
    qtbot.keyClick(panel.caption_list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: "Undo with Ctrl+Z" in panel.status_label.text(), timeout=5000)
    assert panel.caption_list.count() == 0
    before = window.context.consent.next_undo()
    qtbot.keyClick(panel.caption_list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.caption_list.count() == 1, timeout=5000)
    assert panel.caption_list.item(0).text() == "POV: the cake collapses"
    assert window.context.consent.next_undo() == before  # the permission undo was not used
    from remix_desktop.core.captions_store import CaptionStore

    assert [c.text for c in CaptionStore(window.context.library).list(video_id)] == \
        ["POV: the cake collapses"]


def test_small_words_of_the_walkthrough(qtbot, filled, questions):
    from remix_desktop.core.previews import Preview
    from remix_desktop.gui.dialogs import AUDIT_HEADERS
    from remix_desktop.gui.library_model import FILTERS
    from remix_desktop.gui.remix_previews import describe

    window = filled
    preview = Preview(3, 1, "h", window.context.home.previews / "x.png", "Leg day hits different",
                      {"caption_seed": 2, "size": "square", "frame_s": 1.0}, "2026-12-02T00:00:00Z")
    assert "caption from a meme format (seed 2)" in describe(preview, "template")
    assert "caption by the model (seed 2)" in describe(preview, "model")
    assert "1080\u00a0×\u00a01080" in describe(preview, "model")  # never split at the space
    assert AUDIT_HEADERS[-1] == "#"
    assert dict(FILTERS)["own:default"] == "Own choice: follows the default"
    # a change that takes a row out of the filter says so instead of the row just vanishing
    window.filter_combo.setCurrentIndex(window.filter_combo.findData("denied"))
    row = window.proxy.index(0, COL_NAME)
    name = row.data()
    source = window.proxy.mapToSource(row) if hasattr(window.proxy, "mapToSource") else row
    window.model.setData(window.model.index(source.row(), 3), "allow")
    qtbot.waitUntil(lambda: "no longer shown under “May not be remixed”" in
                    getattr(window, "last_message", ""), timeout=5000)
    assert name in window.last_message
    assert window.panel.progress_label.isEnabled()  # the text colour, not the pale disabled
    policy = window.panel.progress.sizePolicy()
    assert policy.retainSizeWhenHidden()  # nothing jumps when a job starts


def test_a_reload_keeps_several_chosen_previews(qtbot, filled):
    window = filled
    video_id = _allowed_and_selected(window, "h264.mp4")
    _make_previews(window, video_id, n=3)
    gallery = window.panel.gallery
    qtbot.waitUntil(lambda: gallery.preview_list.count() == 3, timeout=5000)
    gallery.preview_list.item(0).setSelected(True)
    gallery.preview_list.item(2).setSelected(True)
    chosen = [p.id for p in gallery.chosen()]
    assert len(chosen) == 2
    from remix_desktop.core.changes import EVERY_VIDEO, OpChanges

    window.context.emit_changes(OpChanges(previews=EVERY_VIDEO))  # the gallery reloads
    assert [p.id for p in gallery.chosen()] == chosen


def test_a_two_line_message_does_not_move_the_panel(qtbot, filled):
    window = filled
    _allowed_and_selected(window, "h264.mp4")
    panel = window.panel
    qtbot.wait(50)
    before = panel.generate_button.mapTo(panel, panel.generate_button.rect().topLeft())
    panel._status("A message long enough to wrap onto a second line in a panel of this "
                  "width, as the message after writing captions does, every time.")
    qtbot.wait(50)
    after = panel.generate_button.mapTo(panel, panel.generate_button.rect().topLeft())
    assert after == before
