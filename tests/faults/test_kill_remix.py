"""SIGKILL during `remix`: while the engine worker writes captions, and while previews are
written. No decision is lost, no half-written image sits under a final name, temporaries are
hidden `.part` files that the next run sweeps, the library opens, and the engine worker (and
multiprocessing's resource tracker) end with the app instead of living on as orphans."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.library import Library
from remix_desktop.core.remix import Remixer, RemixRequest, sweep_previews

from .conftest import link_model
from .support import (cli, decodes, descendants, identity, kill_when, start_cli, state,
                      still_running)

ORPHAN_GRACE_S = 3.0  # a caption job alone runs longer than this on this machine


def workers(proc) -> list[int]:
    return [i[0] for i in map(identity, descendants(proc.pid)) if i and "spawn_main" in i[2]]


def worker_started(proc):
    return lambda: bool(workers(proc))


def worker_loading_model(proc):
    """The worker has the caption model mapped: it has its job and is loading or using it."""
    def ready() -> bool:
        for pid in workers(proc):
            try:
                if ".gguf" in Path(f"/proc/{pid}/maps").read_text():
                    return True
            except OSError:
                pass
        return False
    return ready


def previews_started(home):
    folder = Home(home).previews
    return lambda: any(folder.iterdir())


def check_after_kill(home, out, before) -> None:
    after = state(home)  # opens, integrity_check ok
    for key in ("videos", "settings", "audit", "audit_changes"):
        assert after[key] == before[key], f"{key} changed"
    previews = Home(home).previews
    recorded = {row[3] for row in after["previews"]}
    for entry in previews.iterdir():
        if entry.name in recorded or entry.suffix == ".png" and not entry.name.startswith("."):
            assert decodes(entry) == (1080, 1080), f"{entry.name} is not a whole image"
        else:
            assert entry.name.startswith(".") and entry.name.endswith(".part"), entry.name
    for name in recorded:
        assert (previews / name).is_file(), "a recorded preview lost its file"
    for entry in out.iterdir() if out.exists() else ():
        if entry.name.startswith("."):
            assert entry.name.endswith(".part"), entry.name
        else:
            decodes(entry)

    with Library(Home(home)) as library:  # the next remix sweeps what the kill left
        sweep_previews(library)
        files = {e.name for e in previews.iterdir()}
        rows = {r[0] for r in library.conn.execute("SELECT file FROM previews")}
        assert files == rows, "after the sweep every preview file has its row and no temp"
        assert {p.path.name for p in Remixer(library).previews()} == rows


@pytest.mark.parametrize("moment, after_s", [
    ("worker-start", 0.0), ("model-load", 0.0), ("captions", 1.5)])
def test_sigkill_during_remix_with_captions(ready_home, tmp_path, caption_model,
                                           moment, after_s):
    link_model(ready_home, caption_model)
    before = state(ready_home)
    out = tmp_path / "out"
    proc = start_cli(ready_home, "remix", "1", "--out", str(out), "--candidates", "4",
                     "--seed", "5")  # four captions keep the worker busy for seconds
    ready = {"worker-start": worker_started, "model-load": worker_loading_model,
             "captions": worker_started}[moment](proc)
    children = kill_when(proc, ready, after_s)

    assert any("spawn_main" in c[2] for c in children), "the engine worker had started"
    orphans = still_running(children, ORPHAN_GRACE_S)
    assert not orphans, f"left running after the app was killed: {orphans}"
    check_after_kill(ready_home, out, before)


@pytest.mark.parametrize("after_s", [0.0, 0.25])
def test_sigkill_while_previews_are_written(ready_home, tmp_path, after_s):
    before = state(ready_home)
    out = tmp_path / "out"
    proc = start_cli(ready_home, "remix", "1", "--out", str(out), "--caption", "Kill me",
                     "--suggest", "3", "--style", "cartoon")
    kill_when(proc, previews_started(ready_home), after_s)
    check_after_kill(ready_home, out, before)

    again = cli(ready_home, "remix", "1", "--out", str(out), "--caption", "Kill me",
                "--suggest", "3", "--style", "cartoon", "--json")
    assert again.returncode == 0, again.stderr
    made = json.loads(again.stdout)["previews"]
    after = state(ready_home)
    assert sorted(p["id"] for p in made) == [row[0] for row in after["previews"]]
    for row in after["previews"]:
        assert decodes(Home(ready_home).previews / row[3]) == (1080, 1080)


def test_the_sweep_takes_leftovers_and_nothing_else(ready_home):
    """What the sweep removes: a preview file no row records, a temporary of a process that
    is gone. What it keeps: recorded previews, temporaries of live processes, recent files."""
    with Library(Home(ready_home)) as library:
        remixer = Remixer(library)
        video = library.video(1)
        kept = remixer.render(RemixRequest(video_id=1, fingerprint=video.fingerprint,
                                           frame_s=0.5, caption="Kept"))
        folder = Home(ready_home).previews
        leftovers = [folder / "0123456789abcdef.png",  # renamed, then killed before commit
                     folder / f".{kept.path.name}.999999999.part"]  # its process is gone
        alive = [folder / f".a.png.{os.getpid()}.part", folder / ".b.png.1.part",
                 folder / "c.png.part"]  # live processes; an older name, but recent
        for path in leftovers + alive:
            path.write_bytes(b"partial")
        assert sweep_previews(library) == len(leftovers)
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [kept.path.name] + [p.name for p in alive])
        assert decodes(kept.path) == (1080, 1080)
