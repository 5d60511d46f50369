"""The settings dialog, the audit trail view and the permissions files, from the window."""

from __future__ import annotations

import csv
import io
import json

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QFileDialog  # noqa: E402

from remix_desktop.core import audit  # noqa: E402
from remix_desktop.gui.dialogs import DATA_MINING_CHOICES, SettingsDialog  # noqa: E402
from remix_desktop.gui.library_model import COL_PERMISSION  # noqa: E402
from tests.conftest import GOOD_CLIPS  # noqa: E402
from tests.gui.windows import (NO, column, filled, finish, permissions,  # noqa: E402,F401
                               questions)


def test_settings_dialog_writes_settings(qtbot, filled):
    window = filled
    context = window.context
    dialog = SettingsDialog(context, window)
    qtbot.addWidget(dialog)
    assert dialog.folder.text() == str(context.home.root) and dialog.folder.isReadOnly()
    assert dialog.data_mining_combo.currentData().endswith("DMI-PROHIBITED-AIMLTRAINING")
    assert dialog.data_mining_combo.count() == len(DATA_MINING_CHOICES)
    dialog.default_combo.setCurrentIndex(dialog.default_combo.findData("allow"))
    assert f"{len(GOOD_CLIPS)} videos" in dialog.default_hint.text()
    dialog.data_mining_combo.setCurrentIndex(
        dialog.data_mining_combo.findData("http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"))
    dialog.threads_spin.setValue(3)
    with qtbot.waitSignals([context.settingsChanged, context.consentChanged], timeout=1000):
        dialog.accept()
    assert context.consent.state().default == "allow"
    assert context.library.setting("data_mining") == \
        "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"
    assert context.library.setting("threads") == "3" and context.captions.n_threads == 3
    assert audit.entries(context.library.conn, limit=1)[0].action == "default"
    assert f"{len(GOOD_CLIPS)} videos · {len(GOOD_CLIPS)} may be remixed" in \
        window.counts_label.text()
    assert dialog.default_job is not None, "the default is written on a job"
    assert window.last_message == (f"Settings: default permission is now allow "
                                   f"({len(GOOD_CLIPS)} videos changed). Undo with Ctrl+Z.")


def test_audit_view_lists_entries_and_exports_csv(qtbot, filled, monkeypatch, tmp_path,
                                                  questions):
    window = filled
    window.select_ids(sorted(permissions(window))[:2])
    finish(qtbot, window, window.set_permission_for_selection("allow"))
    finish(qtbot, window, window.undo())
    dialog = window.open_audit()
    entries = audit.entries(window.context.library.conn)
    assert dialog.model.rowCount() == len(entries) == 3  # import, permission, undo
    assert [dialog.model.index(r, 1).data() for r in range(3)] == ["undo", "permission",
                                                                   "import"]
    assert dialog.model.index(1, 3).data() == "default → allow"
    assert dialog.model.index(1, 5).data() == f"undone by #{entries[0].id}"

    target = tmp_path / "trail"  # typed without a suffix: the CSV filter adds one
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "CSV (*.csv)")))
    assert dialog.export() == tmp_path / "trail.csv"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "trail.csv").read_text())))
    assert [r["action"] for r in rows] == ["undo", "permission", "import"]
    asked, answers = questions
    answers.append(NO)  # now it exists: we ask before replacing it, and keep it on No
    (tmp_path / "trail.csv").write_text("keep me")
    assert dialog.export() is None and (tmp_path / "trail.csv").read_text() == "keep me"
    dialog.export_to(tmp_path / "trail.json")
    assert len(json.loads((tmp_path / "trail.json").read_text())) == 3


def test_permissions_files_round_trip(qtbot, filled, tmp_path):
    window = filled
    ids = sorted(permissions(window))
    window.context.consent.set_permission(ids[:3], "allow")
    window.context.consentChanged.emit()
    target = tmp_path / "perms.json"
    job = window.export_permissions_file(target)
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        pass
    window.context.consent.set_permission(ids, "deny")
    window.context.consentChanged.emit()
    job = window.import_permissions_file(target)
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        pass
    qtbot.waitUntil(lambda: column(window, COL_PERMISSION).count("Allow") == 3)
    assert [permissions(window)[i] for i in ids[:3]] == ["allow"] * 3
    assert "Undo with Ctrl+Z" in window.last_message


