"""Model files: check a local safetensors or GGUF file and tell which model family it holds,
by reading its header only (never the weights, never through stable-diffusion.cpp), so a
file that is not a usable model is refused with one clear sentence instead of a crash.

The family rules follow what stable-diffusion.cpp itself looks at when it guesses a version
(``ModelLoader::get_sd_version`` in ``src/model.cpp``), restated here:

- a UNet is present when a tensor name contains ``model.diffusion_model.input_blocks.``
  (single-file checkpoint) or ``unet.down_blocks.`` (diffusers layout);
- a second text encoder (``conditioner.embedders.1``, ``cond_stage_model.1`` or a ``te.1``
  prefix) beside a UNet means SDXL;
- otherwise the width of the text encoder's token embedding decides: 768 (CLIP ViT-L) is
  SD 1.x, 1024 (OpenCLIP ViT-H) is SD 2.x;
- a UNet without ``middle_block.1`` is a tiny UNet: on SD 1.x, no ``output_blocks.7.1``
  either means SDXS-512; on SD 2.x, a 1024-wide ``output_blocks.7.1...attn1.to_k`` means
  SDXS-0.9; on SDXL, with ``output_blocks.3.1.transformer_blocks.1`` it is SSD-1B, without
  it Segmind Vega (both distilled SDXL, which sd.cpp runs as SDXL);
- the first UNet convolution taking 9 input channels is an inpainting model, 8 InstructPix2Pix.

A file with a UNet but no text encoder is judged by the UNet alone: its cross-attention
context width (768 / 1024 / 2048) or its ``label_emb`` (SDXL only), and is marked
``complete=False`` (stable-diffusion.cpp cannot load it as a single checkpoint).

A TAESD file holds the tiny autoencoder's ``decoder.layers.*`` (and optionally
``encoder.layers.*``) tensors, which sd.cpp loads under its ``tae.`` prefix (``src/tae.hpp``).
"""

from __future__ import annotations

import json
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RemixDesktopError
from .model_kinds import FAMILIES

__all__ = ["FAMILY_LABELS", "ModelFile", "ModelFileError", "inspect_model", "is_plain_file_name"]

FAMILY_LABELS = {key: f.label for key, f in FAMILIES.items()}

# Bounds on anything a file declares about itself, checked before any allocation.
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024
MAX_GGUF_STRING = 1024 * 1024  # a longer string value is skipped and only its length kept
MAX_GGUF_NAME = 64 * 1024  # keys and tensor names
MAX_GGUF_ARRAY_KEPT = 256  # a longer array is skipped and only its length kept
MAX_GGUF_NESTING = 8
MAX_DIMS_SAFETENSORS = 5  # stable-diffusion.cpp refuses more (SD_MAX_DIMS)
MAX_DIMS_GGUF = 4  # GGML_MAX_DIMS

_SAFETENSORS_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8,
}

# ggml tensor types: (elements per block, bytes per block); types not listed are accepted
# without a size check (newer ggml versions add types).
_GGML_TYPES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98),
    19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1),
    25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17),
}

GGML_TYPE_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
                   9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
                   15: "Q8_K", 30: "BF16"}

# GGUF metadata value types: id -> (name, struct format or None for string/array)
_GGUF_VALUE = {
    0: ("uint8", "<B"), 1: ("int8", "<b"), 2: ("uint16", "<H"), 3: ("int16", "<h"),
    4: ("uint32", "<I"), 5: ("int32", "<i"), 6: ("float32", "<f"), 7: ("bool", "<?"),
    8: ("string", None), 9: ("array", None), 10: ("uint64", "<Q"), 11: ("int64", "<q"),
    12: ("float64", "<d"),
}
_GGUF_STRING, _GGUF_ARRAY, _GGUF_BOOL = 8, 9, 7


