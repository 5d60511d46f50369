"""Faces and copies in the window: reasons and filters in the table, breaking a copy link,
the likeness rule in Settings, the look at videos not looked at yet, the faces on the
timeline; a real library of real clips, offscreen."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core.consent import Consent  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.core.library import Library  # noqa: E402
from remix_desktop.gui.dialogs import SettingsDialog  # noqa: E402
from remix_desktop.gui.library_model import COL_EFFECTIVE, COL_NAME  # noqa: E402
from tests.clips import ffmpeg, make_clip, make_espresso_clips  # noqa: E402
from tests.gui.windows import (column, finish, open_window, questions,  # noqa: E402,F401
                               row_of)

pytest.importorskip("matplotlib.cbook")  # the portrait clip


@pytest.fixture
def library_home(home, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    make_espresso_clips(folder)
    make_clip(folder / "pattern.mp4", seconds=2, source="smptehdbars")
    copy = tmp_path / "espresso again.webm"
    ffmpeg("-i", str(folder / "espresso.mp4"), "-c:v", "libvpx-vp9", "-deadline", "realtime",
           "-cpu-used", "8", str(copy))
    with Library(home) as library:
        found = {v.name: v.id for v in run_import(library, [folder]).imported}
        consent = Consent(library)
        consent.set_default("allow")
        consent.set_permission([found["espresso.mp4"]], "deny")
        found[copy.name] = run_import(library, [copy]).imported[0].id
    return home, found


def effective_of(window, name):
    return column(window, COL_EFFECTIVE)[row_of(window, name)]


def test_reasons_filters_and_breaking_a_link(qtbot, library_home):
    home, ids = library_home
    window = open_window(qtbot, home)
    assert effective_of(window, "espresso again.webm") == "Denied — copy of “morning espresso”"
    assert effective_of(window, "portrait.mp4") == "Denied — shows a face"
    assert effective_of(window, "pattern.mp4") == "Allowed — library default"
    tip = window.proxy.index(row_of(window, "espresso again.webm"), COL_EFFECTIVE).data(
        3)  # ToolTipRole
    assert "copy of “morning espresso”, which you denied" in tip and "Not a copy" in tip

    window.filter_combo.setCurrentIndex(window.filter_combo.findData("face"))
    assert column(window, COL_NAME) == ["portrait.mp4"]
    window.filter_combo.setCurrentIndex(window.filter_combo.findData("copy"))
    assert column(window, COL_NAME) == ["espresso again.webm"]
    window.show_all()

    finish(qtbot, window, window.unlink_copy(ids["espresso again.webm"]))
    assert effective_of(window, "espresso again.webm") == "Allowed — library default"
    assert "no longer linked as a copy of “morning espresso”" in window.last_message
    finish(qtbot, window, window.undo())
    assert effective_of(window, "espresso again.webm") == "Denied — copy of “morning espresso”"
    assert "is linked again as a copy of video" in window.last_message

    # the remix panel's notice names the original and breaks the link too
    window.select_ids([ids["espresso again.webm"]], ids["espresso again.webm"])
    banner = window.panel.denied_banner
    qtbot.waitUntil(banner.isVisible)
    assert "copy of “morning espresso”, which you denied" in banner.text()
    assert banner.unlink_button.isVisible()
    finish(qtbot, window, banner.unlink())
    qtbot.waitUntil(lambda: not banner.isVisible())
    assert effective_of(window, "espresso again.webm") == "Allowed — library default"


def test_the_likeness_rule_in_settings(qtbot, library_home, questions):
    home, ids = library_home
    window = open_window(qtbot, home)
    dialog = SettingsDialog(window.context, window)
    qtbot.addWidget(dialog)
    box = dialog.fields["likeness"]
    assert box.isChecked() and "allow them one by one" in box.text()
    box.setChecked(False)
    dialog.accept()
    finish(qtbot, window, dialog.likeness_job)
    assert window.context.consent.state().likeness is False
    assert effective_of(window, "portrait.mp4") == "Allowed — library default"
    assert "Videos that show a face now follow the library default" in window.last_message


def test_videos_not_looked_at_are_looked_at_when_the_window_opens(qtbot, library_home):
    home, ids = library_home
    with Library(home) as library, library.write() as conn:
        conn.execute("UPDATE videos SET face_share = NULL, copy_of = NULL")
        conn.execute("DELETE FROM frame_hashes")
    window = open_window(qtbot, home)
    assert effective_of(window, "portrait.mp4") == "Denied — not looked at for faces yet"
    qtbot.waitUntil(lambda: window.look_flow.job is not None, timeout=5000)
    assert window.look_flow.progress.isVisible()
    qtbot.waitUntil(lambda: window.look_flow.last_report is not None, timeout=60000)
    assert not window.look_flow.progress.isVisible()
    assert window.look_flow.last_report.checked == 4
    assert "Looked at 4 videos: 1 shows a face, 1 is a copy of other videos" in (
        window.last_message)
    qtbot.waitUntil(lambda: effective_of(window, "portrait.mp4") == "Denied — shows a face")
    assert effective_of(window, "espresso again.webm") == "Denied — copy of “morning espresso”"


def test_an_animated_remix_is_offered_at_540_px(qtbot, library_home):
    home, ids = library_home
    window = open_window(qtbot, home)
    panel = window.panel
    window.select_ids([ids["pattern.mp4"]], ids["pattern.mp4"])
    assert panel.size_combo.currentText() == "Square · 1080 × 1080"
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("animated"))
    assert panel.size_combo.currentText() == "Square · 540 × 540"
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("still"))
    assert panel.size_combo.currentText() == "Square · 1080 × 1080"


def test_the_timeline_marks_the_frames_with_a_face(qtbot, library_home):
    home, ids = library_home
    window = open_window(qtbot, home)
    window.select_ids([ids["portrait.mp4"]], ids["portrait.mp4"])
    strip = window.panel.scrubber.strip
    qtbot.waitUntil(lambda: strip.faces() != [], timeout=5000)
    assert len(strip.faces()) >= 6
    window.select_ids([ids["pattern.mp4"]], ids["pattern.mp4"])
    qtbot.waitUntil(lambda: strip.faces() == [], timeout=5000)


def test_the_contact_sheet_shows_tiles_as_they_come_and_saves(qtbot, library_home, tmp_path):
    home, ids = library_home
    window = open_window(qtbot, home)
    dialog = window.open_contact_sheet()
    qtbot.addWidget(dialog)
    assert dialog.job is not None and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=60000)
    assert dialog.grid.count() == 4
    texts = [dialog.grid.item(i).text() for i in range(4)]
    assert any("Denied — shows a face" in t for t in texts)
    assert any("Denied — copy of a denied video" in t for t in texts)
    assert any("Allowed — library default" in t for t in texts)
    assert "4 videos, 3 denied" in dialog.status.text()
    job = dialog.save(tmp_path / "sheet.pdf")
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=30000)
    assert job is not None and (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")
    # a selection of two: the sheet of those two; a stop keeps what was made
    window.select_ids([ids["pattern.mp4"], ids["espresso.mp4"]])
    second = window.open_contact_sheet()
    qtbot.addWidget(second)
    second.cancel()
    qtbot.waitUntil(lambda: second.job is None, timeout=30000)
    assert second.grid.count() <= 2 and ("Stopped" in second.status.text()
                                         or "2 videos" in second.status.text())


def test_settings_show_the_signing_certificate_and_take_the_creators_own(
        qtbot, home, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from tests.core.test_credentials import own_pair

    window = open_window(qtbot, home)
    dialog = SettingsDialog(window.context, window)
    qtbot.addWidget(dialog)
    assert dialog.signer_label.text().startswith("This install's own, valid but untrusted")
    assert "valid but untrusted" in dialog.signer_label.toolTip()
    key_file, cert_file, _ = own_pair(tmp_path)
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[2]))
    assert dialog.choose_signer(str(cert_file), str(cert_file)) is None
    assert warned and "not a PEM private key" in warned[0]
    used = dialog.choose_signer(str(key_file), str(cert_file))
    assert used is not None and "Jo Creator" in used.subject
    assert dialog.signer_label.text().startswith("Your own · SHA-256 ")
