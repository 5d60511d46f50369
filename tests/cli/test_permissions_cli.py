"""`remix-desktop permissions export|import` as a real process: conflicts, the file's own
library switches, hostile JSON and exports that cannot be written, each in one sentence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.library import Library
from tests.core.test_consent import add_videos

NO_DAC = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


def cli(home: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "remix_desktop", "--home", str(home),
                           *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def home4(tmp_path) -> Path:
    """A home whose library holds four videos (fp0..fp3, /videos/clip0.mp4..), on default."""
    root = tmp_path / "home4"
    with Library(Home(root)) as library:
        add_videos(library, 4)
    return root


def listing(home: Path) -> list[dict]:
    result = cli(home, "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def one_sentence(result: subprocess.CompletedProcess, *words: str) -> str:
    where = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode == 2, where
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("remix-desktop: "), where
    assert lines[0].endswith(".") and "unexpected error" not in lines[0], where
    assert "Traceback" not in result.stderr, where
    for word in words:
        assert word in lines[0], where
    return lines[0]


def test_conflicting_rows_apply_the_strictest_and_exit_1(home4, tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("fingerprint,path,permission\nfp0,,deny\nfp0,,allow\n"
                      "fp1,/videos/clip2.mp4,allow\n")
    result = cli(home4, "permissions", "import", str(source))
    assert result.returncode == 1, result.stderr
    assert [v["permission"] for v in listing(home4)] == ["deny", "default", "default",
                                                         "default"]
    assert "conflict for /videos/clip0.mp4: entries 2 and 3 disagree" in result.stderr
    assert "the strictest, deny, was applied" in result.stderr
    assert "skipped /videos/clip2.mp4: entry 4's fingerprint is that of video 2" in \
        result.stderr
    assert result.stdout.startswith("Matched 1 video from 3 entries;")  # no "(s)"


def test_a_files_optout_and_default_are_said_with_what_to_run(home4, tmp_path):
    assert cli(home4, "default", "allow").returncode == 0
    assert cli(home4, "permission", "allow", "1").returncode == 0
    source = tmp_path / "p.json"
    source.write_text(json.dumps({"library": {"optout": True, "default": "deny"},
                                  "videos": [{"fingerprint": "fp0", "permission": "allow"}]}))
    result = cli(home4, "permissions", "import", str(source))
    assert result.returncode == 1, result.stderr
    assert ("Warning: The file says the bulk opt-out was on, but it is off in this library "
            "and was not applied: 4 videos may be remixed here") in result.stderr
    assert "run 'remix-desktop optout on' to turn it on." in result.stderr
    assert "run 'remix-desktop default deny'" in result.stderr
    status = cli(home4, "optout", "status")
    assert "Bulk opt-out is off" in status.stdout  # reported, not applied behind the back


def test_a_round_trip_in_the_same_library_is_complete_and_exit_0(home4, tmp_path):
    target = tmp_path / "p.json"
    assert cli(home4, "optout", "on").returncode == 0
    assert cli(home4, "permissions", "export", str(target)).returncode == 0
    result = cli(home4, "permissions", "import", str(target))
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("text, words", [
    ('{"videos": [{"fingerprint": "fp0", "permission": "deny", "n": ' + "1" * 5000 + "}]}",
     ("cannot be read", "entry 1 holds a number of more than")),
    ("[" * 100_000 + "]" * 100_000, ("cannot be read", "nested too deeply")),
], ids=["5000-digit number", "100000-deep list"])
def test_hostile_json_is_one_sentence_not_an_unexpected_error(home4, tmp_path, text, words):
    source = tmp_path / "p.json"
    source.write_text(text)
    one_sentence(cli(home4, "permissions", "import", str(source)), *words)
    assert {v["permission"] for v in listing(home4)} == {"default"}


def test_export_into_a_missing_folder_is_one_sentence(home4, tmp_path):
    missing = tmp_path / "nope"
    one_sentence(cli(home4, "permissions", "export", str(missing / "p.csv")),
                 f"The folder {missing} does not exist.")


def test_export_name_over_255_bytes_is_one_sentence(home4, tmp_path):
    name = "é" * 130 + ".csv"
    one_sentence(cli(home4, "permissions", "export", str(tmp_path / name)),
                 "bytes long, more than the 255 a file system takes; choose a shorter one")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]
    ok = tmp_path / ("é" * 124 + "abc.csv")  # 255 bytes: its temporary's name was too long
    result = cli(home4, "permissions", "export", str(ok))
    assert result.returncode == 0, result.stderr
    assert ok.read_text().count("\n") == 5


ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.skipif(ROOT and shutil.which("setpriv") is None,
                    reason="root needs setpriv to run the command without DAC override")
def test_export_into_a_read_only_folder_is_one_sentence(home4, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = one_sentence(cli(home4, "permissions", "export", str(folder / "p.csv"),
                                prefix=NO_DAC if ROOT else ()),
                            "cannot be written because its folder is read-only",
                            "make the folder writable or choose another one")
        assert str(folder / "p.csv") in line
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)
