"""`remix-desktop models add` and `remix --style diffusion` with the all-zero SDXS-512
fixture as a GGUF file (tests/sd_fixture.py), through the real stable-diffusion.cpp."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.cli.test_cli import cli
from tests.sd_fixture import build_sdxs_gguf_fixture


@pytest.fixture(scope="module")
def gguf_home(tmp_path_factory, clip_dir):
    home = tmp_path_factory.mktemp("gguf-home")
    model = build_sdxs_gguf_fixture(tmp_path_factory.mktemp("sdxs-gguf-cli"))
    assert cli(home, "import", str(clip_dir / "h264.mp4")).returncode == 0
    assert cli(home, "permission", "allow", "1").returncode == 0
    added = cli(home, "models", "add", str(model))
    assert added.returncode == 0, added.stderr
    return home, model, added.stdout


def test_models_add_of_the_gguf_shows_family_sdxs(gguf_home):
    home, model, added = gguf_home
    assert added.strip() == (f"Added {model.name}: SDXS-512 (tiny UNet, SD 1.x base) "
                             f"(diffusion), reference.")
    items = {m["id"]: m for m in json.loads(cli(home, "models", "list", "--json").stdout)}
    assert (items[model.name]["family"], items[model.name]["kind"],
            items[model.name]["status"]) == ("sdxs", "diffusion", "installed")


def test_a_diffusion_remix_with_the_gguf_works(gguf_home, tmp_path):
    home, model, _ = gguf_home
    result = cli(home, "remix", "1", "--style", "diffusion", "--model", model.name,
                 "--prompt", "comic book", "--steps", "1", "--strength", "0.5",
                 "--diffusion-size", "64", "--caption", "POV: redrawn", "--out",
                 str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    [preview] = json.loads(result.stdout)["previews"]
    assert preview["diffusion"]["diffusion_model"] == model.name
    assert preview["diffusion"]["family"] == "sdxs"
    assert preview["diffusion"]["load_s"] > 0 and preview["diffusion"]["sampling_s"] >= 0
    with Image.open(preview["path"]) as image:
        assert image.size == (1080, 1080)


def test_models_add_of_a_cut_gguf_is_refused(gguf_home, tmp_path):
    home, model, _ = gguf_home
    cut = tmp_path / "cut.gguf"
    with open(model, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(1 << 17))
        dst.truncate(model.stat().st_size // 2)
    result = cli(home, "models", "add", str(cut))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "The model file 'cut.gguf' is truncated" in result.stderr
