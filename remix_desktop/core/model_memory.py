"""How much memory a diffusion model needs, before it is loaded: from its header (every
tensor's shape and type, model_headers.ModelFile.table), the weight type it will be held in
and the size it works at; and a refusal in one sentence when the machine does not have it.

The weights: each tensor at the type stable-diffusion.cpp holds it in after loading (a
weight type quantizes the matrices whose rows fill whole blocks; biases, norms, embeddings
and the time embedding stay as they are, 1-D tensors in F32, convolutions at least F16). The
rest is the work memory of one image (activations, attention, the VAE or TAESD) and the
process itself: measured on this kind of machine per family at 256 and 512 px and scaled by
the pixel count in between (benchmarks/bench_diffusion.py prints the peaks it comes from).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import UsageError

# ggml types by name: (elements per block, bytes per block)
TYPE_BLOCKS = {"F32": (1, 4), "F16": (1, 2), "BF16": (1, 2), "Q8_0": (32, 34),
               "Q5_0": (32, 22), "Q5_1": (32, 24), "Q4_0": (32, 18), "Q4_1": (32, 20),
               "Q4_K": (256, 144), "Q5_K": (256, 176), "Q6_K": (256, 210),
               "Q3_K": (256, 110), "Q2_K": (256, 84)}
_FILE_TYPES = {"F64": "F32", "I64": "F32", "I32": "F32", "F8_E4M3": "F16", "F8_E5M2": "F16"}

# tensors stable-diffusion.cpp never quantizes (model_loader tensor_should_be_converted)
_KEEP = (".bias", ".scale", "time_embed.", "label_emb.", "embedding")

# Work memory of one image beyond the weights, in MiB, at 256 and 512 px (square): the
# process's peak resident memory less the weights, measured with
# benchmarks/bench_diffusion.py --settings on the SD-Turbo (SD 2.1) and SDXS-512 fixtures,
# F16, q8_0 and q4_0 alike (181-186 MiB at 256 px and 560-565 at 512 with TAESD; 482 and
# 1741 with the checkpoint's own KL VAE), rounded up. SDXL was not measured (no SDXL
# fixture): its estimate takes the same figures and is a floor.
WORK_MIB = {"taesd": (200, 600), "vae": (500, 1800)}
_VAE = "first_stage_model."  # not loaded when a TAESD encodes and decodes
SUGGESTED = "q4_0"  # the type a refusal suggests: the smallest that keeps SD-Turbo usable


@dataclass(frozen=True)
class MemoryNeed:
    weights: int  # bytes
    work: int  # bytes
    weight_type: str

    @property
    def total(self) -> int:
        return self.weights + self.work


def held_type(name: str, shape: tuple[int, ...], file_type: str, weight_type: str) -> str:
    """The ggml type stable-diffusion.cpp holds a tensor in after loading it."""
    file_type = _FILE_TYPES.get(file_type, file_type)
    if len(shape) <= 1:
        return "F32"
    wanted = weight_type.upper()
    if wanted in ("", "DEFAULT") or any(part in name for part in _KEEP) \
            or name.endswith("position_embedding.weight"):
        wanted = file_type
    block = TYPE_BLOCKS.get(wanted, (1, 2))[0]
    if block > 1 and shape[-1] % block:
        wanted = file_type  # its rows do not fill whole blocks: left as it is
    if len(shape) == 4 and wanted in ("F32", "BF16"):
        return "F16"  # a convolution is always held in F16
    return wanted


def tensor_bytes(shape: tuple[int, ...], type_name: str) -> int:
    block, size = TYPE_BLOCKS.get(type_name, (1, 2))
    elements = 1
    for d in shape:
        elements *= d
    return -(-elements // block) * size


def weights_at(table: dict, weight_type: str = "default") -> int:
    """The bytes of every tensor in `table` (name -> (shape, type)) once loaded."""
    return sum(tensor_bytes(shape, held_type(name, shape, kind, weight_type))
               for name, (shape, kind) in table.items())


def work_bytes(width: int, height: int, taesd: bool = True) -> int:
    """The work memory of one image of width x height, from the measured 256 and 512 px
    figures: linear in the pixel count through both (extrapolated beyond them)."""
    low, high = WORK_MIB["taesd" if taesd else "vae"]
    pixels = width * height
    scale = (pixels - 256 * 256) / (512 * 512 - 256 * 256)
    return int(max(low * 0.5, low + (high - low) * scale) * 2**20)


def estimate(table: dict, family: str, *, weight_type: str = "default", width: int = 512,
             height: int = 512, taesd_table: dict | None = None,
             taesd: bool | None = None) -> MemoryNeed:
    """`taesd`: whether a TAESD encodes and decodes (by default: a `taesd_table` given)."""
    if taesd_table:  # the tiny autoencoder stands in for the checkpoint's own VAE
        table = {k: v for k, v in table.items() if not k.startswith(_VAE)}
        weights = weights_at(table, weight_type) + weights_at(taesd_table)
    else:
        weights = weights_at(table, weight_type)
    tiny = bool(taesd_table) if taesd is None else taesd
    return MemoryNeed(weights, work_bytes(width, height, tiny), weight_type)


def available_memory() -> int | None:
    """The memory the app may use now, in bytes: the kernel's MemAvailable (memory free or
    reclaimable without swapping), capped by REMIX_DESKTOP_MEMORY_LIMIT when set (bytes, or
    with a K/M/G suffix: a creator keeps room for other apps). None when neither is known."""
    limit = _limit_from_env()
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        available = None
    if available is None:
        available = _sysconf_available()
    if limit is not None:
        return limit if available is None else min(limit, available)
    return available


def _sysconf_available() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _limit_from_env() -> int | None:
    raw = os.environ.get("REMIX_DESKTOP_MEMORY_LIMIT", "").strip()
    if not raw:
        return None
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(raw[-1].upper(), 1)
    number = raw[:-1] if scale != 1 else raw
    try:
        value = float(number) * scale
    except ValueError:
        raise UsageError(f"REMIX_DESKTOP_MEMORY_LIMIT '{raw}' is not a size (say 4G or "
                         f"3500M)") from None
    if value <= 0:
        raise UsageError(f"REMIX_DESKTOP_MEMORY_LIMIT '{raw}' must be above zero")
    return int(value)


class NotEnoughMemory(UsageError):
    """The model would not fit in the memory the machine has now; the sentence says what
    would."""


def gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def check_fits(table: dict, family: str, model_name: str, *, weight_type: str = "default",
               width: int = 512, height: int = 512, taesd_table: dict | None = None,
               available: int | None = None, already: int = 0,
               taesd: bool | None = None) -> MemoryNeed:
    """The estimate, or NotEnoughMemory when it is more than `available` (now, by default).
    `already`: the work memory a loaded model holds now (its weights are in memory; only a
    larger picture's extra work memory is checked, and `table` may then be empty)."""
    need = estimate(table, family, weight_type=weight_type, width=width, height=height,
                    taesd_table=taesd_table, taesd=taesd)
    free = available_memory() if available is None else available
    if free is None or need.total - already <= free:
        return need
    if already:
        raise NotEnoughMemory(
            f"A {width}x{height} picture needs about {gb(need.total - already)} more than "
            f"{model_name} holds now, {gb(free)} free: choose a smaller size, or close "
            f"other apps.")
    text = (f"{model_name} needs about {gb(need.total)} at {width}x{height}, "
            f"{gb(free)} free")
    smaller = estimate(table, family, weight_type=SUGGESTED, width=width, height=height,
                       taesd_table=taesd_table)
    if smaller.weights < need.weights and smaller.total <= free:
        text += (f": quantize it to {SUGGESTED} (Models… > Quantize…, or 'remix-desktop "
                 f"models quantize {model_name} --type {SUGGESTED}') to need about "
                 f"{gb(smaller.total)}")
    elif smaller.weights < need.weights:
        text += (f"; even quantized to {SUGGESTED} it would need about {gb(smaller.total)}: "
                 f"close other apps, or use a smaller model (SDXS) or a smaller size")
    else:
        text += ": close other apps, or use a smaller model (SDXS) or a smaller size"
    raise NotEnoughMemory(text + ".")
