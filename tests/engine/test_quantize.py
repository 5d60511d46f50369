"""Quantizing a diffusion model once (`models quantize`), with stable-diffusion.cpp's own
`convert`, on the SDXS-512 fixture (random-free: all-zero weights, real shapes): detected,
added as its own model that remembers its source, loaded without converting, used for an
image; a cancel half way leaves nothing and the original untouched."""

from __future__ import annotations

import json
import re

import pytest

from remix_desktop.core.library import Library
from remix_desktop.core.model_store import ModelStore
from remix_desktop.engine.quantize import QuantizeCancelled, quantize
from tests.cli.test_cli import cli
from tests.sd_fixture import build_sd_turbo_fixture, build_sdxs_fixture

pytest.importorskip("stable_diffusion_cpp")


@pytest.fixture(scope="module")
def sdxs(tmp_path_factory):
    return build_sdxs_fixture(tmp_path_factory.mktemp("sdxs-quantize"))


@pytest.fixture(scope="module", params=["sdxs", "sd-turbo"])
def architecture(request, tmp_path_factory, sdxs):
    """(checkpoint, taesd, family): SDXS-512's architecture, and SD-Turbo's (SD 2.1:
    OpenCLIP-H, the SD 2.1 UNet, the KL VAE; 2.6 GB sparse)."""
    model, taesd = sdxs
    if request.param == "sd-turbo":
        return build_sd_turbo_fixture(tmp_path_factory.mktemp("turbo-quantize")), taesd, "sd2"
    return model, taesd, "sdxs"


def _convert_seconds(text: str) -> float:
    """stable-diffusion.cpp's own account of a load: '... convert: 1.20s ...'."""
    found = re.findall(r"convert: ([\d.]+)s", text)
    assert found, text[-2000:]
    return float(found[-1])


def test_quantize_from_the_cli_adds_a_smaller_model_that_loads_without_converting(
        tmp_path, architecture, capfd):
    from remix_desktop.core.model_headers import inspect_model
    from remix_desktop.core.model_memory import weights_at

    model, taesd, family = architecture
    home = tmp_path / "home"
    assert cli(home, "models", "add", str(model)).returncode == 0
    sizes = {}
    for weight_type in ("q8_0", "q4_0"):
        done = cli(home, "models", "quantize", model.name, "--type", weight_type)
        assert done.returncode == 0, done.stderr
        assert f"{weight_type}" in done.stdout and "The original is kept" in done.stdout
        listed = {m["id"]: m for m in json.loads(
            cli(home, "models", "list", "--json").stdout)}
        made = listed[f"{model.stem}-{weight_type}.gguf"]
        assert (made["kind"], made["family"], made["status"]) == ("diffusion", family,
                                                                   "installed")
        assert (made["derived_from"], made["weight_type"]) == (model.name, weight_type)
        sizes[weight_type] = made["size"]
        # the memory estimate reads the original's header: what the quantized file holds
        quantized = inspect_model(home / "models" / made["id"])
        expected = weights_at(inspect_model(model).table, weight_type)
        assert abs(expected - weights_at(quantized.table)) < 0.01 * expected
        assert abs(expected - made["size"]) < 0.01 * made["size"]
    assert sizes["q4_0"] < sizes["q8_0"] < 1.2 * model.stat().st_size
    again = cli(home, "models", "quantize", model.name, "--type", "q8_0")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert model.is_file(), "the original is never removed"

    from remix_desktop.engine.diffusion import DiffusionModel
    from PIL import Image

    capfd.readouterr()
    at_load = DiffusionModel(model, taesd_path=taesd, n_threads=2, verbose=True,
                             weight_type="q8_0")
    out = capfd.readouterr()
    converting = _convert_seconds(out.out + out.err)
    at_load.close()
    del at_load
    for weight_type in ("q8_0", "q4_0"):
        quantized = home / "models" / f"{model.stem}-{weight_type}.gguf"
        once = DiffusionModel(quantized, taesd_path=taesd, n_threads=2, verbose=True)
        out = capfd.readouterr()
        assert _convert_seconds(out.out + out.err) < converting / 4, "converted again"
        image = once.img2img(Image.new("RGB", (64, 64), "white"), "comic book", steps=1,
                             width=64, height=64)
        assert image.size == (64, 64)
        once.close()


def test_a_cancelled_quantization_leaves_nothing_and_the_original_untouched(tmp_path,
                                                                          architecture):
    model = architecture[0]
    before = model.stat()
    target = tmp_path / "half-q4_0.gguf"
    seen = []
    with pytest.raises(QuantizeCancelled):  # stopped half way through the tensors
        quantize(model, target, "q4_0", progress=lambda done, total: seen.append(
            (done, total)), cancelled=lambda: bool(seen) and seen[-1][0] * 2 >= seen[-1][1])
    assert seen and seen[-1][0] < seen[-1][1], "stopped before the end"
    assert not target.exists() and not target.with_name(target.name + ".part").exists()
    assert list(tmp_path.iterdir()) == []
    after = model.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_what_cannot_be_quantized_is_refused_before_any_work(home, tmp_path, sdxs):
    from remix_desktop.core.errors import UsageError
    from tests.core.test_vision_pairs import language_model

    with Library(home) as library:
        store = ModelStore(library)
        store.add(language_model(tmp_path / "lm.gguf"))
        with pytest.raises(UsageError, match="only diffusion models are quantized"):
            store.quantize_target("lm.gguf", "q8_0")
    with pytest.raises(ValueError, match="not a weight type"):
        quantize(sdxs[0], tmp_path / "x.gguf", "q3_xl")
    bad = cli(home.root, "models", "quantize", "lm.gguf", "--type", "q3_xl")
    assert bad.returncode == 2
