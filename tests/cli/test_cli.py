"""The CLI contract, run as a creator's script would run it: a real process on real clips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GOOD_CLIPS


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def imported(tmp_path, good_clips):
    home = tmp_path / "clihome"
    result = cli(home, "import", str(good_clips), "--json")
    assert result.returncode == 0, result.stderr
    return home, json.loads(result.stdout)


def test_import_json_lists_imported_and_rejected_with_exit_code_1(tmp_path, good_clips, bad_dir):
    home = tmp_path / "h"
    result = cli(home, "import", str(good_clips / "h264.mp4"), str(bad_dir), "--json")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert [Path(v["path"]).name for v in out["imported"]] == ["h264.mp4"]
    video = out["imported"][0]
    for key in ("id", "path", "duration_s", "width", "height", "fps", "permission",
                "effective", "reason"):
        assert key in video
    assert (video["permission"], video["effective"]) == ("default", "deny")
    assert {Path(r["path"]).name for r in out["rejected"]} == {
        "zero.mp4", "notes.mp4", "audio-only.mp4", "truncated.mp4", "truncated.avi",
        "random.mkv", "pipe.mp4"}
    assert all(r["reason"] for r in out["rejected"])


def test_list_json_and_permission_changes(imported):
    home, out = imported
    ids = sorted(v["id"] for v in out["imported"])
    assert len(ids) == len(GOOD_CLIPS)
    assert cli(home, "permission", "allow", str(ids[0]), str(ids[1])).returncode == 0
    assert cli(home, "default", "allow").returncode == 0
    assert cli(home, "permission", "deny", str(ids[2])).returncode == 0
    listing = {v["id"]: v for v in json.loads(cli(home, "list", "--json").stdout)}
    assert listing[ids[0]]["effective"] == "allow"
    assert listing[ids[2]]["effective"] == "deny"
    assert listing[ids[2]]["reason"] == "the creator denied this video"
    assert listing[ids[3]]["permission"] == "default"
    assert listing[ids[3]]["effective"] == "allow"
    phone = next(v for v in listing.values() if v["path"].endswith("phone.mp4"))
    assert (phone["width"], phone["height"]) == (180, 320)


def test_optout_denies_all_and_off_restores(imported):
    home, out = imported
    cli(home, "permission", "allow", "--all")
    result = cli(home, "optout", "on")
    assert result.returncode == 0 and "ON" in result.stdout
    listing = json.loads(cli(home, "list", "--json").stdout)
    assert {v["effective"] for v in listing} == {"deny"}
    assert {v["permission"] for v in listing} == {"allow"}
    assert "is ON" in cli(home, "optout", "status").stdout
    cli(home, "optout", "off")
    assert {v["effective"] for v in json.loads(cli(home, "list", "--json").stdout)} == {"allow"}


def test_audit_undo_and_permissions_round_trip(imported, tmp_path):
    home, _ = imported
    cli(home, "permission", "deny", "--all")
    assert cli(home, "undo").returncode == 0
    trail = json.loads(cli(home, "audit", "--json").stdout)
    assert [e["action"] for e in trail[:3]] == ["undo", "permission", "import"]
    assert trail[1]["count"] == len(GOOD_CLIPS) and trail[1]["undone_by"] == trail[0]["id"]
    cli(home, "permission", "allow", "1", "2")
    exported = tmp_path / "perms.csv"
    assert cli(home, "permissions", "export", str(exported)).returncode == 0
    assert cli(home, "permissions", "export", str(exported)).returncode == 2  # no overwrite
    cli(home, "permission", "deny", "--all")
    assert cli(home, "permissions", "import", str(exported)).returncode == 0
    listing = json.loads(cli(home, "list", "--json").stdout)
    assert [v["permission"] for v in listing[:3]] == ["allow", "allow", "default"]


def test_remove_keeps_the_file(imported):
    home, out = imported
    video = out["imported"][0]
    assert cli(home, "remove", str(video["id"])).returncode == 0
    assert Path(video["path"]).exists()
    assert len(json.loads(cli(home, "list", "--json").stdout)) == len(GOOD_CLIPS) - 1


@pytest.mark.parametrize("args, message", [
    (("permission", "allow", "999"), "There is no video with id 999 in the library."),
    (("permission", "allow"), "Give either video ids or --all."),
    (("permission", "maybe", "1"), "invalid choice: 'maybe'"),
    (("undo",), "There is no change left to undo."),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    (("permissions", "import", "/nonexistent.csv"), "does not exist"),
])
def test_errors_are_one_sentence_on_stderr_with_exit_code_2(tmp_path, args, message):
    result = cli(tmp_path / "h", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_damaged_database_is_a_clear_error(tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    (home / "library.db").write_bytes(b"garbage" * 1000)
    result = cli(home, "list")
    assert result.returncode == 2
    assert "is damaged" in result.stderr and "Traceback" not in result.stderr
    assert "library restore --empty" in result.stderr  # no backup yet: says how to go on
    assert (home / "library.db").read_bytes() == b"garbage" * 1000


def test_version_and_module_entry_point(tmp_path):
    result = cli(tmp_path / "h", "--version")
    assert result.returncode == 0 and result.stdout.startswith("remix-desktop ")


def test_models_list_and_refusals(tmp_path):
    home = tmp_path / "h"
    listing = json.loads(cli(home, "models", "list", "--json").stdout)
    ids = {m["id"]: m for m in listing}
    assert ids["sd-turbo"]["status"] == "not downloaded"
    assert ids["gemma-3-270m-q4_k_m"]["kind"] == "caption"
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"junk")
    result = cli(home, "models", "add", str(junk))
    assert result.returncode == 2 and "not a safetensors or GGUF file" in result.stderr
    result = cli(home, "models", "remove", "nothing-here")
    assert result.returncode == 2 and "no installed model" in result.stderr


def test_a_download_says_its_size_and_asks_first(tmp_path):
    """Without a terminal to ask on and without --yes, nothing is fetched: the size and the
    host are said, and how to go on."""
    home = tmp_path / "asked"
    result = cli(home, "models", "download", "sd-turbo")
    assert result.returncode == 2
    assert "SD-Turbo" in result.stdout and "from huggingface.co" in result.stdout
    assert "size not published" in result.stdout or " GB" in result.stdout
    assert "'remix-desktop models download sd-turbo --yes'" in result.stderr
    assert not any((home / "models").glob("*.part")), "nothing was started"
