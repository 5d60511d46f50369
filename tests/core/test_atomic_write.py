"""atomic_files.atomic_write, the one way the app puts a file in place: whole or not at all, never
over a file it must not replace, no temporary left behind. Real files on the real disk."""

from __future__ import annotations

import os
import stat

import pytest

from remix_desktop.core.atomic_files import atomic_write


def test_a_write_replaces_whole_and_leaves_nothing_beside(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    atomic_write(target, lambda fh: fh.write(b"new" * 1000))
    assert target.read_bytes() == b"new" * 1000
    assert os.listdir(tmp_path) == ["a.bin"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_failing_writer_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def half(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write(target, half)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.bin"]


def test_no_clobber_never_replaces_and_says_so(tmp_path, monkeypatch):
    target = tmp_path / "a.bin"
    atomic_write(target, lambda fh: fh.write(b"first"), no_clobber=True)
    with pytest.raises(FileExistsError):
        atomic_write(target, lambda fh: fh.write(b"second"), no_clobber=True)
    assert target.read_bytes() == b"first" and os.listdir(tmp_path) == ["a.bin"]

    # where the file system has no hard links, a file that is there is still never replaced
    def no_links(*args):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with pytest.raises(FileExistsError):
        atomic_write(target, lambda fh: fh.write(b"third"), no_clobber=True)
    fresh = tmp_path / "b.bin"
    atomic_write(fresh, lambda fh: fh.write(b"b"), no_clobber=True)
    assert target.read_bytes() == b"first" and fresh.read_bytes() == b"b"
    assert sorted(os.listdir(tmp_path)) == ["a.bin", "b.bin"]


def test_a_folder_that_takes_no_file_is_marked_nothing_written(tmp_path):
    with pytest.raises(OSError) as raised:
        atomic_write(tmp_path / "missing" / "a.bin", lambda fh: fh.write(b"x"))
    assert getattr(raised.value, "nothing_written", False)
