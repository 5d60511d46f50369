"""SIGKILL during an import of a folder of many real clips, at several moments: the library
opens and is sound, every video row is complete with its thumbnail, and importing the same
folder again finishes the job without duplicates."""

from __future__ import annotations

import json

import pytest

from remix_desktop.core import audit
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library
from remix_desktop.core.media import fingerprint

from .support import cli, decodes, kill_when, start_cli


@pytest.mark.parametrize("thumbnails, after_s", [(0, 0.0), (1, 0.0), (6, 0.01), (20, 0.04)],
                         ids=["at-start", "first-video", "a-few", "half-way"])
def test_sigkill_during_import_keeps_complete_rows_and_a_reimport_finishes(
        tmp_path, many_clips, thumbnails, after_s):
    home = tmp_path / "home"
    Library(Home(home)).close()  # the library exists, so the kill lands in the import itself
    clips = sorted(many_clips.glob("*.mp4"))
    folder = Home(home).thumbnails

    def ready() -> bool:
        return sum(1 for n in folder.iterdir() if n.suffix == ".jpg") >= thumbnails

    proc = start_cli(home, "import", str(many_clips), "--json")
    kill_when(proc, ready if thumbnails else (lambda: True), after_s)

    with Library(Home(home), check=True) as library:
        assert library.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        videos = library.videos()
        imports = [e for e in audit.entries(library.conn) if e.action == "import"]
    assert sum(e.count for e in imports) == len(videos), "the audit counts what was added"
    assert len(videos) < len(clips), "the kill came after the import had finished"
    for video in videos:  # every row is whole: what the importer writes, all of it
        path = many_clips / video.name
        assert video.path == str(path)
        assert video.fingerprint == fingerprint(path)
        assert video.size == path.stat().st_size and video.mtime == path.stat().st_mtime
        assert video.duration_s > 0 and video.fps > 0 and video.codec == "h264"
        assert (video.width, video.height) == (160, 90)
        assert video.thumbnail == video.fingerprint + ".jpg"
        assert decodes(folder / video.thumbnail)[0] == 320
    for leftover in folder.iterdir():  # a thumbnail under its final name is whole
        if leftover.suffix == ".jpg":
            decodes(leftover)
        else:
            assert leftover.name.endswith(".jpg.part"), leftover

    again = cli(home, "import", str(many_clips), "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert not report["rejected"]
    assert len(report["skipped"]) == len(videos)
    assert len(report["imported"]) == len(clips) - len(videos)
    with Library(Home(home)) as library:
        conn = library.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT count(*), count(DISTINCT path), count(DISTINCT "
                            "fingerprint) FROM videos").fetchone()
        assert rows == (len(clips),) * 3
        named = {r[0] for r in conn.execute("SELECT thumbnail FROM videos")}
        imports = [e for e in audit.entries(conn) if e.action == "import"]
    assert sum(e.count for e in imports) == len(clips) and len(imports) <= 2
    assert named == {n.name for n in folder.iterdir() if n.suffix == ".jpg"}, \
        "every thumbnail belongs to a video, every video has its thumbnail"
