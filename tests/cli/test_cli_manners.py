"""The CLI's manners with missing files, closed pipes, odd --home values and file names
that are not UTF-8: a plain sentence and the right exit code, never 'unexpected error'."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import cli


@pytest.fixture
def two(tmp_path, good_clips):
    home = tmp_path / "clihome"
    result = cli(home, "import", str(good_clips / "h264.mp4"), str(good_clips / "mpeg4.avi"),
                 "--json")
    assert result.returncode == 0, result.stderr
    ids = sorted(v["id"] for v in json.loads(result.stdout)["imported"])
    assert cli(home, "permission", "allow", *map(str, ids)).returncode == 0
    return home, ids, good_clips


def test_a_missing_file_shows_in_list_and_remix_says_how_to_relink(two, tmp_path):
    home, (a, b), clips = two
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(clips / "mpeg4.avi", moved / "renamed.avi")
    listing = json.loads(cli(home, "list", "--json").stdout)
    assert {v["id"]: v["file"] for v in listing} == {a: "ok", b: "missing"}
    text = cli(home, "list").stdout
    assert "missing" in text and "remix-desktop locate FOLDER" in text

    result = cli(home, "remix", str(b), "--caption", "hi", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "unexpected" not in result.stderr
    assert "is missing" in result.stderr and f"remix-desktop relink {b}" in result.stderr

    result = cli(home, "locate", str(moved))
    assert result.returncode == 0, result.stderr
    assert f"Relinked video {b}" in result.stdout
    listing = json.loads(cli(home, "list", "--json").stdout)
    assert {v["id"]: v["file"] for v in listing} == {a: "ok", b: "ok"}


def test_relink_command(two, tmp_path):
    home, (a, b), clips = two
    target = tmp_path / "there.mp4"
    shutil.move(clips / "h264.mp4", target)
    wrong = cli(home, "relink", str(a), str(clips / "mpeg4.avi"))
    assert wrong.returncode == 2 and "is not the file of video" in wrong.stderr
    right = cli(home, "relink", str(a), str(target))
    assert right.returncode == 0, right.stderr
    assert json.loads(cli(home, "list", "--json").stdout)[0]["path"] == str(target)


def test_a_changed_file_is_refused_with_exit_code_3(two, tmp_path):
    home, (a, b), clips = two
    shutil.copyfile(clips / "h264.mp4", clips / "mpeg4.avi")
    result = cli(home, "remix", str(b), "--caption", "hi", "--out", str(tmp_path / "out"))
    assert result.returncode == 3
    assert "has changed since it was imported" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_moving_onto_a_known_path_and_importing_again(two):
    home, (a, b), clips = two
    os.replace(clips / "h264.mp4", clips / "mpeg4.avi")
    result = cli(home, "import", str(clips / "mpeg4.avi"), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [v["id"] for v in out["relinked"]] == [a]
    assert out["replaced"] and f"video {b}" in out["replaced"][0]["reason"]
    listing = {v["id"]: v for v in json.loads(cli(home, "list", "--json").stdout)}
    assert listing[a]["file"] == "ok" and listing[b]["file"] == "changed"


def test_a_closed_pipe_ends_quietly(two):
    home, ids, clips = two
    command = (f"{sys.executable} -m remix_desktop --home {home} list | head -1; "
               f"exit ${{PIPESTATUS[0]}}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.startswith("   ID")
    assert result.stderr == ""
    assert result.returncode in (0, 141)
    # and with far more output than a pipe holds
    big = subprocess.run(["bash", "-c", f"{sys.executable} -m remix_desktop --home {home} "
                          "audit --json | head -c 10"], capture_output=True, text=True,
                         timeout=60)
    assert big.stderr == ""


def test_home_must_be_a_folder(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    for value in (str(a_file), str(a_file / "inside"), "", "  "):
        result = subprocess.run([sys.executable, "-m", "remix_desktop", "--home", value,
                                 "list"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, value
        assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
        assert "--home" in result.stderr
    # the window mode too: a usage error before Qt is loaded, no traceback
    result = subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(a_file)],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr
    env = {**os.environ, "REMIX_DESKTOP_HOME": str(a_file)}
    result = subprocess.run([sys.executable, "-m", "remix_desktop", "list"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2 and "REMIX_DESKTOP_HOME" in result.stderr


def test_a_name_that_is_not_utf8_is_refused_and_json_stays_valid(tmp_path, clip_dir):
    folder = tmp_path / "odd"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), b"caf\xe9-latin1.mp4")
    shutil.copyfile(clip_dir / "h264.mp4", bad)
    shutil.copyfile(clip_dir / "clip.mov", folder / "fine.mov")
    home = tmp_path / "h"
    result = cli(home, "import", str(folder), "--json")
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)  # valid JSON
    assert [Path(v["path"]).name for v in out["imported"]] == ["fine.mov"]
    (rejected,) = out["rejected"]
    assert "not valid UTF-8" in rejected["reason"]
    assert rejected["path"].endswith("caf\ufffd-latin1.mp4")
    text = cli(home, "import", str(folder))
    assert "not valid UTF-8" in text.stdout and "unexpected" not in text.stderr
