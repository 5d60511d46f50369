"""The SDXS-512 fixture as a GGUF file (tests/sd_fixture.py, our own writer): the inspector
names it from the header alone, as it does the safetensors one, and refuses damaged copies
with one sentence."""

from __future__ import annotations

import os
import random
import re
import struct

import pytest

from remix_desktop.core.model_headers import ModelFileError, inspect_model

from ..sd_fixture import (build_sdxs_fixture, build_sdxs_gguf_fixture, clip_l_tensors,
                          gguf_header, gguf_tensor_types, sdxs_checkpoint_tensors,
                          sdxs_unet_tensors, taesd_tensors, write_sparse_gguf)
from .test_model_headers import STR, U32, gguf_bytes


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("sdxs-gguf")


@pytest.fixture(scope="module")
def sdxs_gguf(folder):
    return build_sdxs_gguf_fixture(folder)


def test_the_gguf_fixture_is_a_complete_sdxs_512(sdxs_gguf, folder):
    info = inspect_model(sdxs_gguf)
    assert (info.format, info.kind, info.family, info.variant, info.complete) == (
        "gguf", "diffusion", "sdxs", "SDXS_512_DS", True)
    assert info.tensors == len(sdxs_checkpoint_tensors()) == 610
    assert info.metadata == {"general.alignment": 32, "general.architecture": "sd1",
                             "general.name": "SDXS-512 all-zero test fixture"}
    # same family and variant as the safetensors fixture built from the same tensor list
    st_model, _ = build_sdxs_fixture(folder)
    st = inspect_model(st_model)
    assert (st.family, st.variant, st.label) == (info.family, info.variant, info.label)
    assert os.stat(sdxs_gguf).st_blocks * 512 < 1 << 20, "sparse: under 1 MiB on disk"
    assert 800 << 20 < info.size < 900 << 20  # F16 weights, F32 biases and norms


def test_the_fixture_is_built_once_and_reused(folder, sdxs_gguf):
    mtime = sdxs_gguf.stat().st_mtime_ns
    assert build_sdxs_gguf_fixture(folder) == sdxs_gguf
    assert sdxs_gguf.stat().st_mtime_ns == mtime
    assert not list(folder.glob("*.part"))


def test_the_writer_agrees_byte_for_byte_with_the_independent_test_builder():
    """gguf_bytes (test_model_headers.py) writes dims in ggml order given to it explicitly; our
    writer reverses PyTorch shapes itself and picks F32 for 1-D tensors and the position
    embedding: the two headers and file sizes must be identical."""
    shapes = sdxs_checkpoint_tensors()
    types = gguf_tensor_types(shapes)
    raw, size = gguf_header(shapes, types, {"general.architecture": "sd1"})
    expected = [(name, list(reversed(shape)),
                 0 if len(shape) == 1 or name.endswith("position_embedding.weight") else 1)
                for name, shape in shapes.items()]
    want, want_size = gguf_bytes([("general.alignment", U32, 32),
                                  ("general.architecture", STR, "sd1")], expected)
    assert raw == want + bytes(len(raw) - len(want)) and len(raw) % 32 == 0
    assert size == want_size
    assert types["cond_stage_model.transformer.text_model.embeddings.token_embedding."
                 "weight"] == "F16"
    assert types["model.diffusion_model.out.0.weight"] == "F32"  # a GroupNorm
    assert sum(t == "F16" for t in types.values()) == 258


def test_a_tiny_header_matches_the_gguf_layout_by_hand():
    raw, size = gguf_header({"w": (3, 32), "b": (3,)}, {"w": "F16", "b": "F32"})
    want = (b"GGUF" + struct.pack("<IQQ", 3, 2, 1)
            + struct.pack("<Q", 17) + b"general.alignment" + struct.pack("<II", 4, 32)
            + struct.pack("<Q", 1) + b"w" + struct.pack("<IQQIQ", 2, 32, 3, 1, 0)
            + struct.pack("<Q", 1) + b"b" + struct.pack("<IQIQ", 1, 3, 0, 192))
    assert raw == want + bytes(-len(want) % 32)
    assert size == len(raw) + 192 + 32  # 3x32 F16 = 192 bytes; 3 F32 = 12, padded to 32


@pytest.mark.parametrize("weights", ["F16", "F32"])
def test_other_weight_types_are_the_same_family(tmp_path, weights):
    shapes = sdxs_checkpoint_tensors()
    path = write_sparse_gguf(tmp_path / "m.gguf", shapes, weights)
    assert inspect_model(path).variant == "SDXS_512_DS"


def test_dims_in_pytorch_order_are_not_taken_for_sdxs(tmp_path):
    """ggml order matters: written unreversed, the token embedding reads 49408 wide."""
    shapes = {name: tuple(reversed(shape)) for name, shape in sdxs_checkpoint_tensors().items()}
    path = write_sparse_gguf(tmp_path / "wrong-order.gguf", shapes)
    with pytest.raises(ModelFileError, match="has a text encoder 49408 wide"):
        inspect_model(path)


def test_a_unet_only_gguf_and_a_taesd_gguf(tmp_path):
    unet = inspect_model(write_sparse_gguf(tmp_path / "unet.gguf", sdxs_unet_tensors()))
    assert (unet.family, unet.complete) == ("sdxs", False)
    assert unet.label.endswith("(UNet only, no text encoder)")
    tae = inspect_model(write_sparse_gguf(tmp_path / "taesd.gguf", taesd_tensors()))
    assert (tae.kind, tae.family, tae.format) == ("taesd", "taesd", "gguf")
    clip = write_sparse_gguf(tmp_path / "clip.gguf", clip_l_tensors())
    with pytest.raises(ModelFileError, match="has no Stable Diffusion UNet tensors"):
        inspect_model(clip)


def test_a_gguf_cut_in_the_tensor_data_is_refused(sdxs_gguf, tmp_path):
    size = sdxs_gguf.stat().st_size
    cut = tmp_path / "cut.gguf"
    with open(sdxs_gguf, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(1 << 17))  # the header (about 61 KiB) and the start of the data
        dst.truncate(size // 2)
    with pytest.raises(ModelFileError, match=r"^The model file 'cut.gguf' is truncated \(the "
                                             r"data of tensor '.+' lies past the end of the "
                                             r"file\)\.$"):
        inspect_model(cut)
    # the last tensor (3 F32 values, 12 bytes) sits in the last 32-byte slot: the padding
    # after it may be missing (ggml does not read it), one byte of its data may not
    last = list(sdxs_checkpoint_tensors())[-1]
    os.truncate(cut, size - 32 + 12)
    assert inspect_model(cut).family == "sdxs"
    os.truncate(cut, size - 32 + 11)
    with pytest.raises(ModelFileError, match=f"the data of tensor '{re.escape(last)}' lies"):
        inspect_model(cut)


def test_a_gguf_cut_in_its_header_is_refused(sdxs_gguf, tmp_path):
    cut = tmp_path / "cut.gguf"
    with open(sdxs_gguf, "rb") as src:
        cut.write_bytes(src.read(20_000))  # the header is about 61 KiB
    with pytest.raises(ModelFileError, match="has a truncated GGUF header"):
        inspect_model(cut)


@pytest.mark.parametrize("seed", range(5))
def test_a_gguf_with_a_garbage_header_is_refused(tmp_path, seed):
    rnd = random.Random(seed)
    path = tmp_path / "garbage.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<I", 3) + rnd.randbytes(64 * 1024))
    with pytest.raises(ModelFileError, match="^The model file 'garbage.gguf' has a "
                                             "(damaged|truncated) GGUF header"):
        inspect_model(path)
