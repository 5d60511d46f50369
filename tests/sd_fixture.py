"""A structurally valid, all-zero Stable Diffusion checkpoint for tests, built here.

stable-diffusion.cpp 0.4.7 (the vendored copy in stable-diffusion-cpp-python) accepts as its
smallest single-file architecture the SDXS-512 layout: an SD 1.x checkpoint (CLIP ViT-L/14
text encoder, 768 wide) whose UNet is the tiny one (``channel_mult`` 1,2,4, one ResBlock per
level, no middle block, attention at the first two levels only, so no ``middle_block.1`` and
no ``output_blocks.7.1``), plus the tiny autoencoder SDXS ships with, which sd.cpp loads from
``first_stage_model.*`` as a TAE. The names and shapes below
restate ``src/unet.hpp`` (``UnetModelBlock`` for ``VERSION_SDXS_512_DS``), ``src/clip.hpp``
(``CLIPTextModel`` OPENAI_CLIP_VIT_L_14) and ``src/tae.hpp``
(``TinyEncoder``/``TinyDecoder``), in PyTorch (safetensors) order.

The weights are all zero and the files are sparse: the JSON header is written and the file is
then truncated to its full length, so a ~0.9 GB checkpoint takes a few KiB on disk. The same
checkpoint is also written as a GGUF v3 file by a small writer of our own
(``build_sdxs_gguf_fixture``), sparse the same way.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

_DTYPE_BYTES = {"F16": 2, "F32": 4}


# --------------------------------------------------------------------------- building blocks

def _linear(out: dict, name: str, n_in: int, n_out: int, bias: bool = True) -> None:
    out[f"{name}.weight"] = (n_out, n_in)
    if bias:
        out[f"{name}.bias"] = (n_out,)


def _conv(out: dict, name: str, n_in: int, n_out: int, k: int = 3, bias: bool = True) -> None:
    out[f"{name}.weight"] = (n_out, n_in, k, k)
    if bias:
        out[f"{name}.bias"] = (n_out,)


def _norm(out: dict, name: str, n: int) -> None:
    out[f"{name}.weight"] = (n,)
    out[f"{name}.bias"] = (n,)


# --------------------------------------------------------------------------- CLIP ViT-L/14

def clip_l_tensors(prefix: str = "cond_stage_model.transformer.text_model.") -> dict:
    d, layers, vocab, positions = 768, 12, 49408, 77
    out: dict = {}
    out[f"{prefix}embeddings.token_embedding.weight"] = (vocab, d)
    out[f"{prefix}embeddings.position_embedding.weight"] = (positions, d)
    for i in range(layers):
        p = f"{prefix}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            _linear(out, p + "self_attn." + proj, d, d)
        _norm(out, p + "layer_norm1", d)
        _norm(out, p + "layer_norm2", d)
        _linear(out, p + "mlp.fc1", d, 4 * d)
        _linear(out, p + "mlp.fc2", 4 * d, d)
    _norm(out, f"{prefix}final_layer_norm", d)
    return out


# --------------------------------------------------------------------------- tiny UNet

def _resblock(out: dict, name: str, ch: int, emb: int, n_out: int) -> None:
    _norm(out, f"{name}.in_layers.0", ch)
    _conv(out, f"{name}.in_layers.2", ch, n_out)
    _linear(out, f"{name}.emb_layers.1", emb, n_out)
    _norm(out, f"{name}.out_layers.0", n_out)
    _conv(out, f"{name}.out_layers.3", n_out, n_out)
    if ch != n_out:
        _conv(out, f"{name}.skip_connection", ch, n_out, k=1)


def _transformer(out: dict, name: str, ch: int, context: int) -> None:
    inner = ch  # n_head * d_head
    _norm(out, f"{name}.norm", ch)
    _conv(out, f"{name}.proj_in", ch, inner, k=1)
    b = f"{name}.transformer_blocks.0"
    for attn, kv in (("attn1", inner), ("attn2", context)):
        _linear(out, f"{b}.{attn}.to_q", inner, inner, bias=False)
        _linear(out, f"{b}.{attn}.to_k", kv, inner, bias=False)
        _linear(out, f"{b}.{attn}.to_v", kv, inner, bias=False)
        _linear(out, f"{b}.{attn}.to_out.0", inner, inner)
    _linear(out, f"{b}.ff.net.0.proj", inner, inner * 4 * 2)  # GEGLU
    _linear(out, f"{b}.ff.net.2", inner * 4, inner)
    for n in ("norm1", "norm2", "norm3"):
        _norm(out, f"{b}.{n}", inner)
    _conv(out, f"{name}.proj_out", inner, ch, k=1)


def _unet_stem(prefix: str, mc: int, emb: int) -> dict:
    """The time embedding and the input convolution every SD UNet starts with."""
    out: dict = {}
    _linear(out, prefix + "time_embed.0", mc, emb)
    _linear(out, prefix + "time_embed.2", emb, emb)
    _conv(out, prefix + "input_blocks.0.0", 4, mc)
    return out


def sdxs_unet_tensors(prefix: str = "model.diffusion_model.") -> dict:
    """UnetModelBlock(VERSION_SDXS_512_DS), following its constructor step by step."""
    mc, emb, context = 320, 1280, 768
    channel_mult, attention_res = (1, 2, 4), (4, 2)
    out = _unet_stem(prefix, mc, emb)
    chans, ch, idx, ds = [mc], mc, 0, 1
    for i, mult in enumerate(channel_mult):
        idx += 1
        _resblock(out, f"{prefix}input_blocks.{idx}.0", ch, emb, mult * mc)
        ch = mult * mc
        if ds in attention_res:
            _transformer(out, f"{prefix}input_blocks.{idx}.1", ch, context)
        chans.append(ch)
        idx += 1  # tiny UNet: one ResBlock per level, the index still steps over the second
        if i != len(channel_mult) - 1:
            idx += 1
            _conv(out, f"{prefix}input_blocks.{idx}.0.op", ch, ch)
            chans.append(ch)
            ds *= 2
    o = 0
    for i in reversed(range(len(channel_mult))):
        mult = channel_mult[i]
        for j in range(2):
            ich = chans.pop()
            _resblock(out, f"{prefix}output_blocks.{o}.0", ch + ich, emb, mult * mc)
            ch = mult * mc
            up = 1
            if ds in attention_res:
                _transformer(out, f"{prefix}output_blocks.{o}.1", ch, context)
                up += 1
            if i > 0 and j == 1:
                o += 1
                if o == 2:
                    up = 1
                _conv(out, f"{prefix}output_blocks.{o}.{up}.conv", ch, ch)
                ds //= 2
            o += 1
    _norm(out, prefix + "out.0", mc)
    _conv(out, prefix + "out.2", mc, 4)
    return out


# --------------------------------------------------------------------------- TAESD

def _tae_block(out: dict, name: str, ch: int = 64) -> None:
    for c in ("conv.0", "conv.2", "conv.4"):
        _conv(out, f"{name}.{c}", ch, ch)


def taesd_tensors(prefix: str = "") -> dict:
    """TinyEncoder + TinyDecoder (src/tae.hpp); a TAESD file has no prefix, the SDXS
    checkpoint carries the same tiny autoencoder under ``first_stage_model.``."""
    out: dict = {}
    e = prefix + "encoder.layers."
    _conv(out, e + "0", 3, 64)
    _tae_block(out, e + "1")
    idx = 2
    for _ in range(3):
        _conv(out, f"{e}{idx}", 64, 64, bias=False)
        idx += 1
        for _ in range(3):
            _tae_block(out, f"{e}{idx}")
            idx += 1
    _conv(out, f"{e}{idx}", 64, 4)
    d = prefix + "decoder.layers."
    _conv(out, d + "0", 4, 64)
    idx = 2  # 1: ReLU
    for _ in range(3):
        for _ in range(3):
            _tae_block(out, f"{d}{idx}")
            idx += 1
        idx += 1  # Upsample
        _conv(out, f"{d}{idx}", 64, 64, bias=False)
        idx += 1
    _tae_block(out, f"{d}{idx}")
    _conv(out, f"{d}{idx + 1}", 64, 3)
    return out


def sdxs_checkpoint_tensors() -> dict:
    """CLIP-L + tiny UNet + the tiny autoencoder SDXS ships with (sd.cpp loads an SDXS
    checkpoint's ``first_stage_model.*`` as a TAE, renamed to ``tae.*``; the KL VAE layout
    of SD 1.x is not accepted there and leaves the TAE uninitialised)."""
    return {**clip_l_tensors(), **sdxs_unet_tensors(), **taesd_tensors("first_stage_model.")}


# --------------------------------------------------------------------------- SD 2.1 / SD-Turbo

def open_clip_h_text_tensors(prefix: str = "cond_stage_model.model.") -> dict:
    """The OpenCLIP ViT-H/14 text tower an SD 2.x checkpoint carries (width 1024, 24
    residual blocks, fused in_proj), in the checkpoint's own names; sd.cpp renames them to
    its CLIP layout (OPEN_CLIP_VIT_H_14) and splits in_proj into q/k/v at load."""
    d, layers, vocab, positions = 1024, 24, 49408, 77
    out: dict = {f"{prefix}token_embedding.weight": (vocab, d),
                 f"{prefix}positional_embedding": (positions, d)}
    for i in range(layers):
        p = f"{prefix}transformer.resblocks.{i}."
        out[p + "attn.in_proj_weight"] = (3 * d, d)
        out[p + "attn.in_proj_bias"] = (3 * d,)
        _linear(out, p + "attn.out_proj", d, d)
        _norm(out, p + "ln_1", d)
        _norm(out, p + "ln_2", d)
        _linear(out, p + "mlp.c_fc", d, 4 * d)
        _linear(out, p + "mlp.c_proj", 4 * d, d)
    _norm(out, f"{prefix}ln_final", d)
    out[f"{prefix}text_projection"] = (d, d)
    return out


def _linear_transformer(out: dict, name: str, ch: int, context: int) -> None:
    """SD 2.x's SpatialTransformer (use_linear_in_transformer): proj_in/proj_out are
    Linear, not 1x1 convolutions."""
    _transformer(out, name, ch, context)
    _linear(out, f"{name}.proj_in", ch, ch)
    _linear(out, f"{name}.proj_out", ch, ch)


def sd2_unet_tensors(prefix: str = "model.diffusion_model.") -> dict:
    """The SD 2.1 UNet (SD-Turbo's): channel_mult 1,2,4,4, two ResBlocks per level,
    attention at ds 1, 2 and 4, a middle block, context 1024 (unet.hpp VERSION_SD2)."""
    mc, emb, context = 320, 1280, 1024
    channel_mult, attention_res, blocks = (1, 2, 4, 4), (1, 2, 4), 2
    out = _unet_stem(prefix, mc, emb)
    chans, ch, idx, ds = [mc], mc, 0, 1
    for i, mult in enumerate(channel_mult):
        for _ in range(blocks):
            idx += 1
            _resblock(out, f"{prefix}input_blocks.{idx}.0", ch, emb, mult * mc)
            ch = mult * mc
            if ds in attention_res:
                _linear_transformer(out, f"{prefix}input_blocks.{idx}.1", ch, context)
            chans.append(ch)
        if i != len(channel_mult) - 1:
            idx += 1
            _conv(out, f"{prefix}input_blocks.{idx}.0.op", ch, ch)
            chans.append(ch)
            ds *= 2
    _resblock(out, prefix + "middle_block.0", ch, emb, ch)
    _linear_transformer(out, prefix + "middle_block.1", ch, context)
    _resblock(out, prefix + "middle_block.2", ch, emb, ch)
    o = 0
    for i in reversed(range(len(channel_mult))):
        mult = channel_mult[i]
        for j in range(blocks + 1):
            ich = chans.pop()
            _resblock(out, f"{prefix}output_blocks.{o}.0", ch + ich, emb, mult * mc)
            ch = mult * mc
            up = 1
            if ds in attention_res:
                _linear_transformer(out, f"{prefix}output_blocks.{o}.1", ch, context)
                up = 2
            if i > 0 and j == blocks:
                _conv(out, f"{prefix}output_blocks.{o}.{up}.conv", ch, ch)
                ds //= 2
            o += 1
    _norm(out, prefix + "out.0", mc)
    _conv(out, prefix + "out.2", mc, 4)
    return out


def _vae_resnet(out: dict, name: str, n_in: int, n_out: int) -> None:
    _norm(out, f"{name}.norm1", n_in)
    _conv(out, f"{name}.conv1", n_in, n_out)
    _norm(out, f"{name}.norm2", n_out)
    _conv(out, f"{name}.conv2", n_out, n_out)
    if n_in != n_out:
        _conv(out, f"{name}.nin_shortcut", n_in, n_out, k=1)


def _vae_mid(out: dict, name: str, ch: int) -> None:
    _vae_resnet(out, f"{name}.block_1", ch, ch)
    _norm(out, f"{name}.attn_1.norm", ch)
    for proj in ("q", "k", "v", "proj_out"):
        _conv(out, f"{name}.attn_1.{proj}", ch, ch, k=1)
    _vae_resnet(out, f"{name}.block_2", ch, ch)


def kl_vae_tensors(prefix: str = "first_stage_model.") -> dict:
    """The SD AutoencoderKL (ch 128, ch_mult 1,2,4,4, 2 ResBlocks down / 3 up, z 4)."""
    ch, mult, z = 128, (1, 2, 4, 4), 4
    out: dict = {}
    e = prefix + "encoder."
    _conv(out, e + "conv_in", 3, ch)
    block_in = ch
    for level, m in enumerate(mult):
        for b in range(2):
            _vae_resnet(out, f"{e}down.{level}.block.{b}", block_in, ch * m)
            block_in = ch * m
        if level != len(mult) - 1:
            _conv(out, f"{e}down.{level}.downsample.conv", block_in, block_in)
    _vae_mid(out, e + "mid", block_in)
    _norm(out, e + "norm_out", block_in)
    _conv(out, e + "conv_out", block_in, 2 * z)
    _conv(out, prefix + "quant_conv", 2 * z, 2 * z, k=1)
    _conv(out, prefix + "post_quant_conv", z, z, k=1)
    d = prefix + "decoder."
    block_in = ch * mult[-1]
    _conv(out, d + "conv_in", z, block_in)
    _vae_mid(out, d + "mid", block_in)
    for level in reversed(range(len(mult))):
        for b in range(3):
            _vae_resnet(out, f"{d}up.{level}.block.{b}", block_in, ch * mult[level])
            block_in = ch * mult[level]
        if level != 0:
            _conv(out, f"{d}up.{level}.upsample.conv", block_in, block_in)
    _norm(out, d + "norm_out", block_in)
    _conv(out, d + "conv_out", block_in, 3)
    return out


def sd_turbo_checkpoint_tensors() -> dict:
    """SD-Turbo's single-file layout (SD 2.1 architecture): OpenCLIP-H text tower, the SD 2.1
    UNet and the KL autoencoder."""
    return {**open_clip_h_text_tensors(), **sd2_unet_tensors(), **kl_vae_tensors()}


def build_sd_turbo_fixture(folder: Path, dtype: str = "F16") -> Path:
    """An all-zero SD-Turbo-architecture checkpoint in `folder`, built once (sparse)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"sd-turbo-zero-{dtype.lower()}.safetensors"
    if not model.exists():
        write_sparse_safetensors(model, sd_turbo_checkpoint_tensors(), dtype,
                                 {"purpose": "remix-desktop test fixture, all zero"})
    return model


# --------------------------------------------------------------------------- writing

def write_sparse_safetensors(path: Path, shapes: dict, dtype: str = "F16",
                             metadata: dict | None = None) -> Path:
    """Write a safetensors file whose tensors are all zero, as a sparse file: the header,
    then truncate() to the full size (the data is a hole that reads back as zeros)."""
    path = Path(path)
    size = _DTYPE_BYTES[dtype]
    header: dict = {"__metadata__": {k: str(v) for k, v in (metadata or {}).items()}}
    offset = 0
    for name, shape in shapes.items():
        n = 1
        for s in shape:
            n *= s
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + n * size]}
        offset += n * size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the data 8-byte aligned
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        fh.truncate(8 + len(raw) + offset)
    tmp.replace(path)
    return path