class ModelFileError(RemixDesktopError):
    """A file offered as a model is not one the app can use; the message names the file."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"The model file '{_printable(self.path.name)}' {reason}.")


@dataclass(frozen=True)
class ModelFile:
    path: Path
    format: str  # "safetensors" | "gguf"
    family: str  # sd1 | sd2 | sdxl | sdxs | taesd | a GGUF general.architecture (caption)
    label: str
    kind: str  # "diffusion" | "taesd" | "caption"
    tensors: int
    size: int
    metadata: dict = field(default_factory=dict)
    variant: str = ""  # the stable-diffusion.cpp version name, e.g. "SDXS_512_DS"
    complete: bool = True  # False: a UNet without its text encoder
    # every tensor's shape (PyTorch order) and type ("F16", "Q8_0"…): what the memory
    # estimate (model_memory) reads; not part of a ModelFile's identity
    table: dict = field(default_factory=dict, repr=False, compare=False)


class _NoUNet(ModelFileError):
    """Neither a Stable Diffusion UNet nor a TAESD (a GGUF may still be a language model)."""


class _Damaged(Exception):
    """The header breaks its own format; the text says how."""


class _Truncated(Exception):
    """The file ends before its header does."""


# --------------------------------------------------------------------------- entry point

def inspect_model(path: Path) -> ModelFile:
    """Read the header of a safetensors or GGUF file and name the model family it holds.
    Raises ModelFileError (one sentence naming the file) for anything else."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ModelFileError(path, "does not exist") from None
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ModelFileError(path, "is a folder, not a model file")
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(path, "is not a regular file")
    size = info.st_size
    if size == 0:
        raise ModelFileError(path, "is empty")
    try:
        with open(path, "rb", buffering=1 << 20) as fh:
            head = fh.read(8)
            fh.seek(0)
            if head[:4] == b"GGUF":
                return _inspect_gguf(path, fh, size)
            if path.suffix.lower() == ".gguf":
                raise ModelFileError(path, "is not a GGUF file (it does not start with the "
                                           "GGUF magic bytes)")
            return _inspect_safetensors(path, fh, size, head)
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read ({exc.strerror or exc})") from None


def is_plain_file_name(name: object) -> bool:
    """True for a name that stays inside the folder it is joined to: no folder part ('/',
    '\\'), not '.' or '..', not absolute, nothing unprintable (NUL, newlines), at most 255
    bytes. A model name from a manifest or the command line must be one before it becomes a
    path below the models folder."""
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name
            and "\\" not in name and name.isprintable() and not os.path.isabs(name)
            and len(name.encode("utf-8", "surrogatepass")) <= 255)


# --------------------------------------------------------------------------- safetensors

def _inspect_safetensors(path: Path, fh, size: int, head: bytes) -> ModelFile:
    not_model = "is not a safetensors or GGUF file"
    if len(head) < 8:
        raise ModelFileError(path, f"{not_model} (it is only {size} bytes long)")
    (length,) = struct.unpack("<Q", head)
    fh.seek(8)
    first = fh.read(1)
    if length < 2 or length > MAX_SAFETENSORS_HEADER or first != b"{":
        raise ModelFileError(path, not_model)
    if length > size - 8:
        raise ModelFileError(path, "has a truncated header (the file ends inside it)")
    fh.seek(8)
    raw = fh.read(length)
    if len(raw) != length:
        raise ModelFileError(path, "has a truncated header (the file ends inside it)")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelFileError(path, "has a damaged header (it is not valid JSON)") from None
    if not isinstance(header, dict):
        raise ModelFileError(path, "has a damaged header (it is not a JSON object)")

    data_size = size - 8 - length
    metadata: dict = {}
    shapes: dict[str, tuple[int, ...]] = {}
    table: dict[str, tuple[tuple[int, ...], str]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict):
                raise ModelFileError(path, "has a damaged header (__metadata__ is not an "
                                           "object)")
            metadata = {str(k): v for k, v in entry.items()}
            continue
        try:
            shapes[name] = _safetensors_tensor(entry, data_size)
            table[name] = (shapes[name], entry["dtype"])
        except _Damaged as exc:
            raise ModelFileError(path, f"has a damaged header (tensor '{_short(name)}' "
                                       f"{exc})") from None
        except _Truncated:
            raise ModelFileError(path, f"is truncated (the data of tensor '{_short(name)}' "
                                       f"lies past the end of the file)") from None
    if not shapes:
        raise ModelFileError(path, "holds no tensors")
    _refuse_overlaps(path, header)
    family = _detect(path, shapes)
    return ModelFile(path=path, format="safetensors", tensors=len(shapes), size=size,
                     metadata=metadata, table=table, **family)


