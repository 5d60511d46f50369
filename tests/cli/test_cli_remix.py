"""`remix-desktop remix` and `export` on a real clip with the real default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from remix_desktop.core.export import parse_xmp, read_xmp
from tests.cli.test_cli import cli


@pytest.fixture(scope="module")
def remix_home(tmp_path_factory, clip_dir):
    home = tmp_path_factory.mktemp("remix-home")
    assert cli(home, "import", str(clip_dir / "h264.mp4"), str(clip_dir / "phone.mp4")
               ).returncode == 0
    return home


def test_a_denied_video_is_refused_with_exit_code_3(remix_home, tmp_path):
    result = cli(remix_home, "remix", "1", "--out", str(tmp_path / "out"))
    assert result.returncode == 3
    assert result.stderr.strip() == ("remix-desktop: Remixing video 1 is not allowed: it "
                                     "follows the library default, which is deny.")
    assert not (remix_home / "previews").exists() or not any((remix_home / "previews").iterdir())


def test_remix_makes_four_captioned_previews_and_one_exports(remix_home, tmp_path):
    cli(remix_home, "permission", "allow", "1")
    out = tmp_path / "out"
    result = cli(remix_home, "remix", "1", "--out", str(out), "--style", "popart", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    previews = report["previews"]
    assert len(previews) == 4
    assert len({p["caption"] for p in previews}) == 4
    for p in previews:
        assert Path(p["path"]).is_file() and p["style"] == "popart"
        assert set(p) >= {"id", "path", "caption", "style", "frame_s", "seed"}
    for stage in ("gate_s", "frames_s", "captions_s", "render_s", "total_s"):
        assert report["timings"][stage] >= 0

    again = json.loads(cli(remix_home, "remix", "1", "--out", str(out), "--json").stdout)
    assert [p["caption"] for p in again["previews"]] == [p["caption"] for p in previews], \
        "the same seed gives the same captions"

    target = tmp_path / "approved.jpg"
    result = cli(remix_home, "export", str(previews[0]["id"]), "--out", str(target))
    assert result.returncode == 0, result.stderr
    props = " ".join(parse_xmp(read_xmp(target)).values())
    assert previews[0]["caption"] in props and "Gemma 3 270M" in props
    assert "compositeWithTrainedAlgorithmicMedia" in props
    with Image.open(target) as image:
        assert image.size == (1080, 1080) and "exif" not in image.info
    assert cli(remix_home, "export", str(previews[0]["id"]), "--out", str(target)
               ).returncode == 2
    assert cli(remix_home, "export", str(previews[0]["id"]), "--out", str(target),
               "--force").returncode == 0


def test_own_caption_at_a_time_on_a_phone_clip(remix_home, tmp_path):
    cli(remix_home, "permission", "allow", "2")
    cli(remix_home, "video", "2", "--title", "Phone clip", "--tags", "test,phone")
    result = cli(remix_home, "remix", "2", "--at", "0.5", "--caption", "Nobody: / Me: upright",
                 "--size", "source", "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    [preview] = json.loads(result.stdout)["previews"]
    with Image.open(preview["path"]) as image:
        assert image.height > image.width, "a portrait phone clip gives a portrait remix"
    listing = json.loads(cli(remix_home, "list", "--json").stdout)
    assert listing[1]["title"] == "Phone clip" and listing[1]["tags"] == ["test", "phone"]


def test_a_caption_model_added_by_reference_is_chosen_and_used(remix_home, tmp_path):
    """Any GGUF language model the creator has, used where it lies (here: the default
    Gemma file under another name, outside the home)."""
    cli(remix_home, "permission", "allow", "1")
    gemma = next((remix_home / "models").glob("gemma-3-270m-q4_k_m.gguf"), None)
    if gemma is None:  # assembled by the first remix of the module
        assert cli(remix_home, "remix", "1", "--candidates", "1", "--out",
                   str(tmp_path / "warm")).returncode == 0
        gemma = remix_home / "models" / "gemma-3-270m-q4_k_m.gguf"
    mine = tmp_path / "elsewhere" / "my-caption-model.gguf"
    mine.parent.mkdir()
    mine.symlink_to(gemma)
    added = cli(remix_home, "models", "add", str(mine))
    assert added.returncode == 0, added.stderr
    try:
        chosen = cli(remix_home, "models", "use", mine.name)
        assert chosen.returncode == 0 and "as their caption model" in chosen.stdout
        result = cli(remix_home, "remix", "1", "--candidates", "2", "--out",
                     str(tmp_path / "out"), "--json")
        assert result.returncode == 0, result.stderr
        previews = json.loads(result.stdout)["previews"]
        assert {p["caption_model"] for p in previews} == {mine.name}
        xmp = read_xmp(Path(previews[0]["path"]))
        assert mine.name in xmp and str(tmp_path) not in xmp, \
            "the export names the model, not where its file lies"
    finally:
        assert cli(remix_home, "models", "remove", mine.name).returncode == 0
    listed = {m["id"]: m for m in json.loads(cli(remix_home, "models", "list", "--json").stdout)}
    assert listed["gemma-3-270m-q4_k_m"]["in_use"], "captions fall back to the default"
