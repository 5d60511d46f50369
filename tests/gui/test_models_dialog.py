"""The Models dialog over a real store: the manifest, the SDXS fixture added by reference
(never copied: it is a 1 GB sparse file), refusals, remove, and a download's progress and
Cancel (with the network replaced: the app's download is tested in tests/core)."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication  # noqa: E402

from remix_desktop.core.download import DownloadCancelled, DownloadProgress  # noqa: E402
from remix_desktop.core.model_store import ModelStore  # noqa: E402
from remix_desktop.core.model_manifest import manifest  # noqa: E402
from remix_desktop.gui.jobs import JobState  # noqa: E402
from remix_desktop.gui.models_dialog import ModelsDialog  # noqa: E402
from tests.gui.windows import YES, open_window, questions  # noqa: E402,F401
from tests.sd_fixture import build_sdxs_fixture  # noqa: E402

TIMEOUT = 60_000
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


@pytest.fixture(scope="module")
def sdxs(tmp_path_factory):
    return build_sdxs_fixture(tmp_path_factory.mktemp("sdxs-gui"))


@pytest.fixture
def dialog(qtbot, context):
    widget = ModelsDialog(context)
    qtbot.addWidget(widget)
    widget.show()
    settle(qtbot, context, widget.refresh())
    return widget


def settle(qtbot, context, job, state=JobState.FINISHED):
    """Wait until `job` and the list refresh after it have ended and reached the GUI."""
    assert job is not None
    qtbot.waitUntil(lambda: job.state not in ACTIVE, timeout=TIMEOUT)
    assert context.jobs.wait(TIMEOUT)
    QCoreApplication.processEvents()
    assert context.jobs.wait(TIMEOUT)  # the refresh the end started
    QCoreApplication.processEvents()
    assert job.state is state


def cells(dialog, model_id):
    row = next(i for i, m in enumerate(dialog.items) if m.id == model_id)
    return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]


def test_lists_the_manifest_and_an_added_fixture_by_reference(qtbot, context, dialog, sdxs):
    model, _taesd = sdxs
    for model_id in manifest():
        assert dialog.row(model_id) is not None
    downloadable = [m for m in dialog.items if m.status == "not downloaded"]
    assert downloadable and all(m.source == "manifest" for m in downloadable)
    settle(qtbot, context, dialog.add_file(model, copy=False))
    assert "Added" in dialog.message.text() and "used where it is" in dialog.message.text()
    item = dialog.row(model.name)
    assert (item.kind, item.family, item.source, item.status) == (
        "diffusion", "sdxs", "reference", "installed")
    assert cells(dialog, model.name)[2] == "SDXS"
    assert not (context.home.models / model.name).exists(), "referenced, not copied"
    assert dialog.select(model.name) and dialog.remove_button.isEnabled()
    assert not dialog.download_button.isEnabled()


def test_a_junk_file_is_refused_with_its_reason(qtbot, context, dialog, tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"this is not a model at all")
    settle(qtbot, context, dialog.add_file(junk), JobState.FAILED)
    text = dialog.message.text()
    assert text.startswith("The model file 'junk.safetensors'") and text.endswith(".")
    assert text.count(". ") == 0, "one sentence"
    assert dialog.row("junk.safetensors") is None


def test_remove_keeps_a_referenced_file(qtbot, context, dialog, sdxs, questions):
    asked, _answers = questions
    _model, taesd = sdxs
    settle(qtbot, context, dialog.add_file(taesd, copy=False))
    assert dialog.row(taesd.name).kind == "taesd"
    dialog.select(taesd.name)
    settle(qtbot, context, dialog.remove())
    assert "stays where it is" in asked[0][1]
    assert "was not touched" in dialog.message.text()
    assert dialog.row(taesd.name) is None and taesd.exists()


def test_verify_reports_the_status(qtbot, context, dialog, sdxs):
    model, _taesd = sdxs
    settle(qtbot, context, dialog.add_file(model))
    dialog.select(model.name)
    settle(qtbot, context, dialog.verify())
    assert dialog.message.text().startswith(f"{model.name}: installed and readable: its header")


def test_download_shows_progress_and_cancel_stops_it(qtbot, context, dialog, monkeypatch,
                                                      questions):
    entry = next(m for m in dialog.items if m.status == "not downloaded")
    started = threading.Event()

    def fake_download(self, model_id, *, progress=None, cancelled=lambda: False):
        assert model_id == entry.id
        for done in range(0, 10**9, 1000):
            progress(DownloadProgress(done, 3 * 10**9, 0))  # beyond 32-bit byte counts
            started.set()
            if cancelled():
                raise DownloadCancelled("The download was cancelled")
            time.sleep(0.01)

    monkeypatch.setattr(ModelStore, "download", fake_download)
    dialog.select(entry.id)
    assert dialog.download_button.isEnabled()
    job = dialog.download()
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 1000, timeout=TIMEOUT)
    assert dialog.progress.isVisible() and dialog.cancel_button.isEnabled()
    assert "Downloading" in dialog.message.text()
    dialog.cancel_button.click()
    settle(qtbot, context, job, JobState.CANCELLED)
    assert dialog.message.text() == "Stopped."
    assert not dialog.progress.isVisible() and not dialog.cancel_button.isEnabled()


def test_the_file_menu_opens_the_dialog(qtbot, home):
    window = open_window(qtbot, home)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.models_action in file_menu.actions()
    window.models_action.trigger()
    dialog = window.models_dialog
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: len(dialog.items) >= len(manifest()), timeout=TIMEOUT)


def test_use_for_remixes_makes_the_chosen_model_a_setting(qtbot, context, dialog, sdxs,
                                                          questions):
    model, taesd = sdxs
    settle(qtbot, context, dialog.add_file(model, copy=False))
    settle(qtbot, context, dialog.add_file(taesd, copy=False))
    assert dialog.select(taesd.name) and not dialog.use_button.isEnabled(), "TAESD is a helper"
    assert dialog.select(model.name) and dialog.use_button.isEnabled()
    changed = []
    context.settingsChanged.connect(lambda: changed.append(1))
    settle(qtbot, context, dialog.use())
    assert context.library.setting("diffusion_model") == model.name
    assert dialog.message.text() == f"Remixes now use {model.name} as their diffusion model."
    assert cells(dialog, model.name)[4] == "installed, in use"
    assert changed and not dialog.use_button.isEnabled()
    # the caption default shows as in use too; removing the chosen model forgets the choice
    assert cells(dialog, "gemma-3-270m-q4_k_m")[4].endswith("in use") or \
        dialog.row("gemma-3-270m-q4_k_m").status == "not downloaded"
    settle(qtbot, context, dialog.remove(model.name))
    assert context.library.setting("diffusion_model", "") == ""


def test_a_vision_model_is_paired_from_its_projector_and_chosen_for_captions(
        qtbot, context, dialog, tmp_path, monkeypatch):
    """A creator picks the mmproj file first: the dialog asks for its language model, adds
    the two as one vision model, and it can be chosen for captions."""
    from PySide6.QtWidgets import QFileDialog

    from tests.core.test_vision_pairs import language_model, projector

    lm = language_model(tmp_path / "SmolVLM-Tiny.gguf")
    mm = projector(tmp_path / "mmproj-SmolVLM-Tiny.gguf")
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(mm)], "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, title, *a, **k: (asked.append(title)
                                                                     or str(lm), "")))
    settle(qtbot, context, dialog.add_file(copy=False))
    assert asked and "is a vision projector: choose its language model" in asked[0]
    assert "vision caption model" in dialog.message.text()
    item = dialog.row(lm.name)
    assert (item.kind, item.projector) == ("vision", str(mm))
    assert cells(dialog, lm.name)[1] == "vision"
    assert dialog.row(mm.name) is None  # one model, not two rows
    settle(qtbot, context, dialog.use(lm.name))
    assert "as their caption model" in dialog.message.text()
    from remix_desktop.core.library import Library

    with Library(context.home) as library:
        assert ModelStore(library).chosen("caption") == lm.name


def test_quantize_from_the_dialog_then_remove_the_original_or_stop_half_way(
        qtbot, context, dialog, sdxs, questions):
    model, _taesd = sdxs
    asked, answers = questions
    settle(qtbot, context, dialog.add_file(model, copy=False))
    job = dialog.quantize(model.name, "q4_0")
    assert job is not None and dialog.cancel_button.isEnabled()
    settle(qtbot, context, job)
    qtbot.waitUntil(lambda: dialog.row(model.name) is None, timeout=TIMEOUT)  # removed
    settle(qtbot, context, dialog.refresh())
    made = dialog.row(f"{model.stem}-q4_0.gguf")
    assert (made.kind, made.family, made.weight_type, made.derived_from) == (
        "diffusion", "sdxs", "q4_0", model.name)
    assert any(title == "Remove the original?" for title, _ in asked)
    assert model.is_file(), "a referenced original is forgotten, never deleted"
    dialog.table.selectRow(next(i for i, m in enumerate(dialog.items) if m.id == made.id))
    assert not dialog.quantize_button.isEnabled()  # quantized here already

    settle(qtbot, context, dialog.add_file(model, copy=False))
    job = dialog.quantize(model.name, "q8_0")
    qtbot.waitUntil(lambda: dialog.progress.maximum() > 0, timeout=TIMEOUT)  # tensors counted
    dialog.cancel()
    settle(qtbot, context, job, JobState.CANCELLED)
    assert not list(context.home.models.glob("*-q8_0.gguf*"))  # nothing left, not a part
    assert dialog.row(model.name) is not None and model.is_file()
