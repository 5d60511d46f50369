"""Captions a creator would keep: every caption written or typed in the remix panel is kept in
the real library (SQLite) and shown again after switching videos and after a restart (a new
AppContext on the same home); stars, edits and deletions persist; a camera-named clip with
nothing to go on asks for one line, kept as its description. The real caption model runs in
the engine's worker process, offscreen."""

from __future__ import annotations

import contextlib
import shutil

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402

from remix_desktop.core.captions_store import CaptionStore  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.gui.context import AppContext  # noqa: E402
from remix_desktop.gui import remix_captions  # noqa: E402
from remix_desktop.gui.remix_captions import SOURCE_ROLE  # noqa: E402
from remix_desktop.gui.remix_panel import RemixPanel  # noqa: E402

from .conftest import open_panel  # noqa: E402
from .test_remix_panel import ENGINE_TIMEOUT, TIMEOUT, finish  # noqa: E402


def settle(context):
    assert context.jobs.wait(TIMEOUT)
    QCoreApplication.processEvents()


def show(qtbot, panel, video_id):
    panel.set_video(video_id)
    settle(panel.context)


@contextlib.contextmanager
def restarted(qtbot, context, panel):
    """Close the panel and the context, open both again on the same home, and yield the new
    panel; the new context is closed after."""
    home = context.home
    panel.close()
    context.jobs.cancel_all()
    settle(context)
    context.close()
    again = AppContext(home)
    try:
        yield open_panel(qtbot, again)
    finally:
        again.jobs.cancel_all()
        settle(again)
        again.close()


@pytest.fixture
def two(context, good_clips):
    """Two allowed clips: the coffee one (it has a title) and another."""
    videos = run_import(context.library, [good_clips / "h264.mp4",
                                          good_clips / "mpeg4.avi"]).imported
    context.consent.set_permission([v.id for v in videos], "allow")
    return videos


@pytest.fixture
def camera_clip(context, clip_dir, tmp_path):
    """A clip named as a phone names it, with no title, description or tags."""
    folder = tmp_path / "camera"
    folder.mkdir()
    target = folder / "IMG_4821.MOV"
    shutil.copy(clip_dir / "clip.mov", target)
    video = run_import(context.library, [target]).imported[0]
    assert (video.title, video.description, tuple(video.tags)) == ("", "", ())
    context.consent.set_permission([video.id], "allow")
    return video


def test_written_captions_come_back_after_switching_videos_and_a_restart(qtbot, context, two):
    coffee, other = two
    panel = open_panel(qtbot, context)
    show(qtbot, panel, coffee.id)
    assert panel.caption_list.count() == 0
    finish(qtbot, context, panel.write_captions(), ENGINE_TIMEOUT)
    settle(context)
    written = panel.caption_list.texts()
    assert len(written) == 4, written
    sources = {panel.caption_list.item(i).data(SOURCE_ROLE) for i in range(4)}
    assert sources <= {"model", "template"}
    kept = CaptionStore(context.library).list(coffee.id)
    assert [c.text for c in kept] == written
    assert all(c.source in ("model", "template") and c.seed is not None for c in kept)
    assert all(c.model_id == context.captions.model_id for c in kept if c.source == "model")

    show(qtbot, panel, other.id)
    assert panel.caption_list.count() == 0, "the other video has no captions"
    show(qtbot, panel, coffee.id)
    assert panel.caption_list.texts() == written
    assert not panel.caption_list.checked(), "kept captions come back unchecked"
    tip = panel.caption_list.item(0).toolTip()
    assert "model" in tip or "format" in tip, tip

    with restarted(qtbot, context, panel) as panel:
        show(qtbot, panel, coffee.id)
        assert panel.caption_list.texts() == written


