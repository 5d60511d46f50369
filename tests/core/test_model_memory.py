"""The memory a diffusion model needs, from its header, and the sentence that refuses it."""

from __future__ import annotations

import pytest

from remix_desktop.core.errors import UsageError
from remix_desktop.core.model_memory import (NotEnoughMemory, available_memory, check_fits,
                                             estimate, held_type, weights_at, work_bytes)
from tests.sd_fixture import sd_turbo_checkpoint_tensors, taesd_tensors

TURBO = {name: (shape, "F16") for name, shape in sd_turbo_checkpoint_tensors().items()}
TAESD = {name: (shape, "F16") for name, shape in taesd_tensors().items()}


def test_the_weights_are_held_as_stable_diffusion_cpp_holds_them():
    assert held_type("x.norm.weight", (320,), "F16", "q8_0") == "F32"
    assert held_type("x.to_q.weight", (320, 320), "F16", "q4_0") == "Q4_0"
    assert held_type("x.in_layers.2.weight", (320, 320, 3, 3), "F16", "q8_0") == "F16"
    assert held_type("model.diffusion_model.time_embed.0.weight", (1280, 320), "F16",
                     "q8_0") == "F16"
    assert held_type("x.token_embedding.weight", (49408, 1024), "F16", "q4_0") == "F16"
    assert held_type("x.conv.weight", (64, 64, 3, 3), "F32", "default") == "F16"
    # SD-Turbo's text encoder and UNet (stable-diffusion.cpp's own account of the F16
    # checkpoint: 674.03 MB + 1652.44 MB, TAESD 4.67 MB)
    need = estimate(TURBO, "sd2", taesd_table=TAESD)
    assert 2320 < need.weights / 2**20 < 2340
    assert weights_at(TURBO, "q4_0") < weights_at(TURBO, "q8_0") < weights_at(TURBO)


def test_the_work_memory_grows_with_the_picture_and_is_larger_without_taesd():
    assert work_bytes(256, 256) < work_bytes(512, 256) < work_bytes(512, 512)
    assert work_bytes(512, 512, taesd=False) > 2 * work_bytes(512, 512)
    assert work_bytes(64, 64) > 0


def test_a_model_that_does_not_fit_is_refused_with_what_would():
    need = estimate(TURBO, "sd2", taesd_table=TAESD)
    small = estimate(TURBO, "sd2", weight_type="q4_0", taesd_table=TAESD)
    assert check_fits(TURBO, "sd2", "sd-turbo", taesd_table=TAESD,
                      available=need.total + 1) == need
    with pytest.raises(NotEnoughMemory) as refused:
        check_fits(TURBO, "sd2", "sd-turbo", taesd_table=TAESD, available=small.total + 1)
    text = str(refused.value)
    assert text.startswith("sd-turbo needs about 3.1 GB at 512x512, 2.2 GB free: quantize "
                           "it to q4_0")
    assert "'remix-desktop models quantize sd-turbo --type q4_0'" in text
    assert text.endswith(f"to need about {small.total / 1e9:.1f} GB.")
    with pytest.raises(NotEnoughMemory, match="even quantized to q4_0 it would need"):
        check_fits(TURBO, "sd2", "sd-turbo", taesd_table=TAESD, available=10**9)
    # loaded already: only a larger picture's extra work memory counts
    held = work_bytes(256, 256)
    check_fits({}, "sd2", "sd-turbo", width=256, height=256, already=held, taesd=True,
               available=1)
    with pytest.raises(NotEnoughMemory, match="A 512x512 picture needs about 0.4 GB more"):
        check_fits({}, "sd2", "sd-turbo", already=held, taesd=True, available=10**8)


def test_the_memory_limit_setting(monkeypatch):
    monkeypatch.setenv("REMIX_DESKTOP_MEMORY_LIMIT", "1.5G")
    assert available_memory() <= int(1.5 * 2**30)
    monkeypatch.setenv("REMIX_DESKTOP_MEMORY_LIMIT", "3500M")
    assert available_memory() <= 3500 * 2**20
    for bad in ("lots", "-1G", "0"):
        monkeypatch.setenv("REMIX_DESKTOP_MEMORY_LIMIT", bad)
        with pytest.raises(UsageError, match="REMIX_DESKTOP_MEMORY_LIMIT"):
            available_memory()
    monkeypatch.delenv("REMIX_DESKTOP_MEMORY_LIMIT")
    assert available_memory() > 0
