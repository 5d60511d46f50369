"""The likeness rule and copies from the command line: a real process, real clips."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import cli
from tests.clips import ffmpeg, make_clip, make_espresso_clips

pytest.importorskip("matplotlib.cbook")  # the portrait clip


@pytest.fixture
def clips(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    make_espresso_clips(folder)
    ffmpeg("-i", str(folder / "espresso.mp4"), "-vf", "scale=240:136", "-c:v", "libvpx-vp9",
           "-deadline", "realtime", "-cpu-used", "8", str(tmp_path / "espresso-small.webm"))
    return folder, tmp_path / "espresso-small.webm"


def test_faces_copies_and_the_likeness_switch(tmp_path, clips):
    folder, copy_file = clips
    home = tmp_path / "home"
    out = json.loads(cli(home, "import", str(folder), "--json").stdout)
    by_name = {v["name"]: v for v in out["imported"]}
    face, original = by_name["portrait.mp4"], by_name["espresso.mp4"]
    assert face["face_share"] >= 0.5 and original["face_share"] < 0.15
    assert cli(home, "default", "allow").returncode == 0
    assert cli(home, "permission", "deny", str(original["id"])).returncode == 0

    imported = cli(home, "import", str(copy_file))
    assert imported.returncode == 0, imported.stderr
    assert "is a copy of video" in imported.stdout and "morning espresso" in imported.stdout
    listing = {v["id"]: v for v in json.loads(cli(home, "list", "--json").stdout)}
    copy = next(v for v in listing.values() if v["name"] == "espresso-small.webm")
    assert copy["copy_of"] == original["id"]
    assert (copy["effective"], copy["why"]) == ("deny", "copy-of-denied")
    assert (listing[face["id"]]["effective"], listing[face["id"]]["why"]) == ("deny",
                                                                          "shows-face")
    text = cli(home, "list").stdout
    assert "it is a copy of 'morning espresso', which you denied" in text
    assert "it shows a face: allow it yourself to remix it" in text

    status = cli(home, "likeness", "status")
    assert "The likeness rule is on" in status.stdout
    assert cli(home, "likeness", "off").returncode == 0
    listing = {v["id"]: v for v in json.loads(cli(home, "list", "--json").stdout)}
    assert listing[face["id"]]["effective"] == "allow"
    assert cli(home, "undo").returncode == 0
    listing = {v["id"]: v for v in json.loads(cli(home, "list", "--json").stdout)}
    assert listing[face["id"]]["why"] == "shows-face"

    broken = cli(home, "not-a-copy", str(copy["id"]))
    assert broken.returncode == 0, broken.stderr
    listing = {v["id"]: v for v in json.loads(cli(home, "list", "--json").stdout)}
    assert listing[copy["id"]]["copy_of"] is None
    assert listing[copy["id"]]["effective"] == "allow"
    again = cli(home, "not-a-copy", str(copy["id"]))
    assert again.returncode != 0 and "not linked as a copy" in again.stderr
    audit = cli(home, "audit").stdout
    assert "unlink-copy video" in audit and "likeness library: on -> off" in audit


def test_look_at_the_videos_not_looked_at_yet(tmp_path, clips):
    folder, _ = clips
    home = tmp_path / "home"
    assert cli(home, "import", str(folder)).returncode == 0
    looked = json.loads(cli(home, "look", "--json").stdout)
    assert looked["checked"] == 0  # the import looked at them already
    again = json.loads(cli(home, "look", "1", "2", "--json").stdout)
    assert again["checked"] == 2 and again["faces"] == 1
    missing = cli(home, "look", "99")
    assert missing.returncode != 0 and "no video with id 99" in missing.stderr


def test_remix_animate_writes_an_animated_webp_or_gif(tmp_path):
    from PIL import Image

    from remix_desktop.core import animate

    home = tmp_path / "home"
    clip = make_clip(tmp_path / "moving.mp4", size="640x360", seconds=4, source="testsrc2")
    video_id = json.loads(cli(home, "import", str(clip), "--json").stdout)["imported"][0]["id"]
    assert cli(home, "permission", "allow", str(video_id)).returncode == 0
    made = cli(home, "remix", str(video_id), "--at", "2", "--caption", "Me on take three",
               "--animate", "--out", str(tmp_path / "out"), "--json")
    assert made.returncode == 0, made.stderr
    preview = json.loads(made.stdout)["previews"][0]
    assert preview["kind"] == "animated" and preview["path"].endswith(".webp")
    with Image.open(preview["path"]) as image:
        assert image.n_frames == 24 and image.size == (540, 540)
    gif = cli(home, "remix", str(video_id), "--at", "2", "--caption", "Me on take three",
              "--animate", "1.5", "--gif", "--size", "portrait", "--out",
              str(tmp_path / "gif"), "--json")
    assert gif.returncode == 0, gif.stderr
    path = json.loads(gif.stdout)["previews"][0]["path"]
    assert path.endswith(".gif")
    with Image.open(path) as image:
        assert image.format == "GIF" and image.n_frames == 18 and image.size == (540, 960)
    assert animate.gif_xmp(open(path, "rb").read()) is not None
    again = cli(home, "export", str(json.loads(made.stdout)["previews"][0]["id"]),
                "--out", str(tmp_path / "again.gif"))
    assert again.returncode == 0, again.stderr
    bad = cli(home, "remix", str(video_id), "--caption", "x", "--animate", "5", "--out",
              str(tmp_path / "bad"))
    assert bad.returncode != 0 and "1 to 3 seconds" in bad.stderr


def test_sheet_writes_a_contact_sheet_and_never_reads_a_denied_video(tmp_path, clips):
    from PIL import Image

    folder, _ = clips
    home = tmp_path / "home"
    out = json.loads(cli(home, "import", str(folder), "--json").stdout)
    ids = {v["name"]: v["id"] for v in out["imported"]}
    assert cli(home, "permission", "allow", str(ids["espresso.mp4"])).returncode == 0
    made = cli(home, "sheet", "--out", str(tmp_path / "sheet.png"), "--style", "cartoon")
    assert made.returncode == 0, made.stderr
    assert "contact sheet of 2 videos" in made.stdout and "1 denied" in made.stdout
    with Image.open(tmp_path / "sheet.png") as image:
        assert image.format == "PNG" and image.width > 600
    again = cli(home, "sheet", "--out", str(tmp_path / "sheet.png"))
    assert again.returncode != 0 and "already exists" in again.stderr
    pdf = cli(home, "sheet", str(ids["espresso.mp4"]), "--out", str(tmp_path / "one.pdf"))
    assert pdf.returncode == 0 and (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")


def test_credentials_show_and_replace(tmp_path):
    from tests.core.test_credentials import own_pair

    home = tmp_path / "home"
    shown = cli(home, "credentials")
    assert shown.returncode == 0, shown.stderr
    assert "Remix Desktop signer" in shown.stdout and "valid but untrusted" in shown.stdout
    assert cli(home, "credentials", "show").stdout == shown.stdout  # made once
    key_file, cert_file, _ = own_pair(tmp_path)
    replaced = cli(home, "credentials", "replace", str(key_file), str(cert_file))
    assert replaced.returncode == 0, replaced.stderr
    assert "Jo Creator" in replaced.stdout and "untrusted" not in replaced.stdout
    bad = cli(home, "credentials", "replace", str(cert_file), str(cert_file))
    assert bad.returncode == 2 and "not a PEM private key" in bad.stderr
