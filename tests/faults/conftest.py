"""Fixtures for the fault tests: many small real clips, a ready library to copy, the default
caption model linked into a home, and small tmpfs disks (root only)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.model_manifest import DEFAULT_CAPTION_MODEL, caption_model_path, manifest
from tests.clips import ffmpeg, make_clip

from .support import cli

CLIPS = 48  # 0.4 s each, 160x90: an import of all of them takes about a second


@pytest.fixture(scope="session")
def many_clips(tmp_path_factory) -> Path:
    """A folder of CLIPS distinct real H.264 clips, cut from one encode in one ffmpeg run."""
    root = tmp_path_factory.mktemp("many-clips")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-t", str(CLIPS * 0.4),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-keyint_min", "10",
           "-sc_threshold", "0", "-f", "segment", "-segment_time", "0.4",
           "-reset_timestamps", "1", str(root / "clip-%03d.mp4"))
    assert len(list(root.glob("*.mp4"))) >= CLIPS - 1
    return root


@pytest.fixture(scope="session")
def two_clips(tmp_path_factory) -> Path:
    """Two 1-second clips (a second one to import later lives in `extra/`)."""
    root = tmp_path_factory.mktemp("two-clips")
    make_clip(root / "coffee.mp4", seconds=1)
    make_clip(root / "walk.mp4", seconds=1, source="mandelbrot")
    (root / "extra").mkdir()
    make_clip(root / "extra" / "later.mp4", seconds=1, size="160x90", source="rgbtestsrc")
    return root


@pytest.fixture(scope="session")
def template_home(tmp_path_factory, two_clips) -> Path:
    """A home with two videos: 1 allowed, 2 denied (so the audit has entries)."""
    home = tmp_path_factory.mktemp("template") / "home"
    assert cli(home, "import", str(two_clips / "coffee.mp4"),
               str(two_clips / "walk.mp4")).returncode == 0
    assert cli(home, "permission", "allow", "1").returncode == 0
    assert cli(home, "permission", "deny", "2").returncode == 0
    return home


@pytest.fixture
def ready_home(tmp_path, template_home) -> Path:
    """A private copy of the template home."""
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    return home


@pytest.fixture(scope="session")
def caption_model(tmp_path_factory) -> Path:
    """The real default caption model, assembled once."""
    return caption_model_path(Home(tmp_path_factory.mktemp("gemma")).ensure())


def link_model(home: Path, model: Path) -> None:
    """Give `home` the default caption model without copying 250 MB (a hard link keeps the
    size and modification time its verification stamp records)."""
    entry = manifest()[DEFAULT_CAPTION_MODEL]
    models = Home(home).ensure().models
    os.link(model, models / entry.file)
    shutil.copy(model.with_name(model.name + ".verified"), models / (entry.file + ".verified"))


@pytest.fixture
def small_disk(tmp_path):
    """mount(name, size) -> a folder that is a small tmpfs of its own; unmounted after."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root: the disk-full and read-only "
                        "tests run as root (or in a container that allows mount)")
        folder = tmp_path / name
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755",
                                 "tmpfs", str(folder)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"mounting a small tmpfs is not permitted here "
                        f"({result.stderr.strip() or 'mount failed'})")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
