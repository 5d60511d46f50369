"""The remix panel over a real library, real clips and the real default caption model (run in
the engine's worker process), offscreen."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402

from remix_desktop.core.export import COMPOSITE_WITH_AI, parse_xmp, read_xmp  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.gui.jobs import JobState  # noqa: E402
from remix_desktop.gui.remix_scrubber import FACE_TEXT, STRIP_FRAMES  # noqa: E402
from tests.clips import ffmpeg  # noqa: E402

ENGINE_TIMEOUT = 180_000  # the first caption job spawns the worker; the CPU may be shared
TIMEOUT = 60_000
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


@pytest.fixture
def coffee(context, clip_dir):
    """The H.264 clip (its container says: title "First morning coffee"), not yet allowed."""
    return run_import(context.library, [clip_dir / "h264.mp4"]).imported[0]


@pytest.fixture
def allowed(context, coffee):
    context.consent.set_permission([coffee.id], "allow")
    return coffee


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory):
    """Three seconds of a test pattern, then three of a real portrait (Grace Hopper)."""
    cbook = pytest.importorskip("matplotlib.cbook")
    portrait = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    folder = tmp_path_factory.mktemp("faces")
    target = folder / "interview.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=512x600:rate=25:duration=3",
           "-loop", "1", "-t", "3", "-i", str(portrait), "-filter_complex",
           "[1:v]scale=512:600,fps=25,format=yuv420p[p];[0:v]format=yuv420p[t];"
           "[t][p]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", str(target))
    return target


def finish(qtbot, context, job, timeout=TIMEOUT, state=JobState.FINISHED):
    """Wait until `job` ended and what it reported has reached the GUI thread."""
    assert job is not None
    qtbot.waitUntil(lambda: job.state not in ACTIVE, timeout=timeout)
    assert context.jobs.wait(timeout)  # its last signal is posted
    QCoreApplication.processEvents()
    assert job.state is state


def spy(monkeypatch, owner, name):
    """Record every call of owner.name (and still make it)."""
    calls = []
    real = getattr(owner, name)

    def recorder(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorder)
    return calls


def remix_controls(panel):
    return (panel.write_button, panel.more_button, panel.add_button, panel.generate_button,
            panel.suggest_button, panel.caption_list, panel.style_combo, panel.layout_combo,
            panel.size_combo)


def test_nothing_selected_says_so(panel):
    assert panel.stack.currentWidget() is panel.placeholder
    assert "Select a video" in panel.placeholder.text()
    assert panel.write_captions() is None and panel.generate() is None


def test_captions_previews_and_export_with_the_real_model(qtbot, context, panel, allowed,
                                                          tmp_path, monkeypatch):
    caption_calls = spy(monkeypatch, context.captions, "captions")
    panel.set_video(allowed.id)
    assert panel.title_edit.text() == "First morning coffee"
    qtbot.waitUntil(lambda: panel.scrubber.strip.thumbnail_count() == STRIP_FRAMES,
                    timeout=TIMEOUT)
    qtbot.waitUntil(lambda: panel.scrubber.view.image() is not None, timeout=TIMEOUT)
    assert panel.scrubber.time_label.text() == "0:01.00 / 0:02.00"

    panel.title_edit.setText("First morning coffee, again")  # typed, not yet saved
    job = panel.write_captions()
    assert panel.progress.isVisible() and panel.cancel_button.isEnabled()
    assert not panel.write_button.isEnabled(), "one caption run at a time"
    finish(qtbot, context, job, ENGINE_TIMEOUT)
    texts = panel.caption_list.texts()
    assert len(texts) == 4 and all(t.strip() for t in texts), texts
    assert context.library.video(allowed.id).title == "First morning coffee, again"
    assert not panel.progress.isVisible() and not panel.cancel_button.isEnabled()

    more = panel.more_button
    assert more.isEnabled()
    finish(qtbot, context, panel.write_captions(more=True), ENGINE_TIMEOUT)
    assert 4 < panel.caption_list.count() <= 8, "more captions are appended, not repeated"
    assert panel.caption_list.texts()[:4] == texts
    assert caption_calls == ["captions", "captions"], "the spy sees the engine being used"

    panel.caption_list.item(0).setText("Me when the coffee finally kicks in")
    for row in range(2, panel.caption_list.count()):
        panel.caption_list.item(row).setCheckState(Qt.CheckState.Unchecked)
    panel.style_combo.setCurrentIndex(panel.style_combo.findData("popart"))
    panel.layout_combo.setCurrentIndex(panel.layout_combo.findData("modern"))
    assert panel.style_combo.currentText() == "Pop art"
    job = panel.generate()
    finish(qtbot, context, job, TIMEOUT)

    ids = panel.gallery.preview_ids()
    assert len(ids) == 2 and panel.preview_list.count() == 2
    shown = {panel.gallery.previews[i].caption: panel.gallery.previews[i] for i in ids}
    assert set(shown) == {"Me when the coffee finally kicks in", texts[1]}
    for preview in shown.values():
        assert preview.path.is_file()
        assert preview.params["style"] == "popart" and preview.params["layout"] == "modern"
        assert preview.params["caption_seed"] is not None, "the model wrote it (then edited)"
        assert preview.params["frame_s"] == pytest.approx(1.0)
    qtbot.waitUntil(lambda: panel.gallery.thumbnails_loaded() == 2, timeout=TIMEOUT)
    chosen = panel.gallery.selected()
    assert chosen is not None and chosen.id in ids and panel.export_button.isEnabled()
    assert chosen.caption in panel.gallery.detail_label.text()
    assert "Pop art" in panel.preview_list.currentItem().toolTip()
    qtbot.waitUntil(lambda: panel.gallery.detail.image() is not None, timeout=TIMEOUT)

    target = tmp_path / "out" / "remix.png"
    target.parent.mkdir()
    finish(qtbot, context, panel.export_preview(chosen.id, target))
    props = parse_xmp(read_xmp(target))
    assert props["dc:title"] == chosen.caption
    assert props["Iptc4xmpExt:DigitalSourceType"] == COMPOSITE_WITH_AI
    assert json.loads(props["remix:Parameters"])["style"] == "popart"
    assert str(target) in panel.status_label.text()
    before = target.read_bytes()
    finish(qtbot, context, panel.export_preview(chosen.id, target), state=JobState.FAILED)
    assert "already exists" in panel.status_label.text()
    assert target.read_bytes() == before, "never over a file without force"


def test_a_denied_video_explains_why_and_never_reaches_the_engine(qtbot, context, panel, coffee,
                                                                   monkeypatch):
    caption_calls = spy(monkeypatch, context.captions, "captions")
    engine_calls = spy(monkeypatch, context.engine, "run")
    panel.set_video(coffee.id)  # left on default; the library default is deny
    assert not panel.denied_banner.isHidden()
    assert "it follows the library default, which is deny" in panel.denied_banner.text()
    assert not panel.denied_banner.allow_button.isHidden()
    for control in remix_controls(panel):
        assert not control.isEnabled(), control
    assert panel.write_captions() is None and panel.suggest_frames() is None
    panel.caption_list.add_own("Me when nobody asked", edit=False)
    assert panel.generate() is None
    for button in (panel.write_button, panel.generate_button, panel.suggest_button):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    panel.shortcuts["generate"].activated.emit()
    qtbot.waitUntil(lambda: panel.scrubber.strip.thumbnail_count() == STRIP_FRAMES,
                    timeout=TIMEOUT)  # the creator still sees the video's own frames
    assert context.jobs.wait(TIMEOUT)
    QCoreApplication.processEvents()
    assert panel.scrubber.face is None, "a denied frame is not even checked for faces"
    assert caption_calls == [] and engine_calls == []
    assert context.engine.starts == 0 and context.engine.pid is None
    assert panel.gallery.preview_ids() == []

    with qtbot.waitSignal(context.consentChanged, timeout=TIMEOUT):
        qtbot.mouseClick(panel.denied_banner.allow_button, Qt.MouseButton.LeftButton)
    assert panel.denied_banner.isHidden() and panel.allowed
    assert context.library.video(coffee.id).permission == "allow"
    assert panel.write_button.isEnabled() and panel.suggest_button.isEnabled()


def test_with_the_bulk_optout_on_the_optout_must_go_first(qtbot, context, panel, allowed):
    context.consent.set_optout(True)
    panel.set_video(allowed.id)
    text = panel.denied_banner.text()
    assert "the bulk opt-out is on" in text and "turn the bulk opt-out off first" in text
    assert panel.denied_banner.allow_button.isHidden(), "per-video allow would not help"
    assert not panel.generate_button.isEnabled() and not panel.write_button.isEnabled()
    context.consent.set_optout(False)
    context.consentChanged.emit()
    assert panel.denied_banner.isHidden() and panel.write_button.isEnabled()


def test_revoking_permission_clears_the_previews_at_once(qtbot, context, panel, allowed):
    panel.set_video(allowed.id)
    panel.caption_list.add_own("Me when the coffee kicks in", edit=False)
    panel.caption_list.add_own("POV: second cup", edit=False)
    assert panel.generate_button.isEnabled()
    finish(qtbot, context, panel.generate())
    assert panel.preview_list.count() == 2
    paths = [p.path for p in panel.gallery.previews.values()]
    assert all(p.is_file() for p in paths)
    assert all(p.params["caption_seed"] is None for p in panel.gallery.previews.values())

    context.consent.set_permission([allowed.id], "deny")
    context.consentChanged.emit()
    assert panel.preview_list.count() == 0 and panel.gallery.selected() is None
    assert not panel.export_button.isEnabled()
    assert "you denied this video (your choice)" in panel.denied_banner.text()  # as the row
    for control in remix_controls(panel):
        assert not control.isEnabled(), control
    assert not any(p.exists() for p in paths), "the core deleted the files"


def test_cancel_stops_the_caption_engine_and_the_next_run_works(qtbot, context, panel,
                                                                allowed):
    panel.set_video(allowed.id)
    assert panel.shortcuts["cancel"].key() == QKeySequence(Qt.Key.Key_Escape)
    job = panel.write_captions()

    def cancel_once_writing(done, total, message):
        if "writing" in message and panel.cancel_button.isEnabled():
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)

    with qtbot.waitSignal(job.signals.cancelled, timeout=ENGINE_TIMEOUT):
        job.signals.progress.connect(cancel_once_writing)
    finish(qtbot, context, job, state=JobState.CANCELLED)
    assert panel.caption_list.count() == 0 and panel.status_label.text() == "Stopped."
    assert context.engine.pid is None, "the worker process was stopped"
    assert panel.write_button.isEnabled() and not panel.cancel_button.isEnabled()

    again = panel.write_captions()
    finish(qtbot, context, again, ENGINE_TIMEOUT)
    assert panel.caption_list.count() == 4
    assert context.engine.starts == 2, "a fresh worker took the next job"


def test_suggest_frames_marks_them_and_jumps_to_the_best(qtbot, context, panel, allowed):
    panel.set_video(allowed.id)
    job = panel.suggest_frames()
    assert not panel.suggest_button.isEnabled() and panel.cancel_button.isEnabled()
    finish(qtbot, context, job)
    marks = panel.scrubber.marked_times()
    best = panel.scrubber.strip.best()
    assert marks and best in marks and all(0 <= t <= allowed.duration_s for t in marks)
    assert panel.scrubber.time() == pytest.approx(best, abs=0.001)
    assert panel.suggest_button.isEnabled()
    assert "Suggested" in panel.status_label.text()


def test_suggestions_for_a_video_no_longer_shown_are_dropped(qtbot, context, panel, allowed,
                                                            clip_dir):
    other = run_import(context.library, [clip_dir / "clip.mov"]).imported[0]
    context.consent.set_permission([other.id], "allow")
    panel.set_video(allowed.id)
    job = panel.suggest_frames()
    panel.set_video(other.id)
    qtbot.waitUntil(lambda: job.state not in ACTIVE, timeout=TIMEOUT)
    assert context.jobs.wait(TIMEOUT)
    QCoreApplication.processEvents()
    assert panel.video_id == other.id and panel.scrubber.marked_times() == []
    assert panel.scrubber.time() == pytest.approx(other.duration_s / 2, abs=0.001)


def test_a_frame_with_a_face_is_flagged(qtbot, context, panel, face_clip):
    video = run_import(context.library, [face_clip]).imported[0]
    context.consent.set_permission([video.id], "allow")
    panel.set_video(video.id)
    panel.scrubber.set_time(4.5)
    qtbot.waitUntil(lambda: not panel.face_warning.isHidden(), timeout=TIMEOUT)
    assert panel.face_warning.text() == FACE_TEXT
    panel.scrubber.set_time(1.0)
    qtbot.waitUntil(lambda: panel.face_warning.isHidden(), timeout=TIMEOUT)

    context.consent.set_permission([video.id], "deny")
    context.consentChanged.emit()
    with qtbot.waitSignal(panel.scrubber.frameShown, timeout=TIMEOUT) as shown:
        panel.scrubber.set_time(4.5)
    assert shown.args == [4.5, None] and panel.face_warning.isHidden()


def test_edited_info_is_saved_to_the_library(qtbot, context, panel, allowed):
    panel.set_video(allowed.id)
    panel.title_edit.setText("  Leg day  ")
    with qtbot.waitSignal(context.libraryChanged, timeout=TIMEOUT):
        panel.title_edit.editingFinished.emit()
    assert context.library.video(allowed.id).title == "Leg day"
    panel.tags_edit.setText("gym, morning, gym,  ")
    panel.description_edit.setPlainText("Squats before sunrise")
    with qtbot.waitSignal(context.libraryChanged, timeout=TIMEOUT):
        panel.tags_edit.editingFinished.emit()
    stored = context.library.video(allowed.id)
    assert stored.tags == ("gym", "morning") and stored.description == "Squats before sunrise"
    assert panel.info.save() is None, "nothing left to save"


def test_cancel_drops_the_renders_not_yet_made(qtbot, context, panel, allowed):
    panel.set_video(allowed.id)
    for i in range(6):
        panel.caption_list.add_own(f"POV: cup number {i + 1}", edit=False)
    job = panel.generate()
    panel.cancel()
    finish(qtbot, context, job, state=JobState.CANCELLED)
    assert panel.preview_list.count() < 6
    assert len(context.remixer(context.library).previews(allowed.id)) == \
        panel.preview_list.count()
    assert panel.generate_button.isEnabled() and panel.status_label.text() == "Stopped."


def test_export_through_the_dialog_replaces_only_what_was_confirmed(qtbot, context, panel,
                                                                   allowed, tmp_path,
                                                                   monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    panel.set_video(allowed.id)
    panel.caption_list.add_own("Me when the export works", edit=False)
    finish(qtbot, context, panel.generate())
    preview = panel.gallery.selected()
    assert panel.gallery.default_name(preview) == f"h264-remix-{preview.id}.png"
    real = panel.gallery.video  # a name from data is made plain and short enough to save
    panel.gallery.video = real._replace(path="/clips/../" + "é" * 300 + "\n/x:y.mp4")
    hostile = panel.gallery.default_name(preview)
    assert len(hostile.encode()) <= 255 and "/" not in hostile and "\n" not in hostile
    assert hostile.endswith(f"-remix-{preview.id}.png")
    panel.gallery.video = real
    answer = {"file": tmp_path / "mine.png", "asked": []}
    monkeypatch.setattr(QFileDialog, "exec", lambda dialog: 1)
    monkeypatch.setattr(QFileDialog, "selectedFiles", lambda dialog: [str(answer["file"])])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (
        answer["asked"].append(a[2]), QMessageBox.StandardButton.No)[1])

    answer["file"].write_bytes(b"old")  # the dialog itself asked before returning it
    finish(qtbot, context, panel.gallery.export_selected())
    assert parse_xmp(read_xmp(answer["file"]))["dc:title"] == "Me when the export works"

    answer["file"] = tmp_path / "other"  # no suffix: the chosen filter's is added
    (tmp_path / "other.png").write_bytes(b"keep me")
    assert panel.gallery.export_selected() is None, "declined in our own question"
    assert answer["asked"] and (tmp_path / "other.png").read_bytes() == b"keep me"


def test_keyboard_ctrl_g_generates(qtbot, context, panel, allowed):
    panel.set_video(allowed.id)
    panel.caption_list.add_own("POV: keyboard person", edit=False)
    panel.activateWindow()
    qtbot.waitActive(panel)
    panel.caption_list.setFocus()
    assert panel.generate_job is None
    qtbot.keyClick(panel.caption_list, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    finish(qtbot, context, panel.generate_job)
    assert panel.preview_list.count() == 1


def test_a_narrow_panel_puts_controls_and_previews_in_tabs(qtbot, context, panel, allowed):
    panel.set_video(allowed.id)
    assert panel.wide and panel.lower.isHidden()
    panel.resize(600, 760)
    qtbot.waitUntil(lambda: panel.wide is False)
    assert panel.tabs.isVisible() and panel.tabs.currentWidget() is panel.caption_page
    panel.caption_list.add_own("POV: the window got smaller", edit=False)
    assert panel.generate_button.isVisible()
    finish(qtbot, context, panel.generate())
    assert panel.tabs.currentWidget() is panel.previews_box, "the new preview comes to the front"
    assert panel.tabs.tabText(2) == "Previews (1)" and panel.preview_list.count() == 1
    panel.resize(1200, 860)
    qtbot.waitUntil(lambda: panel.wide is True)
    assert panel.lower.isHidden() and panel.previews_box.isVisible()
    assert panel.preview_list.count() == 1 and panel.generate_button.isVisible()
    assert panel.title_edit.isVisible() and panel.caption_list.isVisible()
