"""Captions kept with a video through the CLI: `remix --json` reports them with source and
topic, `--about` is kept as the description, `captions ID` lists them (real model, real
SQLite file, the CLI in a subprocess)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.cli.test_cli import cli


@pytest.fixture(scope="module")
def home(tmp_path_factory, clip_dir):
    home = tmp_path_factory.mktemp("captions-home")
    assert cli(home, "import", str(clip_dir / "h264.mp4")).returncode == 0
    assert cli(home, "permission", "allow", "1").returncode == 0
    return home


def test_a_clip_with_nothing_to_go_on_says_so_and_uses_formats_for_any_clip(home, tmp_path):
    # the clip's own title and tags are cleared; its file name ("h264") names nothing
    assert cli(home, "video", "1", "--title", "", "--description", "", "--tags", ""
               ).returncode == 0
    result = cli(home, "remix", "1", "--out", str(tmp_path / "a"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["context"] == "none" and report["topic"]["context"] == "none"
    assert len(report["captions"]) == 4
    assert all(c["source"] == "template" for c in report["captions"])
    text = cli(home, "remix", "1", "--out", str(tmp_path / "b"), "--seed", "5")
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("Nothing to go on for this clip") == 1


def test_about_is_kept_and_captions_are_written_for_it_and_kept(home, tmp_path):
    result = cli(home, "remix", "1", "--out", str(tmp_path / "out"), "--json",
                 "--about", "my cat attacks the laser pointer", "--seed", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["context"] == "context"
    assert report["topic"]["domain"] == "cat"
    assert len(report["captions"]) == 4
    for c in report["captions"]:
        assert c["source"] in ("model", "template") and c["format"]
        assert c["topic"]["domain"] == "cat" and c["model"]
        assert c["seed"] is not None and c["created_at"]
    video = json.loads(cli(home, "video", "1", "--json").stdout)
    assert video["description"] == "my cat attacks the laser pointer"

    listed = cli(home, "captions", "1", "--json")
    assert listed.returncode == 0, listed.stderr
    kept = json.loads(listed.stdout)["captions"]
    assert {c["text"] for c in report["captions"]} <= {c["text"] for c in kept}
    plain = cli(home, "captions", "1")
    assert report["captions"][0]["text"] in plain.stdout

    own = cli(home, "remix", "1", "--out", str(tmp_path / "own"), "--caption",
              "Miso has chosen violence", "--json")
    assert own.returncode == 0, own.stderr
    kept = json.loads(cli(home, "captions", "1", "--json").stdout)["captions"]
    mine = [c for c in kept if c["text"] == "Miso has chosen violence"]
    assert len(mine) == 1 and mine[0]["source"] == "creator" and mine[0]["seed"] is None
    # the real SQLite file holds them
    db = home / "library.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM captions WHERE video_id = 1").fetchone()[0] \
            == len(kept)


def test_captions_of_an_unknown_video_is_one_sentence(home):
    result = cli(home, "captions", "99")
    assert result.returncode != 0
    assert result.stderr.count("\n") <= 1 and "99" in result.stderr
