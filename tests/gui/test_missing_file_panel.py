"""The remix panel for a video whose file is missing or changed: it says which file and
how to relink it, offers nothing that would read it, and Locate… relinks it by content."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core.importer import run_import  # noqa: E402

TIMEOUT = 60_000


@pytest.fixture
def video(context, good_clips):
    video = run_import(context.library, [good_clips / "h264.mp4"]).imported[0]
    context.consent.set_permission([video.id], "allow")
    return video


def test_a_missing_file_is_said_with_locate_and_generate_stays_off(qtbot, context, panel,
                                                                     video, tmp_path):
    moved = tmp_path / "moved.mp4"
    shutil.move(video.path, moved)
    panel.set_video(video.id)
    assert panel.file_banner.isVisible()
    text = panel.file_banner.text_label.text()
    assert "is missing" in text and video.path in text
    assert panel.file_banner.locate_button.isVisible()
    assert "Locate…" in text and "remix-desktop" not in text  # the window's own fix
    assert "Locate" in panel.scrubber.view.placeholder()  # no frame read of a missing file
    assert not panel.write_button.isEnabled()
    assert not panel.suggest_button.isEnabled()
    assert not panel.generate_button.isEnabled()
    assert not panel.denied_banner.isVisible()  # it is allowed; the file is the problem

    relinked = []
    panel.file_banner.relinked.connect(relinked.append)
    panel.file_banner.locate(str(moved))
    qtbot.waitUntil(lambda: not panel.file_banner.isVisible(), timeout=TIMEOUT)
    assert relinked == [video.id]
    assert context.library.video(video.id).path == str(moved)
    assert panel.write_button.isEnabled() and panel.suggest_button.isEnabled()


def test_locate_with_another_clip_is_refused_and_said(qtbot, context, panel, video, good_clips,
                                                      tmp_path):
    shutil.move(video.path, tmp_path / "away.mp4")
    panel.set_video(video.id)
    messages = []
    panel.file_banner.failed.connect(messages.append)
    panel.file_banner.locate(str(good_clips / "clip.mov"))
    qtbot.waitUntil(lambda: bool(messages), timeout=TIMEOUT)
    assert "is not the file of video" in messages[0]
    assert panel.file_banner.isVisible() and panel.file_banner.locate_button.isEnabled()
    assert context.library.video(video.id).path == video.path


def test_a_changed_file_is_said_without_locate(qtbot, context, panel, video, good_clips):
    shutil.copyfile(good_clips / "clip.mov", video.path)  # other content, same name
    panel.set_video(video.id)
    assert panel.file_banner.isVisible()
    assert "has changed since it was imported" in panel.file_banner.text_label.text()
    assert not panel.file_banner.locate_button.isVisible()
    assert not panel.generate_button.isEnabled()


def test_a_file_gone_after_selection_is_shown_when_the_gate_refuses(qtbot, context, panel,
                                                                    video, tmp_path):
    panel.set_video(video.id)
    assert not panel.file_banner.isVisible() and panel.write_button.isEnabled()
    shutil.move(video.path, tmp_path / "gone.mp4")  # after the panel looked
    job = panel.write_captions()
    qtbot.waitUntil(lambda: panel.file_banner.isVisible(), timeout=TIMEOUT)
    assert type(job.error).__name__ == "VideoFileProblem" and job.error.state == "missing"
    assert not panel.write_button.isEnabled()
