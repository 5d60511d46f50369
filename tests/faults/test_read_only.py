"""A read-only data home. Root bypasses file permissions, so the commands run without that
capability (setpriv, as in test_importer), or the home is a tmpfs remounted read-only.

Reading still works where SQLite can keep its -wal/-shm files beside the database; every
write fails with one sentence saying the folder (or the library file) is read-only; nothing
changes; and once the folder is writable again the same command works."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from remix_desktop.core.home import Home

from .support import NO_DAC, assert_clear_error, cli, decodes, state

needs_setpriv = pytest.mark.skipif(
    shutil.which("setpriv") is None or not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root and setpriv (util-linux) to run a command without DAC override")


def lock(*paths) -> None:
    for path in paths:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def unlock(*paths) -> None:
    for path in paths:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def home_with_a_preview(ready_home, tmp_path):
    made = cli(ready_home, "remix", "1", "--caption", "Made while writable", "--out",
               str(tmp_path / "made"))
    assert made.returncode == 0, made.stderr
    return ready_home


@needs_setpriv
def test_read_only_library_and_folders_read_fine_and_writes_say_read_only(
        home_with_a_preview, two_clips, tmp_path):
    """The library file, thumbnails and previews are read-only (the home folder itself is
    writable, so SQLite can keep its -wal and -shm files)."""
    home = home_with_a_preview
    h = Home(home)
    before = state(home)
    locked = (h.database, h.thumbnails, h.previews)
    lock(*locked)
    try:
        listed = cli(home, "list", "--json", prefix=NO_DAC)
        assert listed.returncode == 0, listed.stderr
        assert [v["permission"] for v in json.loads(listed.stdout)] == ["allow", "deny"]
        audit = cli(home, "audit", prefix=NO_DAC)
        assert audit.returncode == 0 and "#3" in audit.stdout, audit.stderr

        line = assert_clear_error(cli(home, "permission", "allow", "2", prefix=NO_DAC),
                                  "read-only", "not saved", "make it writable")
        assert str(h.database) in line
        line = assert_clear_error(
            cli(home, "import", str(two_clips / "extra"), prefix=NO_DAC),
            "read-only", "import stopped before any video was added")
        assert str(h.thumbnails) in line
        line = assert_clear_error(
            cli(home, "remix", "1", "--caption", "Not now", "--out", str(tmp_path / "out"),
                prefix=NO_DAC), "read-only", "preview was not saved")
        assert str(h.previews) in line

        target = tmp_path / "exported.png"  # an export only reads the home
        exported = cli(home, "export", "1", "--out", str(target), prefix=NO_DAC)
        assert exported.returncode == 0, exported.stderr
        assert decodes(target) == (1080, 1080)
    finally:
        unlock(*locked)

    assert state(home) == before, "a refused write changed something"
    assert not [p.name for p in (*h.previews.iterdir(), *h.thumbnails.iterdir())
                if p.name.endswith(".part")]
    again = cli(home, "permission", "allow", "2", prefix=NO_DAC)
    assert again.returncode == 0, again.stderr
    assert state(home)["videos"][1][3] == "allow"


def remount_read_only(small_disk, template_home):
    disk = small_disk("disk", "8m")
    home = disk / "home"
    shutil.copytree(template_home, home)
    result = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot remount a tmpfs read-only here ({result.stderr.strip()})")
    return home, ()


def chmod_all_read_only(tmp_path, template_home):
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to run a command without DAC override")
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    for folder, _dirs, files in os.walk(home):
        lock(Path(folder), *(Path(folder, name) for name in files))
    return home, NO_DAC


@pytest.mark.parametrize("how", ["remount-ro", "chmod-and-setpriv"])
def test_a_read_only_home_lists_and_says_read_only_on_writes(small_disk, tmp_path,
                                                               template_home, how):
    if how == "remount-ro":
        home, prefix = remount_read_only(small_disk, template_home)
    else:
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            pytest.skip("needs root")
        home, prefix = chmod_all_read_only(tmp_path, template_home)
    try:
        listed = cli(home, "list", "--json", prefix=prefix)
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)) == 2
        assert_clear_error(cli(home, "permission", "allow", "2", prefix=prefix), "read-only")
    finally:
        if how != "remount-ro":  # so that pytest can delete it
            for folder, _dirs, _files in os.walk(home):
                unlock(Path(folder))
