"""`remix-desktop remix --style diffusion` through the real stable-diffusion.cpp, with the
all-zero SDXS-512 fixture (it exercises the code path, not image quality)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.test_cli import cli
from tests.sd_fixture import build_sdxs_fixture


@pytest.fixture(scope="module")
def diffusion_home(tmp_path_factory, clip_dir):
    home = tmp_path_factory.mktemp("diffusion-home")
    model, taesd = build_sdxs_fixture(tmp_path_factory.mktemp("sdxs-cli"))
    assert cli(home, "import", str(clip_dir / "h264.mp4")).returncode == 0
    assert cli(home, "permission", "allow", "1").returncode == 0
    added = cli(home, "models", "add", str(model))
    assert added.returncode == 0, added.stderr
    assert cli(home, "models", "add", str(taesd)).returncode == 0
    return home, model.name


def test_models_list_shows_the_family(diffusion_home):
    home, model_id = diffusion_home
    items = {m["id"]: m for m in json.loads(cli(home, "models", "list", "--json").stdout)}
    assert items[model_id]["family"] == "sdxs" and items[model_id]["kind"] == "diffusion"
    assert any(m["kind"] == "taesd" and m["status"] == "installed" for m in items.values())


def test_a_diffusion_remix_reports_model_family_and_stages(diffusion_home, tmp_path):
    home, model_id = diffusion_home
    result = cli(home, "remix", "1", "--style", "diffusion", "--model", model_id,
                 "--prompt", "comic book", "--steps", "2", "--strength", "0.5",
                 "--diffusion-size", "64", "--caption", "POV: redrawn", "--out",
                 str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    [preview] = json.loads(result.stdout)["previews"]
    assert preview["diffusion"]["diffusion_model"] == model_id
    assert preview["diffusion"]["family"] == "sdxs"
    assert preview["diffusion"]["sampling_s"] >= 0
    with Image.open(preview["path"]) as image:
        assert image.size == (1080, 1080)


def test_diffusion_without_a_model_or_prompt_is_a_clear_error(diffusion_home, tmp_path,
                                                             clip_dir):
    home, model_id = diffusion_home
    bare = tmp_path / "bare"
    assert cli(bare, "import", str(clip_dir / "h264.mp4")).returncode == 0
    assert cli(bare, "permission", "allow", "1").returncode == 0
    result = cli(bare, "remix", "1", "--style", "diffusion", "--caption", "x y",
                 "--prompt", "anime", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "No diffusion model is installed: add a .safetensors or .gguf file" in result.stderr
    result = cli(home, "remix", "1", "--style", "diffusion", "--model", model_id,
                 "--caption", "x y", "--steps", "1", "--diffusion-size", "64", "--json",
                 "--out", str(tmp_path))  # no prompt: the default preset
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)["previews"][0]
    from remix_desktop.core.home import Home
    from remix_desktop.core.library import Library

    with Library(Home(home)) as library:
        params = json.loads(library.conn.execute(
            "SELECT params FROM previews WHERE id = ?", (made["id"],)).fetchone()[0])
    assert params["prompt"] == "comic book" and "halftone" in params["prompt_text"]
    result = cli(home, "remix", "1", "--style", "diffusion", "--model", "nope.safetensors",
                 "--caption", "x y", "--prompt", "anime", "--out", str(tmp_path))
    assert result.returncode == 2 and "no model 'nope.safetensors'" in result.stderr


def test_the_chosen_diffusion_model_is_a_setting(diffusion_home, tmp_path):
    home, model_id = diffusion_home
    second = tmp_path / "second-sdxs.safetensors"  # a second model: same file, another name
    second.symlink_to(next(Path(m["path"]) for m in json.loads(
        cli(home, "models", "list", "--json").stdout) if m["id"] == model_id))
    assert cli(home, "models", "add", str(second)).returncode == 0
    args = ("remix", "1", "--style", "diffusion", "--prompt", "anime", "--steps", "1",
            "--diffusion-size", "64", "--caption", "POV: chosen", "--out", str(tmp_path),
            "--json")
    try:
        ambiguous = cli(home, *args)
        assert ambiguous.returncode == 2
        assert "2 diffusion models are installed: choose one with 'remix-desktop models " \
               "use ID'" in ambiguous.stderr
        chosen = cli(home, "models", "use", second.name)
        assert chosen.returncode == 0, chosen.stderr
        assert f"Remixes now use {second.name}" in chosen.stdout
        listed = {m["id"]: m for m in json.loads(cli(home, "models", "list", "--json").stdout)}
        assert listed[second.name]["in_use"] and not listed[model_id]["in_use"]
        made = cli(home, *args)
        assert made.returncode == 0, made.stderr
        [preview] = json.loads(made.stdout)["previews"]
        assert preview["diffusion"]["diffusion_model"] == second.name
        taesd = next(m["id"] for m in listed.values() if m["kind"] == "taesd"
                     and m["status"] == "installed")
        refused = cli(home, "models", "use", taesd)
        assert refused.returncode == 2 and "is a taesd file" in refused.stderr
    finally:
        assert cli(home, "models", "remove", second.name).returncode == 0
    listed = {m["id"]: m for m in json.loads(cli(home, "models", "list", "--json").stdout)}
    assert not any(m["in_use"] and m["kind"] == "diffusion" for m in listed.values())
