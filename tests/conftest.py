"""Shared fixtures: an isolated data home, and real encoded clips made once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.library import Library

from . import clips as make

GOOD_CLIPS = {
    # name: (codec as PyAV names it, displayed width, height, duration_s, fps)
    "h264.mp4": ("h264", 320, 180, 2.0, 25.0),
    "vp9.webm": ("vp9", 320, 180, 2.0, 25.0),
    "mpeg4.avi": ("mpeg4", 320, 180, 2.0, 25.0),
    "clip.mov": ("h264", 256, 144, 1.0, 30.0),
    "phone.mp4": ("h264", 180, 320, 1.0, 25.0),
    "opencv.mp4": ("mpeg4", 320, 240, 2.0, 15.0),
    "My Clips é/Café ☕ morning 🎬.mkv": ("h264", 320, 180, 1.0, 25.0),
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test ever touches the real user-data folder."""
    monkeypatch.setenv("REMIX_DESKTOP_HOME", str(tmp_path / "home"))


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home").ensure()


@pytest.fixture
def library(home):
    with Library(home) as lib:
        yield lib


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    """A folder of real, good clips of every kind the app supports, each of other pictures
    (the same pictures in two files are copies of one video)."""
    root = tmp_path_factory.mktemp("clips")
    make.make_clip(root / "h264.mp4", extra=(
        "-movflags", "+faststart", "-metadata", "title=First morning coffee",
        "-metadata", "comment=The first sip of the day", "-metadata", "keywords=coffee,morning"))
    make.make_clip(root / "vp9.webm", codec="libvpx-vp9", source="mandelbrot",
                   extra=("-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"))
    make.make_clip(root / "mpeg4.avi", codec="mpeg4", source="testsrc")
    make.make_clip(root / "clip.mov", size="256x144", seconds=1, rate=30, source="smptehdbars")
    landscape = make.make_clip(root / "phone-src.mp4", seconds=1, source="rgbtestsrc")
    make.rotate_tag(landscape, root / "phone.mp4", -90)
    landscape.unlink()
    make.make_opencv_clip(root / "opencv.mp4")
    (root / "My Clips é").mkdir()
    make.make_clip(root / "My Clips é" / "Café ☕ morning 🎬.mkv", seconds=1,
                   source="life=mold=10:seed=7")
    return root


@pytest.fixture
def good_clips(clip_dir, tmp_path) -> Path:
    """A private copy of the good clips (tests may move or rename them)."""
    target = tmp_path / "videos"
    shutil.copytree(clip_dir, target)
    return target


@pytest.fixture(scope="session")
def bad_dir(tmp_path_factory, clip_dir) -> Path:
    """Every kind of bad input the importer must survive, each with its own reason."""
    root = tmp_path_factory.mktemp("bad")
    (root / "zero.mp4").write_bytes(b"")
    (root / "notes.mp4").write_text("These are my notes, not a video.\n")
    make.make_audio_only(root / "audio-only.mp4")
    whole = (clip_dir / "mpeg4.avi").read_bytes()
    make.make_clip(root / "moov-at-end.mp4", seconds=2)  # index written last
    data = (root / "moov-at-end.mp4").read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (root / "moov-at-end.mp4").unlink()
    (root / "truncated.avi").write_bytes(whole[:300])
    (root / "random.mkv").write_bytes(os.urandom(64 * 1024))
    (root / "folder.mp4").mkdir()
    os.mkfifo(root / "pipe.mp4")  # opening it for reading would block forever
    (root / "readme.txt").write_text("not a video")
    return root
