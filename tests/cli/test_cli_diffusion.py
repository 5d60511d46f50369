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


def test_diffusion_without_a_model_or_prompt_is_a_clear_error(diffusion_home, tmp_path):
    home, model_id = diffusion_home
    result = cli(home, "remix", "1", "--style", "diffusion", "--caption", "x y",
                 "--prompt", "anime", "--out", str(tmp_path))
    assert result.returncode == 2 and "needs a diffusion model" in result.stderr
    result = cli(home, "remix", "1", "--style", "diffusion", "--model", model_id,
                 "--caption", "x y", "--out", str(tmp_path))
    assert result.returncode == 2 and "needs a prompt or a preset" in result.stderr
    result = cli(home, "remix", "1", "--style", "diffusion", "--model", "nope.safetensors",
                 "--caption", "x y", "--prompt", "anime", "--out", str(tmp_path))
    assert result.returncode == 2 and "no model 'nope.safetensors'" in result.stderr