def test_permissions_file_with_bad_rows_lists_them(qtbot, filled, tmp_path):
    window = filled
    video = window.context.library.videos()[0]
    source = tmp_path / "mixed.csv"
    source.write_text("fingerprint,path,permission\n"
                      f"{video.fingerprint},,allow\n"
                      ",/nowhere/clip.mp4,deny\n"
                      f",{video.path},maybe\n")
    job = window.import_permissions_file(source)
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        pass
    qtbot.waitUntil(lambda: getattr(window, "permissions_report", None) is not None)
    report = window.permissions_report
    assert report.isVisible()
    rows = dict(report.rows())
    assert rows["/nowhere/clip.mp4"].endswith("matches no video in the library by "
                                              "fingerprint or path")
    assert "no valid permission" in rows[video.path]
    assert permissions(window)[video.id] == "allow"
    assert "Applied 1 permission from mixed.csv: 1 video changed." in report.summary.text()


def test_settings_cancel_changes_nothing_and_a_failed_export_says_so(
        qtbot, filled, monkeypatch, tmp_path):
    window = filled
    context = window.context
    dialog = window.open_settings()
    dialog.default_combo.setCurrentIndex(dialog.default_combo.findData("allow"))
    dialog.threads_spin.setValue(5)
    dialog.reject()
    assert context.consent.state().default == "deny"
    assert context.library.setting("threads") == "0"
    assert [e.action for e in audit.entries(context.library.conn)] == ["import"]

    audit_view = window.open_audit()
    assert window.open_audit() is audit_view, "one audit window, raised again"
    warnings = []
    monkeypatch.setattr("remix_desktop.gui.dialogs.QMessageBox.warning",
                        lambda *args: warnings.append(args[2]))
    missing = tmp_path / "no such folder" / "trail.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(missing), "CSV (*.csv)")))
    assert audit_view.export() is None
    assert warnings and "could not be written" in warnings[0]
    assert not missing.exists()


def test_settings_choose_models_and_back_up(qtbot, context, tmp_path):
    from remix_desktop.core.backups import list_backups
    from remix_desktop.core.model_store import ModelStore
    from tests.sd_fixture import build_sdxs_fixture

    model, taesd = build_sdxs_fixture(tmp_path.parent / "sdxs-settings")
    ModelStore(context.library).add(model)
    ModelStore(context.library).add(taesd)
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    assert not dialog.caption_combo.isEnabled(), "the models are read on a job"
    qtbot.waitUntil(dialog.caption_combo.isEnabled, timeout=30_000)
    captions = [dialog.caption_combo.itemData(i) for i in range(dialog.caption_combo.count())]
    diffusion = [dialog.diffusion_combo.itemData(i)
                 for i in range(dialog.diffusion_combo.count())]
    assert captions == ["gemma-3-270m-q4_k_m"]
    assert diffusion == ["", model.name], "TAESD is not a model to choose"
    assert dialog.diffusion_combo.currentData() == ""
    assert dialog.backup_label.text() == "None yet"

    job = dialog.back_up()
    qtbot.waitUntil(lambda: "just now" in dialog.backup_label.text(), timeout=30_000)
    assert job.state.name == "FINISHED" and len(list_backups(context.home)) == 1
    assert dialog.backup_label.text().endswith("1 kept (just now)")

    dialog.diffusion_combo.setCurrentIndex(1)
    with qtbot.waitSignal(context.settingsChanged, timeout=1000):
        dialog.accept()
    assert context.library.setting("diffusion_model") == model.name
    again = SettingsDialog(context)
    qtbot.addWidget(again)
    qtbot.waitUntil(again.diffusion_combo.isEnabled, timeout=30_000)
    assert again.diffusion_combo.currentData() == model.name


def test_the_save_dialogs_filters_are_the_export_formats():
    from remix_desktop.core.export import EXPORT_FORMATS
    from remix_desktop.gui.remix_previews import FILTERS

    assert list(FILTERS) == [f.name_filter for f in EXPORT_FORMATS]
    assert FILTERS["JPEG image (*.jpg *.jpeg)"] == "jpg"


def test_settings_offer_an_installed_vision_model_for_captions_not_a_download(
        qtbot, context, tmp_path):
    from remix_desktop.core.model_store import ModelStore
    from remix_desktop.gui.dialogs import SettingsDialog
    from tests.core.test_vision_pairs import language_model, projector

    lm, mm = language_model(tmp_path / "vlm.gguf"), projector(tmp_path / "mmproj.gguf")
    ModelStore(context.library).add(lm, projector=mm)
    dialog = SettingsDialog(context)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.caption_combo.isEnabled, timeout=30_000)
    captions = [dialog.caption_combo.itemData(i) for i in range(dialog.caption_combo.count())]
    assert captions == ["gemma-3-270m-q4_k_m", "vlm.gguf"]  # not the ones to download