def parameter_count(shapes: dict) -> int:
    total = 0
    for shape in shapes.values():
        n = 1
        for s in shape:
            n *= s
        total += n
    return total


def build_sdxs_fixture(folder: Path, dtype: str = "F16") -> tuple[Path, Path]:
    """(checkpoint, taesd) in `folder`, built once (reused when already there)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"sdxs-512-zero-{dtype.lower()}.safetensors"
    taesd = folder / f"taesd-zero-{dtype.lower()}.safetensors"
    if not model.exists():
        write_sparse_safetensors(model, sdxs_checkpoint_tensors(), dtype,
                                 {"purpose": "remix-desktop test fixture, all zero"})
    if not taesd.exists():
        write_sparse_safetensors(taesd, taesd_tensors(), dtype)
    return model, taesd


# --------------------------------------------------------------------------- GGUF

# ggml tensor types (ggml.h enum ggml_type) and GGUF metadata value types (gguf.h)
GGML_TYPE = {"F32": 0, "F16": 1}
_GGUF_UINT32, _GGUF_STRING = 4, 8
GGUF_ALIGNMENT = 32  # GGUF_DEFAULT_ALIGNMENT; written out as general.alignment too


def gguf_tensor_types(shapes: dict, weights: str = "F16") -> dict:
    """The ggml type of each tensor as stable-diffusion.cpp holds it in memory: `weights`
    for the matrices and convolutions, F32 for what it always keeps in F32 (every 1-D tensor
    -- biases, LayerNorm and GroupNorm -- and CLIP's position embedding; ggml_extend.hpp
    Linear/Conv2d/LayerNorm/GroupNorm and clip.hpp CLIPEmbeddings), so no tensor needs a
    conversion at load. An all-F16 file loads too (sd.cpp converts the 1-D tensors, as for
    the safetensors fixture; not measurably slower); all-F32 loads but is twice the size
    and converts every convolution to the F16 that Conv2d always holds."""
    return {name: ("F32" if len(shape) == 1 or name.endswith("position_embedding.weight")
                   else weights)
            for name, shape in shapes.items()}


def _gguf_str(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def gguf_header(shapes: dict, types: dict | str = "F16", metadata: dict | None = None,
                alignment: int = GGUF_ALIGNMENT) -> tuple[bytes, int]:
    """A GGUF v3 header for `shapes` (PyTorch order, as for safetensors) padded to the data
    section, and the full file size. Layout (ggml/src/gguf.cpp gguf_init_from_file_impl):
    magic, version, tensor count, KV count (all little-endian), the KV pairs, then per tensor
    its name, n_dims, the dims in ggml order (innermost first: the reverse of the PyTorch
    shape), its ggml type and its data offset; the data section starts at the next multiple
    of the alignment and each tensor's offset is the sum of the padded sizes before it
    (ggml checks ``ti.offset == ctx->size`` for every tensor)."""
    if isinstance(types, str):
        types = dict.fromkeys(shapes, types)
    kv = {"general.alignment": alignment, **(metadata or {})}
    out = [b"GGUF", struct.pack("<IQQ", 3, len(shapes), len(kv))]
    for key, value in kv.items():
        out.append(_gguf_str(key))
        if isinstance(value, int):
            out.append(struct.pack("<II", _GGUF_UINT32, value))
        else:
            out.append(struct.pack("<I", _GGUF_STRING) + _gguf_str(str(value)))
    offset = 0
    for name, shape in shapes.items():
        dtype = types[name]
        n = 1
        for s in shape:
            n *= s
        dims = tuple(reversed(shape))
        out.append(_gguf_str(name) + struct.pack(f"<I{len(dims)}QIQ", len(dims), *dims,
                                                 GGML_TYPE[dtype], offset))
        offset += -(-n * _DTYPE_BYTES[dtype] // alignment) * alignment
    raw = b"".join(out)
    raw += b"\0" * (-len(raw) % alignment)
    return raw, len(raw) + offset


def write_sparse_gguf(path: Path, shapes: dict, types: dict | str = "F16",
                      metadata: dict | None = None) -> Path:
    """Write a GGUF v3 file whose tensors are all zero, as a sparse file (the header, then
    truncate() to the full size), like write_sparse_safetensors."""
    path = Path(path)
    raw, size = gguf_header(shapes, types, metadata)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(raw)
        fh.truncate(size)
    tmp.replace(path)
    return path


def build_sdxs_gguf_fixture(folder: Path, weights: str = "F16") -> Path:
    """The SDXS-512 checkpoint of build_sdxs_fixture as a GGUF file in `folder`, built once
    (reused when already there): the same tensor names (stable-diffusion.cpp renames GGUF
    tensors by the same rules as safetensors ones) and shapes, `weights` for the matrices
    and convolutions, F32 for biases, norms and the position embedding."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"sdxs-512-zero-{weights.lower()}.gguf"
    if not model.exists():
        shapes = sdxs_checkpoint_tensors()
        write_sparse_gguf(model, shapes, gguf_tensor_types(shapes, weights),
                          {"general.architecture": "sd1",
                           "general.name": "SDXS-512 all-zero test fixture"})
    return model


def frame_png(size=(80, 48), colour=(200, 40, 40)) -> bytes:
    """A small flat-colour PNG: the frame an img2img job starts from."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()
