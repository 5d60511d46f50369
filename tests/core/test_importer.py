"""Importing real clips and every kind of bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from remix_desktop.core.importer import import_videos, run_import
from tests.conftest import GOOD_CLIPS


def test_imports_every_good_clip_with_its_facts(library, good_clips):
    report = run_import(library, [good_clips])
    assert not report.rejected
    by_name = {Path(v.path).relative_to(good_clips).as_posix(): v for v in report.imported}
    assert set(by_name) == set(GOOD_CLIPS)
    for name, (codec, width, height, duration, fps) in GOOD_CLIPS.items():
        video = by_name[name]
        assert (video.codec, video.width, video.height) == (codec, width, height)
        assert video.duration_s == pytest.approx(duration, abs=0.08)
        assert video.permission == "default"
        assert (library.home.thumbnails / video.thumbnail).stat().st_size > 1000
    assert library.count() == len(GOOD_CLIPS)


def test_bad_inputs_are_each_rejected_with_a_reason_and_good_ones_imported(
        library, good_clips, bad_dir, tmp_path):
    missing = tmp_path / "gone.mp4"
    report = run_import(library, [bad_dir, good_clips / "h264.mp4", missing,
                                  bad_dir / "folder.mp4", bad_dir / "readme.txt"])
    reasons = {Path(r.path).name: r.reason for r in report.rejected}
    assert reasons == {
        "zero.mp4": "the file is empty (0 bytes)",
        "notes.mp4": "it is not a video: its contents are in no video format",
        "audio-only.mp4": "it has no video stream (audio only)",
        "truncated.mp4": "it is a damaged or truncated MP4/MOV file (its index cannot be read)",
        "truncated.avi": reasons.get("truncated.avi"),
        "random.mkv": "it is not a video: its contents are in no video format",
        "pipe.mp4": "it is not a regular file",
        "gone.mp4": "there is no such file or folder",
        "folder.mp4": reasons.get("folder.mp4"),
        "readme.txt": "'.txt' is not a supported video type (.avi .m4v .mkv .mov .mp4 .webm)",
    }
    assert "AVI" in reasons["truncated.avi"]
    assert reasons["folder.mp4"].startswith("it is a folder named like a video")
    assert [Path(v.path).name for v in report.imported] == ["h264.mp4"]


def test_progress_is_reported_per_file_and_import_can_be_cancelled(library, good_clips):
    steps = []
    job = import_videos(library, [good_clips], cancelled=lambda: len(steps) >= 3)
    try:
        while True:
            steps.append(next(job))
    except StopIteration as stop:
        report = stop.value
    assert [s.done for s in steps] == [1, 2, 3]
    assert all(s.total == len(GOOD_CLIPS) for s in steps)
    assert report.cancelled and len(report.imported) == 3


def test_reimport_skips_and_moved_file_is_relinked(library, good_clips, tmp_path):
    first = run_import(library, [good_clips])
    again = run_import(library, [good_clips])
    assert not again.imported and len(again.skipped) == len(GOOD_CLIPS)
    video = next(v for v in first.imported if v.path.endswith("h264.mp4"))
    moved = tmp_path / "moved here.mp4"
    shutil.move(video.path, moved)
    report = run_import(library, [moved])
    assert [v.id for v in report.relinked] == [video.id]
    assert library.video(video.id).path == str(moved)


def test_a_copy_of_an_imported_video_is_rejected_as_duplicate(library, good_clips, tmp_path):
    run_import(library, [good_clips / "h264.mp4"])
    copy = tmp_path / "copy.mp4"
    shutil.copy(good_clips / "h264.mp4", copy)
    report = run_import(library, [copy])
    assert len(report.rejected) == 1
    assert "same content as video 1" in report.rejected[0].reason


def test_unreadable_file_is_rejected_and_others_imported(good_clips, tmp_path):
    """Root reads any file whatever its mode, so as root the import runs without the
    capabilities that bypass file permissions (setpriv, from util-linux)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(good_clips / "h264.mp4", folder / "ok.mp4")
    shutil.copy(good_clips / "clip.mov", folder / "locked.mov")
    (folder / "locked.mov").chmod(0)
    home = tmp_path / "home2"
    command = [sys.executable, "-m", "remix_desktop", "--home", str(home), "import",
               str(folder), "--json"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        command = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *command]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert [Path(v["path"]).name for v in out["imported"]] == ["ok.mp4"]
    assert out["rejected"] == [{"path": str(folder / "locked.mov"),
                                "reason": "it cannot be read (permission denied)"}]


def test_the_app_never_modifies_or_deletes_video_files(library, good_clips):
    before = {p: (p.stat().st_mtime, p.read_bytes()) for p in good_clips.rglob("*.*")}
    report = run_import(library, [good_clips])
    library.remove([v.id for v in report.imported])
    after = {p: (p.stat().st_mtime, p.read_bytes()) for p in good_clips.rglob("*.*")}
    assert before == after
    assert library.count() == 0
    assert not list(library.home.thumbnails.iterdir())