def _safetensors_tensor(entry, data_size: int) -> tuple[int, ...]:
    if not isinstance(entry, dict):
        raise _Damaged("is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in _SAFETENSORS_DTYPE_BYTES:
        raise _Damaged(f"has an unknown dtype {_short(repr(dtype))}")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise _Damaged("has an invalid shape")
    if len(shape) > MAX_DIMS_SAFETENSORS:
        raise _Damaged(f"has {len(shape)} dimensions, more than {MAX_DIMS_SAFETENSORS}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]):
        raise _Damaged("has invalid data offsets")
    elements = 1
    for d in shape:
        elements *= d
    if offsets[1] - offsets[0] != elements * _SAFETENSORS_DTYPE_BYTES[dtype]:
        raise _Damaged("has a data size that does not match its shape")
    if offsets[1] > data_size:
        raise _Truncated()
    return tuple(shape)


def _refuse_overlaps(path: Path, header: dict) -> None:
    """Two tensors may not share bytes (the safetensors format forbids it; a loader would
    read one tensor's weights as another's)."""
    spans = sorted((e["data_offsets"][0], e["data_offsets"][1], name)
                   for name, e in header.items() if name != "__metadata__"
                   and e["data_offsets"][0] != e["data_offsets"][1])
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise ModelFileError(path, f"has a damaged header (tensors '{_short(first)}' and "
                                       f"'{_short(second)}' share bytes)")


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _short(text: str, limit: int = 80) -> str:
    """Untrusted text (a tensor name, a value) fit for a one-line message: at most `limit`
    characters, anything unprintable (newlines, terminal escapes, bidi controls) as '?'."""
    text = str(text)
    return _printable(text if len(text) <= limit else text[:limit] + "...")


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


# --------------------------------------------------------------------------- GGUF

class _Reader:
    """Reads a header front to back, never past the end of the file and never allocating
    more than a declared bound."""

    def __init__(self, fh, size: int):
        self.fh, self.size, self.pos = fh, size, 0

    def remaining(self) -> int:
        return self.size - self.pos

    def take(self, n: int) -> bytes:
        if n > self.remaining():
            raise _Truncated()
        data = self.fh.read(n)
        if len(data) != n:
            raise _Truncated()
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n > self.remaining():
            raise _Truncated()
        self.fh.seek(n, os.SEEK_CUR)
        self.pos += n

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def u32(self) -> int:
        return self.unpack("<I")

    def u64(self) -> int:
        return self.unpack("<Q")

    def string(self, limit: int):
        """A GGUF string (uint64 length, UTF-8 bytes); longer than limit: skipped, and a
        summary of its length is returned instead."""
        n = self.u64()
        if n > self.remaining():
            raise _Truncated()
        if n > limit:
            self.skip(n)
            return {"type": "string", "length": n}
        return self.take(n).decode("utf-8", errors="replace")

    def name(self) -> str:
        n = self.u64()
        if n > MAX_GGUF_NAME:
            raise _Damaged(f"a name is {n} bytes long")
        return self.take(n).decode("utf-8", errors="replace")


def _gguf_value(r: _Reader, vtype: int, depth: int = 0):
    if vtype not in _GGUF_VALUE:
        raise _Damaged(f"unknown value type {vtype}")
    name, fmt = _GGUF_VALUE[vtype]
    if fmt is not None:
        return r.unpack(fmt)
    if vtype == _GGUF_STRING:
        return r.string(MAX_GGUF_STRING)
    if depth >= MAX_GGUF_NESTING:
        raise _Damaged("arrays are nested too deeply")
    etype, count = r.u32(), r.u64()
    if etype not in _GGUF_VALUE:
        raise _Damaged(f"unknown array element type {etype}")
    ename, efmt = _GGUF_VALUE[etype]
    # every element takes at least this many bytes: a bound on count before any loop
    least = struct.calcsize(efmt) if efmt else (8 if etype == _GGUF_STRING else 12)
    if count * least > r.remaining():
        raise _Truncated()
    if count > MAX_GGUF_ARRAY_KEPT:
        if efmt is not None:
            r.skip(count * least)
        else:
            for _ in range(count):
                if etype == _GGUF_ARRAY:
                    _gguf_value(r, etype, depth + 1)
                else:
                    r.skip(r.u64())
        return {"type": "array", "element": ename, "length": count}
    return [_gguf_value(r, etype, depth + 1) for _ in range(count)]


def _inspect_gguf(path: Path, fh, size: int) -> ModelFile:
    table: dict = {}
    metadata, shapes = _read_gguf(path, fh, size, table)
    architecture = metadata.get("general.architecture")
    try:
        family = _detect(path, shapes)
    except _NoUNet:
        if not isinstance(architecture, str) or not architecture:
            raise
        if not architecture.isprintable() or len(architecture) > 64:
            raise ModelFileError(path, f"has a damaged GGUF header (general.architecture "
                                       f"'{_short(architecture)}' is not a plain name)")
        if architecture.lower() == "clip":  # llama.cpp's vision projectors ("mmproj")
            raise ModelFileError(path, "is a vision projector (an mmproj file, GGUF "
                                       "architecture 'clip'), not a language model: it pairs "
                                       "with a vision language model and cannot write "
                                       "captions on its own")
        name = metadata.get("general.name")
        title = _short(name) if isinstance(name, str) and name.strip() else architecture
        family = dict(family=architecture, kind="caption", variant=architecture,
                      label=f"{title} (language model, {architecture})", complete=True)
    return ModelFile(path=path, format="gguf", tensors=len(shapes), size=size,
                     metadata=metadata, table=table, **family)


def _read_gguf(path: Path, fh, size: int, table: dict | None = None
               ) -> tuple[dict, dict[str, tuple[int, ...]]]:
    """A GGUF file's metadata and its tensors' shapes (PyTorch order), every declared size
    and offset checked against the file; `table`, when given, gets each tensor's shape and
    ggml type name."""
    r = _Reader(fh, size)
    try:
        r.take(4)
        version = r.u32()
        if version not in (2, 3):
            raise ModelFileError(path, f"is GGUF version {version}; only versions 2 and 3 "
                                       f"are supported")
        n_tensors, n_kv = r.u64(), r.u64()
        if n_kv * 13 > r.remaining() or n_tensors * 24 > r.remaining():
            raise _Damaged(f"it declares {n_tensors} tensors and {n_kv} metadata entries, "
                           f"more than the file can hold")
        metadata: dict = {}
        for _ in range(n_kv):
            key = r.name()
            metadata[key] = _gguf_value(r, r.u32())
        alignment = metadata.get("general.alignment", 32)
        if (not _is_count(alignment) or alignment == 0 or alignment & (alignment - 1)):
            raise _Damaged(f"general.alignment {_short(repr(alignment))} is not a power of two")
        infos = []
        for _ in range(n_tensors):
            name = r.name()
            n_dims = r.u32()
            if n_dims > MAX_DIMS_GGUF:
                raise _Damaged(f"tensor '{_short(name)}' has {n_dims} dimensions")
            dims = tuple(r.u64() for _ in range(n_dims))
            infos.append((name, dims, r.u32(), r.u64()))
    except _Truncated:
        raise ModelFileError(path, "has a truncated GGUF header (the file ends inside "
                                   "it)") from None
    except _Damaged as exc:
        raise ModelFileError(path, f"has a damaged GGUF header ({exc})") from None

    data_start = -(-r.pos // alignment) * alignment
    shapes: dict[str, tuple[int, ...]] = {}
    for name, dims, gtype, offset in infos:
        if offset % alignment:
            raise ModelFileError(path, f"has a damaged GGUF header (tensor '{_short(name)}' "
                                       f"is not aligned)")
        elements = 1
        for d in dims:
            elements *= d
        block, block_bytes = _GGML_TYPES.get(gtype, (1, 0))
        if dims and dims[0] % block:
            raise ModelFileError(path, f"has a damaged GGUF header (tensor '{_short(name)}' "
                                       f"does not fill whole blocks of its type)")
        if data_start + offset + elements // block * block_bytes > size:
            raise ModelFileError(path, f"is truncated (the data of tensor '{_short(name)}' "
                                       f"lies past the end of the file)")
        shapes[name] = tuple(reversed(dims))  # ggml order -> PyTorch order, like safetensors
        if table is not None:
            table[name] = (shapes[name], GGML_TYPE_NAMES.get(gtype, f"type {gtype}"))
    if len(shapes) != len(infos):
        raise ModelFileError(path, "has a damaged GGUF header (two tensors share a name)")
    return metadata, shapes


# --------------------------------------------------------------------------- families

_TOKEN_EMBEDDINGS = (
    "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
    "cond_stage_model.model.token_embedding.weight",
    "text_model.embeddings.token_embedding.weight",
    "te.text_model.embeddings.token_embedding.weight",
    "conditioner.embedders.0.model.token_embedding.weight",
    "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight",
)
_INPUT_CONVS = ("model.diffusion_model.input_blocks.0.0.weight", "unet.conv_in.weight")

# Families stable-diffusion.cpp knows but this app does not run: a name part -> the family.
_OTHER_FAMILIES = (
    ("model.diffusion_model.joint_blocks.", "a Stable Diffusion 3"),
    ("model.diffusion_model.nerf_final_layer_conv.", "a Chroma Radiance"),
    ("model.diffusion_model.double_stream_modulation_img.", "a Flux.2"),
    ("model.diffusion_model.double_blocks.0.img_mlp.gate_proj.", "an Ovis-Image"),
    ("model.diffusion_model.double_blocks.", "a Flux"),
    ("model.diffusion_model.transformer_blocks.0.img_mod.1.", "a Qwen-Image"),
    ("llm_adapter.blocks.0.cross_attn.q_proj.", "an Anima"),
    ("model.diffusion_model.cap_embedder.0.", "a Z-Image"),
    ("model.diffusion_model.layers.0.adaLN_sa_ln.", "an ERNIE-Image"),
    ("model.diffusion_model.blocks.0.cross_attn.norm_k.", "a Wan video"),
    ("model.diffusion_model.input_blocks.8.0.time_mixer.mix_factor", "a Stable Video "
                                                                      "Diffusion"),
)
_SUPPORTED = "SD 1.x, SD 2.x, SDXL and SDXS models"


def _detect(path: Path, shapes: dict[str, tuple[int, ...]]) -> dict:
    names = list(shapes)

    def has(*parts: str) -> bool:
        return any(p in n for n in names for p in parts)

    for part, what in _OTHER_FAMILIES:
        if has(part):
            raise ModelFileError(path, f"is {what} model; Remix Desktop runs {_SUPPORTED}")

    is_unet = has("model.diffusion_model.input_blocks.", "unet.down_blocks.")
    if not is_unet:
        return _detect_taesd(path, shapes)

    second_encoder = has("conditioner.embedders.1", "cond_stage_model.1") or any(
        n.startswith("te.1") for n in names)
    token = next((shapes[n] for n in _TOKEN_EMBEDDINGS if n in shapes), None)
    width = token[-1] if token else None
    conv = next((shapes[n] for n in _INPUT_CONVS if n in shapes), None)
    in_channels = conv[1] if conv and len(conv) == 4 else None
    mid1 = has("model.diffusion_model.middle_block.1.", "unet.mid_block.resnets.1.")
    out311 = has("model.diffusion_model.output_blocks.3.1.transformer_blocks.1",
                 "unet.up_blocks.1.attentions.0.transformer_blocks.1")
    out71 = has("model.diffusion_model.output_blocks.7.1", "unet.up_blocks.2.attentions.1")
    attn = shapes.get("model.diffusion_model.output_blocks.7.1.transformer_blocks.0.attn1."
                      "to_k.weight")
    attn_1024 = bool(attn) and attn[-1] == 1024
    context = _context_width(shapes)

    complete = token is not None
    if second_encoder:
        base = "sdxl"
    elif width is not None:
        base = {768: "sd1", 1024: "sd2"}.get(width)
        if base is None:
            raise ModelFileError(path, f"has a text encoder {width} wide, which is neither "
                                       f"SD 1.x (768) nor SD 2.x (1024)")
    else:  # a UNet alone: judge by what its cross-attention expects
        if has("model.diffusion_model.label_emb.", "unet.add_embedding."):
            base = "sdxl"
        else:
            base = {768: "sd1", 1024: "sd2", 2048: "sdxl"}.get(context)
        if base is None:
            raise ModelFileError(path, "has UNet tensors but no text encoder, and its "
                                       "cross-attention width does not match any "
                                       "Stable Diffusion family")
    expected = {"sd1": 768, "sd2": 1024, "sdxl": 2048}[base]
    if context is not None and context != expected:
        raise ModelFileError(path, f"has a UNet expecting {context}-wide text features "
                                   f"but a {_label_base(base)} text encoder ({expected})")

    suffix = {9: " inpainting", 8: " InstructPix2Pix"}.get(in_channels, "")
    if base == "sdxl":
        if suffix:
            family, variant, label = "sdxl", f"SDXL_{_tag(suffix)}", "SDXL" + suffix
        elif not mid1:
            family = "sdxl"
            variant, label = (("SDXL_SSD1B", "SSD-1B (distilled SDXL)") if out311 else
                              ("SDXL_VEGA", "Segmind Vega (distilled SDXL)"))
        else:
            family, variant, label = "sdxl", "SDXL", FAMILY_LABELS["sdxl"]
    elif base == "sd1":
        if suffix:
            family, variant, label = "sd1", f"SD1_{_tag(suffix)}", "SD 1.x" + suffix
        elif not mid1:
            family = "sdxs"
            variant, label = (("SD1_TINY_UNET", "Tiny UNet (SD 1.x base)") if out71 else
                              ("SDXS_512_DS", "SDXS-512 (tiny UNet, SD 1.x base)"))
        else:
            family, variant, label = "sd1", "SD1", FAMILY_LABELS["sd1"]
    else:
        if suffix == " inpainting":
            family, variant, label = "sd2", "SD2_INPAINT", "SD 2.x inpainting"
        elif not mid1:
            family = "sdxs"
            variant, label = (("SDXS_09", "SDXS-0.9 (tiny UNet, SD 2.x base)") if attn_1024
                              else ("SD2_TINY_UNET", "Tiny UNet (SD 2.x base)"))
        else:
            family, variant, label = "sd2", "SD2", FAMILY_LABELS["sd2"]
    if not complete:
        label += " (UNet only, no text encoder)"
    return dict(family=family, label=label, kind="diffusion", variant=variant,
                complete=complete)


def _context_width(shapes: dict[str, tuple[int, ...]]) -> int | None:
    """The text-feature width the UNet's cross-attention (attn2.to_k) takes, if present."""
    for name, shape in shapes.items():
        if (name.endswith("attn2.to_k.weight") and len(shape) == 2
                and ("model.diffusion_model." in name or name.startswith("unet."))):
            return shape[-1]
    return None


def _label_base(base: str) -> str:
    return {"sd1": "SD 1.x", "sd2": "SD 2.x", "sdxl": "SDXL"}[base]


def _tag(suffix: str) -> str:
    return "INPAINT" if "inpaint" in suffix else "PIX2PIX"


def _detect_taesd(path: Path, shapes: dict[str, tuple[int, ...]]) -> dict:
    prefixes = ("decoder.layers.", "encoder.layers.")
    first = shapes.get("decoder.layers.0.weight")
    if first is None or not all(n.startswith(prefixes) for n in shapes):
        raise _NoUNet(path, "has no Stable Diffusion UNet tensors (and is not a TAESD "
                           "file either)")
    if len(first) != 4:
        raise ModelFileError(path, "has a TAESD decoder whose first layer is not a "
                                   "convolution")
    latent = first[1]
    if latent != 4:
        raise ModelFileError(path, f"is a tiny autoencoder for {latent}-channel latents "
                                   f"(SD3/Flux); Remix Desktop needs one for 4-channel "
                                   f"latents (SD 1.x, SD 2.x, SDXL)")
    decoder_only = not any(n.startswith("encoder.layers.") for n in shapes)
    label = FAMILY_LABELS["taesd"] + (" (decoder only)" if decoder_only else "")
    return dict(family="taesd", label=label, kind="taesd", variant="TAESD", complete=True)


# --------------------------------------------------------------------------- vision pairs

# The projector types of llama.cpp's multimodal library (libmtmd) that read images and that
# this app pairs with a language model for captions; audio projectors are refused.
VISION_PROJECTORS = frozenset({
    "mlp", "mlp_norm", "ldp", "ldpv2", "resampler", "glm_edge", "merger", "gemma3",
    "idefics3", "pixtral", "qwen2vl_merger", "qwen2.5vl_merger", "qwen3vl_merger",
    "internvl", "llama4", "kimivl", "lfm2", "cogvlm", "janus_pro"})
AUDIO_PROJECTORS = frozenset({"ultravox", "voxtral", "qwen2a"})

# Where a projector's output width (the language model's embedding width it feeds) is read
# when `clip.vision.projection_dim` is not written: (tensor, which of its PyTorch-order
# dimensions), as llama.cpp's clip_n_mmproj_embd reads it.
_PROJECTION_TENSORS = {
    "mlp": ("mm.2.weight", 0), "idefics3": ("mm.model.fc.weight", 0),
    "gemma3": ("mm.input_projection.weight", -1), "qwen2vl_merger": ("mm.2.weight", 0),
    "qwen2.5vl_merger": ("mm.2.weight", 0), "lfm2": ("mm.2.weight", 0),
}


@dataclass(frozen=True)
class Projector:
    """A vision projector ("mmproj" GGUF): what turns a frame into a language model's input."""

    path: Path
    projector_type: str  # clip.projector_type, e.g. "mlp", "idefics3", "gemma3"
    width: int  # the embedding width of what it feeds the language model
    image_size: int  # the side its vision tower sees, in pixels
    size: int
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.name or self.path.name} (vision projector, {self.projector_type})"


def inspect_projector(path: Path) -> Projector:
    """Read the header of a vision projector GGUF (llama.cpp's "mmproj" file): its type and
    the width it feeds. Raises ModelFileError (one sentence naming the file) for anything
    else, before the native library sees it."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ModelFileError(path, "is not a regular file")
        with open(path, "rb", buffering=1 << 20) as fh:
            if fh.read(4) != b"GGUF":
                raise ModelFileError(path, "is not a GGUF file (it does not start with the "
                                           "GGUF magic bytes), so it is not a vision "
                                           "projector")
            fh.seek(0)
            metadata, shapes = _read_gguf(path, fh, info.st_size)
    except FileNotFoundError:
        raise ModelFileError(path, "does not exist") from None
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    architecture = metadata.get("general.architecture")
    if architecture != "clip":
        raise ModelFileError(path, f"is not a vision projector (its GGUF architecture is "
                                   f"'{_short(str(architecture))}', not 'clip')")
    kind = metadata.get("clip.vision.projector_type", metadata.get("clip.projector_type"))
    if not isinstance(kind, str) or not kind:
        raise ModelFileError(path, "is a vision projector without a clip.projector_type: "
                                   "convert it again with a current llama.cpp")
    if kind in AUDIO_PROJECTORS or metadata.get("clip.has_vision_encoder") is False:
        raise ModelFileError(path, f"is an audio projector ({_short(kind)}): it does not "
                                   "read images")
    if kind not in VISION_PROJECTORS:
        raise ModelFileError(path, f"is a vision projector of type '{_short(kind)}', which "
                                   "this version's llama.cpp does not run")
    width = metadata.get("clip.vision.projection_dim")
    if not _is_count(width) or not width:
        where = _PROJECTION_TENSORS.get(kind)
        shape = shapes.get(where[0]) if where else None
        width = shape[where[1]] if shape else None
    if not _is_count(width) or not width:
        raise ModelFileError(path, f"is a vision projector ({kind}) whose output width cannot "
                                   "be read from its header")
    image_size = metadata.get("clip.vision.image_size")
    if not _is_count(image_size) or not image_size or "v.patch_embd.weight" not in shapes:
        raise ModelFileError(path, f"is a vision projector ({kind}) without its vision "
                                   "tower (no image size or patch embedding)")
    name = metadata.get("general.name")
    return Projector(path, kind, int(width), int(image_size), info.st_size,
                     _short(name) if isinstance(name, str) else "")


def check_pair(model: ModelFile, projector: Projector) -> None:
    """Refuse a language model and a projector that do not fit: the projector's output
    width must be the model's embedding width (llama.cpp would refuse it on load)."""
    if model.kind != "caption" or model.format != "gguf":
        raise ModelFileError(model.path, f"holds {model.label}, not a language model a vision "
                                         "projector can feed")
    width = model.metadata.get(f"{model.family}.embedding_length")
    if not _is_count(width) or not width:
        raise ModelFileError(model.path, "does not say its embedding width "
                                         f"({model.family}.embedding_length), so no "
                                         "projector can be checked against it")
    if width != projector.width:
        raise ModelFileError(projector.path, f"is a projector for another model: it feeds "
                                             f"{projector.width}-wide embeddings and "
                                             f"{model.path.name} takes {width}")
