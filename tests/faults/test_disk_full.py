"""The data home on a nearly full disk (a small tmpfs, filled): import, a permission change and
a remix each fail with one sentence that says the disk is full (exit code 2, no traceback),
nothing already stored is lost, and once space is freed the same command works. An export
only reads the home; an export into a full folder says that folder's disk is full."""

from __future__ import annotations

import json
import shutil

import pytest

from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import LibraryError
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library

from .support import assert_clear_error, cli, decodes, fill, state

# What opening the library needs on this disk (its 32 KiB -shm index and the first page of
# its -wal), and not one page more: the open works, the first write does not.
OPEN_ONLY = 36 * 1024


@pytest.fixture
def full_home(small_disk, template_home, tmp_path):
    """(disk, home) with two videos, permissions, and one preview made on the small disk."""
    disk = small_disk("disk", "6m")
    home = disk / "home"
    shutil.copytree(template_home, home)
    made = cli(home, "remix", "1", "--caption", "Made before the disk filled", "--out",
               str(tmp_path / "made"))
    assert made.returncode == 0, made.stderr
    return disk, home


OPERATIONS = {
    "import": (("import", "{extra}"), "full", "import again"),
    "permission": (("permission", "allow", "2"), "full", "try again"),
    "remix": (("remix", "1", "--caption", "On a full disk", "--style", "sketch", "--out",
               "{out}"), "full", "try again"),
}


def args_for(name, two_clips, tmp_path):
    args, *_ = OPERATIONS[name]
    return [a.format(extra=two_clips / "extra" / "later.mp4", out=tmp_path / "out")
            for a in args]


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_full_disk_is_said_so_nothing_is_lost_and_freeing_space_fixes_it(
        full_home, two_clips, tmp_path, name):
    disk, home = full_home
    args = args_for(name, two_clips, tmp_path)
    before = state(home)
    filler = fill(disk, leave=OPEN_ONLY)

    line = assert_clear_error(cli(home, *args), "disk", *OPERATIONS[name][1:])
    assert str(disk) in line
    if name == "permission":  # reading needs no space: the library can still be listed
        listed = cli(home, "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [v["id"] for v in json.loads(listed.stdout)] == [1, 2]

    filler.unlink()
    assert state(home) == before, "something stored before the failure changed"
    previews, thumbnails = Home(home).previews, Home(home).thumbnails
    assert not [p for p in (*previews.iterdir(), *thumbnails.iterdir())
                if p.name.endswith(".part")], "a failed write left a temporary file"
    for row in before["previews"]:
        assert decodes(previews / row[3]) == (1080, 1080)

    again = cli(home, *args)
    assert again.returncode == 0, again.stderr
    after = state(home)
    if name == "import":
        assert len(after["videos"]) == 3 and (thumbnails / after["videos"][2][5]).is_file()
    elif name == "permission":
        assert after["videos"][1][3] == "allow" and len(after["audit"]) == len(before["audit"]) + 1
    else:
        assert len(after["previews"]) == len(before["previews"]) + 1


def test_an_export_from_a_full_home_works(full_home, tmp_path):
    """An export only reads the home: a full data disk does not stop it."""
    disk, home = full_home
    fill(disk, leave=OPEN_ONLY)
    target = tmp_path / "approved.png"
    result = cli(home, "export", "1", "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert decodes(target) == (1080, 1080)


def test_an_export_into_a_full_folder_is_said_so_and_works_after(full_home, small_disk):
    disk, home = full_home
    folder = small_disk("exports", "1m")
    earlier = folder / "earlier.txt"
    earlier.write_text("an earlier file")
    filler = fill(folder, leave=8 * 1024)
    target = folder / "approved.png"

    line = assert_clear_error(cli(home, "export", "1", "--out", str(target)),
                              "disk is full", "free some space")
    assert str(target) in line
    assert sorted(p.name for p in folder.iterdir()) == ["earlier.txt", "filler.bin"], \
        "nothing half-written is left in the folder"
    assert earlier.read_text() == "an earlier file"

    filler.unlink()
    result = cli(home, "export", "1", "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert decodes(target) == (1080, 1080)


def test_a_completely_full_disk_is_not_called_damage(full_home):
    disk, home = full_home
    fill(disk, leave=0)
    listed = cli(home, "list")
    if listed.returncode != 0:
        assert_clear_error(listed, "full")
    assert_clear_error(cli(home, "permission", "allow", "2"), "full")


def test_a_long_lived_connection_survives_a_full_disk(full_home):
    """The window keeps one connection open for hours: a write that fails for lack of space
    is rolled back, said clearly, and the same connection works once there is space."""
    disk, home = full_home
    with Library(Home(home)) as library:
        consent = Consent(library)
        before = state(home)
        filler = fill(disk, leave=0)
        with pytest.raises(LibraryError, match="is full, so the change was not saved"):
            library.set_info(1, description="A long story. " * 100_000)  # needs new pages
        assert not library.conn.in_transaction
        assert library.video(1).description == ""
        assert [v.id for v in library.videos()] == [1, 2]
        filler.unlink()
        assert state(home) == before
        consent.set_permission([2], "allow")
        assert library.video(2).permission == "allow"