def test_typed_edited_starred_and_deleted_captions_persist(qtbot, context, two):
    coffee, other = two
    panel = open_panel(qtbot, context)
    show(qtbot, panel, coffee.id)
    panel.caption_list.add_own("Me when the coffee kicks in", edit=False)
    panel.caption_list.add_own("POV: second cup", edit=False)
    panel.caption_list.add_own("Nobody:  me at 6am", edit=False)
    settle(context)
    kept = CaptionStore(context.library).list(coffee.id)
    assert [(c.text, c.source) for c in kept] == [
        ("Me when the coffee kicks in", "creator"), ("POV: second cup", "creator"),
        ("Nobody: me at 6am", "creator")]
    assert panel.caption_list.texts()[2] == "Nobody: me at 6am", "shown as kept (cleaned)"

    panel.caption_list.item(1).setText("POV: third cup")  # an edit
    settle(context)
    panel.caption_list.toggle_star(panel.caption_list.item(2))
    assert panel.caption_list.texts()[0] == "Nobody: me at 6am", "a starred one moves up"
    settle(context)
    item = panel.caption_list.item(1)
    assert item.text() == "Me when the coffee kicks in"
    panel.caption_list.clearSelection()
    item.setSelected(True)
    panel.delete_button.click()
    settle(context)
    assert panel.status_label.text() == ("Deleted your caption 'Me when the coffee kicks in'."
                                         " Undo with Ctrl+Z in the list.")  # (issue 13)
    kept = CaptionStore(context.library).list(coffee.id)
    assert [(c.text, c.starred, c.edited_at is not None) for c in kept] == [
        ("POV: third cup", False, True), ("Nobody: me at 6am", True, False)]

    show(qtbot, panel, other.id)
    show(qtbot, panel, coffee.id)
    assert panel.caption_list.texts() == ["Nobody: me at 6am", "POV: third cup"]

    with restarted(qtbot, context, panel) as panel:
        show(qtbot, panel, coffee.id)
        assert panel.caption_list.texts() == ["Nobody: me at 6am", "POV: third cup"]
        first = panel.caption_list.item(0)
        assert first.data(remix_captions.STAR_ROLE) and first.data(SOURCE_ROLE) == "own"
        assert "Yours" in first.toolTip()


def test_a_caption_typed_in_the_editor_is_kept(qtbot, context, two):
    coffee, _other = two
    panel = open_panel(qtbot, context)
    show(qtbot, panel, coffee.id)
    item = panel.caption_list.add_own()  # an empty row, its editor open
    settle(context)
    assert CaptionStore(context.library).list(coffee.id) == [], "nothing typed yet"
    item.setText("Me pretending this is my first cup")  # what the editor commits
    settle(context)
    kept = CaptionStore(context.library).list(coffee.id)
    assert [(c.text, c.source) for c in kept] == [("Me pretending this is my first cup",
                                                   "creator")]


def test_a_camera_clip_with_nothing_to_go_on_asks_what_happens(qtbot, context, camera_clip,
                                                               two):
    coffee, _other = two
    panel = open_panel(qtbot, context)
    show(qtbot, panel, coffee.id)
    assert panel.about_prompt.isHidden(), "a clip with a title gives something to go on"
    show(qtbot, panel, camera_clip.id)
    assert not panel.about_prompt.isHidden()
    assert panel.about_edit.placeholderText() == "What happens in this clip?"
    assert "Nothing to go on" in panel.about_prompt.explanation.text()

    panel.about_edit.setFocus()
    qtbot.keyClicks(panel.about_edit, "my cat knocks a glass off the table")
    qtbot.keyClick(panel.about_edit, Qt.Key.Key_Return)
    assert panel.about_prompt.isHidden(), "there is something to go on now"
    job = panel.caption_job
    assert job is not None, "Enter writes the captions with the line"
    finish(qtbot, context, job, ENGINE_TIMEOUT)
    settle(context)
    stored = context.library.video(camera_clip.id)
    assert stored.description == "my cat knocks a glass off the table"
    assert panel.description_edit.toPlainText() == stored.description
    assert panel.caption_list.count() == 4
    assert "fit any clip" not in panel.status_label.text()
    kept = CaptionStore(context.library).list(camera_clip.id)
    assert kept and all(c.topic and c.topic["context"] == "context" for c in kept), kept


def test_with_nothing_to_go_on_the_status_says_only_general_formats_were_used(
        qtbot, context, camera_clip):
    panel = open_panel(qtbot, context)
    show(qtbot, panel, camera_clip.id)
    finish(qtbot, context, panel.write_captions(), ENGINE_TIMEOUT)
    status = panel.status_label.text()
    assert "fit any clip" in status and "\n" not in status, status
    assert not panel.about_prompt.isHidden(), "still asked: nothing was said about the clip"
