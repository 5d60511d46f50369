"""Model files: the header of a safetensors or GGUF file names its family (the rules of
stable-diffusion.cpp's get_sd_version), and anything else is refused with one sentence."""

from __future__ import annotations

import json
import os
import random
import struct
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remix_desktop.core.errors import RemixDesktopError
from remix_desktop.core.model_headers import ModelFile, ModelFileError, inspect_model

DTYPE_BYTES = {"F16": 2, "F32": 4, "BF16": 2, "I64": 8, "U8": 1}
UNET = "model.diffusion_model."
CLIP_L = "cond_stage_model.transformer.text_model."
OPENCLIP = "cond_stage_model.model."


# --------------------------------------------------------------------------- builders

def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]],
                      metadata: dict | None = None) -> tuple[bytes, int]:
    """The header (length prefix and JSON) and the total file size its data needs."""
    header: dict = {"__metadata__": metadata} if metadata is not None else {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = DTYPE_BYTES[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw, 8 + len(raw) + offset


def write_safetensors(path: Path, tensors: dict, metadata: dict | None = None) -> Path:
    """A structurally valid file; the zero data is sparse, so big shapes cost nothing."""
    head, size = safetensors_bytes(tensors, metadata)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


def f16(*shape: int) -> tuple[str, list[int]]:
    return ("F16", list(shape))


def sd1_tensors(mid: bool = True, out71: bool = True, in_channels: int = 4,
                text_encoder: bool = True, context: int = 768) -> dict:
    t = {
        f"{UNET}input_blocks.0.0.weight": f16(320, in_channels, 3, 3),
        f"{UNET}input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": f16(320, context),
        f"{UNET}output_blocks.3.1.transformer_blocks.0.attn1.to_k.weight": f16(1280, 1280),
        "first_stage_model.decoder.conv_in.weight": f16(512, 4, 3, 3),
    }
    if mid:
        t[f"{UNET}middle_block.1.transformer_blocks.0.attn2.to_k.weight"] = f16(1280, context)
    if out71:
        t[f"{UNET}output_blocks.7.1.transformer_blocks.0.attn1.to_k.weight"] = f16(640, 640)
    if text_encoder:
        t[f"{CLIP_L}embeddings.token_embedding.weight"] = f16(49408, 768)
        t[f"{CLIP_L}encoder.layers.0.self_attn.k_proj.weight"] = f16(768, 768)
    return t


def sd2_tensors(mid: bool = True, attn1024: bool = False) -> dict:
    width = 1024 if attn1024 else 640
    t = {
        f"{UNET}input_blocks.0.0.weight": f16(320, 4, 3, 3),
        f"{UNET}input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": f16(320, 1024),
        f"{UNET}output_blocks.7.1.transformer_blocks.0.attn1.to_k.weight": f16(width, width),
        f"{OPENCLIP}token_embedding.weight": f16(49408, 1024),
        f"{OPENCLIP}transformer.resblocks.0.attn.in_proj_weight": f16(3072, 1024),
    }
    if mid:
        t[f"{UNET}middle_block.1.transformer_blocks.0.attn2.to_k.weight"] = f16(1280, 1024)
    return t


def sdxl_tensors(mid: bool = True, out311: bool = True, second_encoder: bool = True,
                 first_encoder: bool = True) -> dict:
    t = {
        f"{UNET}input_blocks.0.0.weight": f16(320, 4, 3, 3),
        f"{UNET}input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": f16(640, 2048),
        f"{UNET}label_emb.0.0.weight": f16(1280, 2816),
    }
    if first_encoder:
        t["conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight"] \
            = f16(49408, 768)
    if second_encoder:
        t["conditioner.embedders.1.model.token_embedding.weight"] = f16(49408, 1280)
    if mid:
        t[f"{UNET}middle_block.1.transformer_blocks.0.attn2.to_k.weight"] = f16(1280, 2048)
    if out311:
        t[f"{UNET}output_blocks.3.1.transformer_blocks.1.attn2.to_k.weight"] = f16(1280, 2048)
    return t


def taesd_tensors(latent: int = 4, encoder: bool = True) -> dict:
    t = {"decoder.layers.0.weight": f16(64, latent, 3, 3), "decoder.layers.0.bias": f16(64),
         "decoder.layers.2.conv.0.weight": f16(64, 64, 3, 3),
         "decoder.layers.18.weight": f16(3, 64, 3, 3)}
    if encoder:
        t["encoder.layers.0.weight"] = f16(64, 3, 3, 3)
        t["encoder.layers.14.weight"] = f16(latent, 64, 3, 3)
    return t


# GGUF: value type ids of the format
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
        BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}


def gguf_string(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(vtype: int, value) -> bytes:
    if vtype == STR:
        return gguf_string(value)
    if vtype == ARR:
        etype, items = value
        return struct.pack("<IQ", etype, len(items)) + b"".join(
            gguf_value(etype, v) for v in items)
    return struct.pack(_FMT[vtype], value)


def gguf_bytes(kv: list[tuple[str, int, object]],
               tensors: list[tuple[str, list[int], int]], version: int = 3,
               alignment: int = 32) -> tuple[bytes, int]:
    """Header of a GGUF file (tensors as (name, ggml dims, ggml type)) and the file size."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kv))
    for key, vtype, value in kv:
        out += gguf_string(key) + struct.pack("<I", vtype) + gguf_value(vtype, value)
    offset = 0
    for name, dims, gtype in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", gtype, offset)
        n = {0: 4, 1: 2}[gtype]
        for d in dims:
            n *= d
        offset += -(-n // alignment) * alignment
    start = -(-len(out) // alignment) * alignment
    return out, start + offset


def write_gguf(path: Path, kv, tensors, **kw) -> Path:
    head, size = gguf_bytes(kv, tensors, **kw)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


# --------------------------------------------------------------------------- families

@pytest.mark.parametrize("tensors, family, variant, label", [
    (sd1_tensors(), "sd1", "SD1", "SD 1.x"),
    (sd2_tensors(), "sd2", "SD2", "SD 2.x (incl. SD-Turbo)"),
    (sdxl_tensors(), "sdxl", "SDXL", "SDXL (incl. SDXL-Turbo)"),
    (sd1_tensors(mid=False, out71=False), "sdxs", "SDXS_512_DS",
     "SDXS-512 (tiny UNet, SD 1.x base)"),
    (sd1_tensors(mid=False), "sdxs", "SD1_TINY_UNET", "Tiny UNet (SD 1.x base)"),
    (sd2_tensors(mid=False, attn1024=True), "sdxs", "SDXS_09",
     "SDXS-0.9 (tiny UNet, SD 2.x base)"),
    (sd2_tensors(mid=False), "sdxs", "SD2_TINY_UNET", "Tiny UNet (SD 2.x base)"),
    (sdxl_tensors(mid=False), "sdxl", "SDXL_SSD1B", "SSD-1B (distilled SDXL)"),
    (sdxl_tensors(mid=False, out311=False), "sdxl", "SDXL_VEGA",
     "Segmind Vega (distilled SDXL)"),
    (sd1_tensors(in_channels=9), "sd1", "SD1_INPAINT", "SD 1.x inpainting"),
    (sd1_tensors(in_channels=8), "sd1", "SD1_PIX2PIX", "SD 1.x InstructPix2Pix"),
], ids=["sd1", "sd2", "sdxl", "sdxs512", "sd1tiny", "sdxs09", "sd2tiny", "ssd1b", "vega",
        "sd1inpaint", "sd1pix2pix"])
def test_each_diffusion_family_is_detected(tmp_path, tensors, family, variant, label):
    path = write_safetensors(tmp_path / "model.safetensors", tensors,
                             metadata={"modelspec.title": "test"})
    model = inspect_model(path)
    assert isinstance(model, ModelFile)
    assert (model.family, model.variant, model.label) == (family, variant, label)
    assert model.kind == "diffusion" and model.format == "safetensors" and model.complete
    assert model.tensors == len(tensors)
    assert model.size == path.stat().st_size > 49408 * 768 * 2  # sparse, not read
    assert model.metadata == {"modelspec.title": "test"}
    assert model.path == path


def test_a_large_sparse_checkpoint_is_checked_by_its_header_only(tmp_path):
    tensors = sd1_tensors()
    tensors[f"{UNET}huge.weight"] = ("F32", [1 << 20, 1 << 10])  # 4 GiB of holes
    start = time.monotonic()
    model = inspect_model(write_safetensors(tmp_path / "big.safetensors", tensors))
    assert model.family == "sd1" and model.size > 4 << 30
    assert time.monotonic() - start < 2


def test_diffusers_layout_names_are_recognised(tmp_path):
    tensors = {
        "unet.conv_in.weight": f16(320, 4, 3, 3),
        "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight":
            f16(320, 1024),
        "unet.mid_block.resnets.1.conv1.weight": f16(1280, 1280, 3, 3),
        "te.text_model.embeddings.token_embedding.weight": f16(49408, 1024),
    }
    model = inspect_model(write_safetensors(tmp_path / "d.safetensors", tensors))
    assert (model.family, model.variant) == ("sd2", "SD2")


def test_sdxl_needs_the_second_text_encoder_or_label_emb(tmp_path):
    # a second encoder beside a UNet is SDXL, even when the first is missing
    only_g = sdxl_tensors(first_encoder=False)
    assert inspect_model(write_safetensors(tmp_path / "g.safetensors", only_g)).family \
        == "sdxl"
    # a UNet alone: label_emb says SDXL, and the file is marked incomplete
    unet = sdxl_tensors(first_encoder=False, second_encoder=False)
    model = inspect_model(write_safetensors(tmp_path / "u.safetensors", unet))
    assert (model.family, model.complete) == ("sdxl", False)
    assert "UNet only" in model.label


def test_a_unet_alone_is_judged_by_its_cross_attention_width(tmp_path):
    sd1 = inspect_model(write_safetensors(tmp_path / "a.safetensors",
                                          sd1_tensors(text_encoder=False)))
    assert (sd1.family, sd1.complete) == ("sd1", False)
    sd2 = inspect_model(write_safetensors(tmp_path / "b.safetensors",
                                          sd1_tensors(text_encoder=False, context=1024)))
    assert sd2.family == "sd2"


def test_taesd_files_are_detected(tmp_path):
    full = inspect_model(write_safetensors(tmp_path / "taesd.safetensors", taesd_tensors()))
    assert (full.family, full.kind, full.label) == ("taesd", "taesd", "TAESD tiny autoencoder")
    dec = inspect_model(write_safetensors(tmp_path / "taesd_decoder.safetensors",
                                          taesd_tensors(encoder=False)))
    assert dec.kind == "taesd" and "decoder only" in dec.label


def test_a_taesd_for_16_channel_latents_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="16-channel latents"):
        inspect_model(write_safetensors(tmp_path / "taef1.safetensors",
                                        taesd_tensors(latent=16)))


def test_a_text_encoder_that_does_not_fit_the_unet_is_refused(tmp_path):
    tensors = sd1_tensors(context=1024)  # CLIP-L (768) beside a UNet expecting 1024
    with pytest.raises(ModelFileError, match="expecting 1024-wide text features"):
        inspect_model(write_safetensors(tmp_path / "mixed.safetensors", tensors))


def test_families_sd_cpp_knows_but_the_app_does_not_run_are_named(tmp_path):
    flux = {f"{UNET}double_blocks.0.img_attn.qkv.weight": f16(9216, 3072)}
    with pytest.raises(ModelFileError, match="is a Flux model; Remix Desktop runs"):
        inspect_model(write_safetensors(tmp_path / "flux.safetensors", flux))
    sd3 = {f"{UNET}joint_blocks.0.x_block.attn.qkv.weight": f16(4608, 1536)}
    with pytest.raises(ModelFileError, match="Stable Diffusion 3"):
        inspect_model(write_safetensors(tmp_path / "sd3.safetensors", sd3))


def test_a_file_without_a_unet_is_refused(tmp_path):
    text_only = {f"{CLIP_L}embeddings.token_embedding.weight": f16(49408, 768)}
    with pytest.raises(ModelFileError, match="has no Stable Diffusion UNet tensors"):
        inspect_model(write_safetensors(tmp_path / "clip.safetensors", text_only))


# --------------------------------------------------------------------------- bad files

def test_garbage_bytes_are_refused(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(random.Random(1).randbytes(4096))
    with pytest.raises(ModelFileError, match="is not a safetensors or GGUF file") as err:
        inspect_model(path)
    assert str(err.value) == ("The model file 'noise.safetensors' is not a safetensors or "
                              "GGUF file.")
    assert isinstance(err.value, RemixDesktopError) and err.value.path == path


def test_a_text_file_named_safetensors_is_refused(tmp_path):
    path = tmp_path / "readme.safetensors"
    path.write_text("This is not a model, just some notes about one.\n" * 20)
    with pytest.raises(ModelFileError, match="is not a safetensors or GGUF file"):
        inspect_model(path)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.touch()
    with pytest.raises(ModelFileError, match="'empty.safetensors' is empty"):
        inspect_model(path)


def test_a_tiny_file_is_refused(tmp_path):
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(b"{}")
    with pytest.raises(ModelFileError, match="only 2 bytes long"):
        inspect_model(path)


def test_a_truncated_header_is_refused(tmp_path):
    head, _ = safetensors_bytes(sd1_tensors())
    path = tmp_path / "cut.safetensors"
    path.write_bytes(head[: len(head) // 2])
    with pytest.raises(ModelFileError, match="has a truncated header"):
        inspect_model(path)


def test_offsets_past_the_end_are_refused(tmp_path):
    head, size = safetensors_bytes(sd1_tensors())
    path = tmp_path / "short.safetensors"
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size - 1)  # the last tensor's data is one byte short
    with pytest.raises(ModelFileError, match="is truncated .the data of tensor '.*' lies "
                                             "past the end of the file"):
        inspect_model(path)


def test_a_header_that_is_not_json_is_refused(tmp_path):
    raw = b'{"a": {"dtype": "F16", ' + b"\xff" * 40
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(64))
    with pytest.raises(ModelFileError, match="has a damaged header .it is not valid JSON"):
        inspect_model(path)


@pytest.mark.parametrize("entry, reason", [
    ({"dtype": "F16", "shape": [4], "data_offsets": [0, 6]},
     "has a data size that does not match its shape"),
    ({"dtype": "Q9", "shape": [4], "data_offsets": [0, 8]}, "has an unknown dtype"),
    ({"dtype": "F16", "shape": [-4], "data_offsets": [0, 8]}, "has an invalid shape"),
    ({"dtype": "F16", "shape": [True], "data_offsets": [0, 2]}, "has an invalid shape"),
    ({"dtype": "F16", "shape": [4], "data_offsets": [8, 0]}, "has invalid data offsets"),
    ({"dtype": "F16", "shape": [1] * 6, "data_offsets": [0, 2]}, "has 6 dimensions"),
    ([1, 2], "is not an object"),
])
def test_a_damaged_tensor_entry_is_refused(tmp_path, entry, reason):
    raw = json.dumps({"model.diffusion_model.x": entry}).encode()
    path = tmp_path / "entry.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(64))
    with pytest.raises(ModelFileError, match=f"has a damaged header .tensor "
                                             f"'model.diffusion_model.x' {reason}"):
        inspect_model(path)


def test_a_gguf_with_a_wrong_magic_is_refused(tmp_path):
    head, size = gguf_bytes([("general.architecture", STR, "llama")], [])
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUX" + head[4:])
    with pytest.raises(ModelFileError, match="is not a GGUF file .it does not start with "
                                             "the GGUF magic bytes"):
        inspect_model(path)


def test_a_gguf_of_an_old_version_is_refused(tmp_path):
    path = write_gguf(tmp_path / "old.gguf", [], [], version=1)
    with pytest.raises(ModelFileError, match="is GGUF version 1; only versions 2 and 3"):
        inspect_model(path)


def test_missing_files_folders_and_fifos_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        inspect_model(tmp_path / "nope.safetensors")
    (tmp_path / "dir.safetensors").mkdir()
    with pytest.raises(ModelFileError, match="is a folder"):
        inspect_model(tmp_path / "dir.safetensors")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.gguf")
        with pytest.raises(ModelFileError, match="is not a regular file"):
            inspect_model(tmp_path / "pipe.gguf")  # never opened: it would block


# --------------------------------------------------------------------------- GGUF

ALL_VALUE_TYPES = [
    ("t.u8", U8, 200), ("t.i8", I8, -100), ("t.u16", U16, 60000), ("t.i16", I16, -30000),
    ("t.u32", U32, 4_000_000_000), ("t.i32", I32, -2_000_000_000), ("t.f32", F32, 0.5),
    ("t.bool", BOOL, True), ("t.str", STR, "héllo"), ("t.u64", U64, 1 << 63),
    ("t.i64", I64, -(1 << 62)), ("t.f64", F64, 1.25),
    ("t.arr", ARR, (I32, [1, -2, 3])), ("t.strs", ARR, (STR, ["a", "bc"])),
    ("t.nested", ARR, (ARR, [(U8, [1, 2]), (U8, [])])),
    ("t.long", ARR, (F32, [0.0] * 1000)), ("t.longstrs", ARR, (STR, ["tok"] * 1000)),
]


def test_gguf_metadata_of_every_value_type_is_read(tmp_path):
    path = write_gguf(tmp_path / "lm.gguf", [("general.architecture", STR, "llama"),
                                             ("general.name", STR, "Tiny Llama"),
                                             *ALL_VALUE_TYPES],
                      [("token_embd.weight", [64, 100], 0), ("blk.0.attn_q.weight",
                                                             [64, 64], 1)])
    model = inspect_model(path)
    assert (model.kind, model.family, model.format, model.tensors) == (
        "caption", "llama", "gguf", 2)
    assert model.label == "Tiny Llama (language model, llama)"
    m = model.metadata
    assert [m[k] for k in ("t.u8", "t.i8", "t.u16", "t.i16", "t.u32", "t.i32", "t.f32",
                           "t.bool", "t.str", "t.u64", "t.i64", "t.f64")] == [
        200, -100, 60000, -30000, 4_000_000_000, -2_000_000_000, 0.5, True, "héllo",
        1 << 63, -(1 << 62), 1.25]
    assert m["t.arr"] == [1, -2, 3] and m["t.strs"] == ["a", "bc"]
    assert m["t.nested"] == [[1, 2], []]
    assert m["t.long"] == {"type": "array", "element": "float32", "length": 1000}
    assert m["t.longstrs"] == {"type": "array", "element": "string", "length": 1000}


def test_a_stable_diffusion_gguf_is_detected_with_ggml_dim_order(tmp_path):
    # GGUF stores dims fastest-first (ggml ne order): the reverse of the PyTorch shape
    tensors = [(name, list(reversed(shape)), 1)
               for name, (_, shape) in sd2_tensors(mid=False, attn1024=True).items()]
    model = inspect_model(write_gguf(tmp_path / "sdxs.gguf", [("general.alignment", U32, 64)],
                                     tensors, alignment=64))
    assert (model.family, model.variant, model.kind, model.format) == (
        "sdxs", "SDXS_09", "diffusion", "gguf")


def test_a_gguf_without_an_architecture_or_unet_is_refused(tmp_path):
    path = write_gguf(tmp_path / "x.gguf", [], [("blk.0.weight", [4, 4], 0)])
    with pytest.raises(ModelFileError, match="has no Stable Diffusion UNet tensors"):
        inspect_model(path)


def test_gguf_tensor_data_past_the_end_is_refused(tmp_path):
    head, size = gguf_bytes([("general.architecture", STR, "llama")],
                            [("token_embd.weight", [64, 100], 0)])
    path = tmp_path / "short.gguf"
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size - 1)
    with pytest.raises(ModelFileError, match="the data of tensor 'token_embd.weight' lies "
                                             "past the end"):
        inspect_model(path)


def test_a_gguf_declaring_absurd_counts_is_refused_at_once(tmp_path):
    path = tmp_path / "liar.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 1 << 60) + bytes(64))
    with pytest.raises(ModelFileError, match="more than the file can hold"):
        inspect_model(path)
    huge_array = (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_string("k")
                  + struct.pack("<IIQ", ARR, STR, 1 << 62))
    path.write_bytes(huge_array)
    with pytest.raises(ModelFileError, match="truncated GGUF header"):
        inspect_model(path)


@pytest.fixture(scope="module")
def gemma(tmp_path_factory) -> Path:
    from remix_desktop.core.home import Home
    from remix_desktop.core.model_manifest import caption_model_path
    return caption_model_path(Home(tmp_path_factory.mktemp("gemma")).ensure())


def test_the_real_gemma_gguf_is_a_caption_model(gemma):
    start = time.monotonic()
    model = inspect_model(gemma)
    assert time.monotonic() - start < 5
    assert (model.kind, model.family, model.format) == ("caption", "gemma3", "gguf")
    assert model.metadata["general.architecture"] == "gemma3"
    assert model.metadata["tokenizer.ggml.tokens"]["length"] > 200_000  # summarised
    assert model.tensors > 100 and model.size == gemma.stat().st_size


def test_a_cut_gemma_gguf_is_refused(gemma, tmp_path):
    with open(gemma, "rb") as fh:
        start = fh.read(16 << 20)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(start[: 1 << 20])  # inside the tokenizer's vocabulary
    with pytest.raises(ModelFileError, match="has a truncated GGUF header"):
        inspect_model(cut)
    cut.write_bytes(start)  # the whole header, but not all the weights
    with pytest.raises(ModelFileError, match="is truncated .the data of tensor"):
        inspect_model(cut)


# --------------------------------------------------------------------------- fuzzing

# small but detectable seeds: only the widths the rules look at are real
_SMALL_SD1 = {f"{CLIP_L}embeddings.token_embedding.weight": f16(1, 768),
              f"{UNET}input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": f16(1, 768),
              f"{UNET}middle_block.1.proj_in.weight": f16(2),
              f"{UNET}output_blocks.7.1.proj_in.weight": f16(2)}
_SMALL_ST, _size = safetensors_bytes(_SMALL_SD1, metadata={"format": "pt"})
_SMALL_ST = _SMALL_ST + bytes(_size - len(_SMALL_ST))
_SMALL_GGUF, _size = gguf_bytes(
    [("general.architecture", STR, "llama"), *ALL_VALUE_TYPES[:15]],
    [("token_embd.weight", [8, 4], 0), ("blk.0.attn_q.weight", [8, 8], 1)])
_SMALL_GGUF = _SMALL_GGUF + bytes(_size - len(_SMALL_GGUF))
SEEDS = {"st": _SMALL_ST, "gguf": _SMALL_GGUF, "noise": b""}


@st.composite
def mutated_files(draw):
    kind = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[kind])
    if kind == "noise":
        data = bytearray(draw(st.sampled_from([b"", b"GGUF", b"{"]))
                         + draw(st.binary(max_size=512)))
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "u64"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at:at + 8] = struct.pack("<Q", draw(st.sampled_from(
                [0, 1, 7, 255, 1 << 31, 1 << 32, (1 << 63) - 1, (1 << 64) - 1])))
    suffix = draw(st.sampled_from([".safetensors", ".gguf", ".bin"]))
    return bytes(data), suffix


def test_the_fuzzing_seeds_are_valid(tmp_path):
    (tmp_path / "a.safetensors").write_bytes(_SMALL_ST)
    (tmp_path / "b.gguf").write_bytes(_SMALL_GGUF)
    assert inspect_model(tmp_path / "a.safetensors").family == "sd1"
    assert inspect_model(tmp_path / "b.gguf").family == "llama"


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_files())
def test_random_and_mutated_bytes_return_or_raise_model_file_error(case):
    data, suffix = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        start = time.monotonic()
        try:
            model = inspect_model(path)
        except ModelFileError as exc:
            assert str(exc).startswith(f"The model file 'fuzz{suffix}' ")
            assert str(exc).endswith(".") and "\n" not in str(exc)
        else:
            assert isinstance(model, ModelFile) and model.size == len(data)
        assert time.monotonic() - start < 2
