"""Two app processes on one home, beyond tests/core (two writers of permissions, SIGKILL of a
bulk change): two imports of different folders at once, and permission changes (including a
revoke of the very video) while another process remixes. Both finish; nothing is lost; no
preview of a denied video survives."""

from __future__ import annotations

import json
import shutil
import time

from remix_desktop.core.home import Home
from remix_desktop.core.library import Library

from .support import cli, decodes, start_cli, state


def test_two_imports_of_different_folders_at_once(tmp_path, many_clips):
    halves = [tmp_path / "left", tmp_path / "right"]
    clips = sorted(many_clips.glob("*.mp4"))
    for i, clip in enumerate(clips):
        halves[i % 2].mkdir(exist_ok=True)
        shutil.copy(clip, halves[i % 2] / clip.name)
    home = tmp_path / "home"
    Library(Home(home)).close()

    procs = [start_cli(home, "import", str(folder), "--json") for folder in halves]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        proc.stderr.close()

    after = state(home)
    assert len(after["videos"]) == len(clips)
    assert {v[1] for v in after["videos"]} == {str(h / c.name) for i, c in enumerate(clips)
                                               for h in [halves[i % 2]]}
    imports = [a for a in after["audit"] if a[1] == "import"]
    assert sorted(a[5] for a in imports) == sorted(len(list(h.iterdir())) for h in halves)
    thumbnails = Home(home).thumbnails
    for video in after["videos"]:
        decodes(thumbnails / video[5])


def test_permission_changes_while_another_process_remixes(ready_home, tmp_path):
    before = state(ready_home)
    out = tmp_path / "out"
    remix = start_cli(ready_home, "remix", "1", "--caption", "Busy home", "--suggest", "3",
                      "--style", "cartoon", "--out", str(out), "--json")
    values = ["allow", "deny", "default", "allow", "deny"]
    for value in values:  # video 2 changes while video 1 is being remixed
        changed = cli(ready_home, "permission", value, "2")
        assert changed.returncode == 0, changed.stderr
    assert remix.wait(timeout=120) == 0, remix.stderr.read()
    remix.stderr.close()

    after = state(ready_home)
    new = after["audit"][len(before["audit"]):]
    assert [(a[1], a[4]) for a in new] == [("permission", v) for v in values], \
        "every change is in the audit, in order"
    assert after["videos"][1][3] == values[-1] and after["videos"][0][3] == "allow"
    assert after["previews"], "the remix recorded its previews"
    for row in after["previews"]:
        assert decodes(Home(ready_home).previews / row[3]) == (1080, 1080)


def test_revoking_the_video_while_it_is_remixed_leaves_no_preview(ready_home, tmp_path):
    out = tmp_path / "out"
    previews = Home(ready_home).previews
    remix = start_cli(ready_home, "remix", "1", "--caption", "Revoked", "--suggest", "4",
                      "--style", "sketch", "--out", str(out), "--json")
    deadline = time.monotonic() + 60
    while not any(previews.iterdir()) and remix.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    denied = cli(ready_home, "permission", "deny", "1")
    assert denied.returncode == 0, denied.stderr
    code = remix.wait(timeout=120)
    message = remix.stderr.read()
    remix.stderr.close()
    assert code in (0, 3), message  # finished first, or refused at its next consent check

    after = state(ready_home)
    assert after["videos"][0][3] == "deny"
    assert after["previews"] == [], "a preview of a denied video was kept"
    assert [p.name for p in previews.iterdir()] == [], "a preview file of a denied video"
    if code == 3:
        assert "not allowed" in message
    audit = cli(ready_home, "audit", "--json")
    assert json.loads(audit.stdout)[0]["new"] == "deny"
