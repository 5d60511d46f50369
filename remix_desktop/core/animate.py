"""Remixes that move: a short span of the video around the chosen frame, styled, with the
caption drawn once over every frame, as an animated WebP (the preview, and the default
export) or a GIF with one shared palette. Plain Python, PyAV, OpenCV and Pillow; never Qt.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from . import frames
from .compose import caption_overlay
from .errors import Cancelled, UsageError
from .stylize import stylize

SPAN_MIN_S, SPAN_MAX_S, SPAN_DEFAULT_S = 1.0, 3.0, 2.0
FPS = 12  # frames a second of an animated remix
SIDE = 540  # the short side of an animated remix (540x540 square, 540x960 portrait)
SIZES = ("square", "portrait")
WEBP_QUALITY = 75
WEBP_METHOD = 0  # libwebp's fastest: 24 frames at 540 px in a fraction of a second
GIF_COLOURS = 255  # one palette for every frame (the 256th is left for nothing)


def check_span(span_s: float) -> float:
    if not (isinstance(span_s, (int, float)) and math.isfinite(span_s)):
        raise UsageError("An animated remix's length must be a number of seconds")
    if not SPAN_MIN_S <= span_s <= SPAN_MAX_S:
        raise UsageError(f"An animated remix lasts {SPAN_MIN_S:g} to {SPAN_MAX_S:g} seconds, "
                         f"not {span_s:g}")
    return float(span_s)


def canvas(size: str) -> tuple[int, int]:
    if size not in SIZES:
        raise UsageError(f"An animated remix is square or portrait, not '{size}'")
    return (SIDE, SIDE) if size == "square" else (SIDE, round(SIDE * 16 / 9))


def span_times(at_s: float, span_s: float, duration_s: float, fps: int = FPS) -> list[float]:
    """`span_s * fps` frame times around `at_s` (as centred as the clip allows): the span
    is moved, not cut, at the start or end of the clip; a clip shorter than the span gives
    what it has."""
    count = max(1, round(span_s * fps))
    length = min(span_s, max(duration_s, 0.0))
    start = min(max(at_s - length / 2, 0.0), max(0.0, duration_s - length))
    step = 1.0 / fps
    times = [start + i * step for i in range(count)]
    return [round(t, 6) for t in times if t <= max(duration_s, 0.0) + 1e-9] or [0.0]


@dataclass(frozen=True)
class Animation:
    frames: tuple[Image.Image, ...]  # RGB, all of one size
    fps: int
    face: bool  # the chosen frame shows a face
    timings: dict

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps


def make(path: str | Path, *, at_s: float, span_s: float, duration_s: float, caption: str,
         style: str = "none", layout: str = "classic", size: str = "square", fps: int = FPS,
         cancelled: Callable[[], bool] = lambda: False, face_of=None) -> Animation:
    """Decode the span's frames (one open file, decoded on, never seeked between frames),
    style each, draw the caption (laid out and rendered once) over each."""
    import time

    check_span(span_s)
    width, height = canvas(size)
    times = span_times(at_s, span_s, duration_s, fps)
    timings = {}
    start = time.perf_counter()
    # decoded at a size that still covers the canvas, not the source's
    pictures = frames.grab_frames(path, times, max_side=max(width, height) * 2)
    timings["decode_s"] = round(time.perf_counter() - start, 4)
    if cancelled():
        raise Cancelled()
    start = time.perf_counter()
    middle = pictures[len(pictures) // 2]
    face = bool(face_of(middle)) if face_of is not None else False
    timings["face_s"] = round(time.perf_counter() - start, 4)
    start = time.perf_counter()
    overlay, box = caption_overlay(caption, layout, (width, height))
    out = []
    for pixels in pictures:
        if cancelled():
            raise Cancelled()
        styled = stylize(_cover(pixels, box[2] - box[0], box[3] - box[1]), style)
        frame = Image.new("RGB", (width, height), (255, 255, 255))
        frame.paste(Image.fromarray(styled), box[:2])
        frame.paste(overlay, (0, 0), overlay)
        out.append(frame)
    timings["style_and_caption_s"] = round(time.perf_counter() - start, 4)
    return Animation(tuple(out), fps, face, timings)


def _cover(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """The middle of `pixels` at the aspect of width x height, scaled to exactly that."""
    import cv2

    h, w = pixels.shape[:2]
    aspect = width / height
    if w / h > aspect:
        cw = max(1, round(h * aspect))
        pixels = pixels[:, (w - cw) // 2:(w - cw) // 2 + cw]
    else:
        ch = max(1, round(w / aspect))
        pixels = pixels[(h - ch) // 2:(h - ch) // 2 + ch]
    shrink = pixels.shape[1] > width
    return np.ascontiguousarray(cv2.resize(
        pixels, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR))


# -- files -----------------------------------------------------------------------------------

def webp_bytes(images: Sequence[Image.Image], fps: int, xmp: bytes | None = None) -> bytes:
    """An animated WebP that loops (lossy, the fastest method), with `xmp` if given."""
    buffer = io.BytesIO()
    extra = {"xmp": xmp} if xmp else {}
    images[0].save(buffer, "WEBP", save_all=True, append_images=list(images[1:]),
                   duration=round(1000 / fps), loop=0, quality=WEBP_QUALITY,
                   method=WEBP_METHOD, **extra)
    return buffer.getvalue()


def gif_bytes(images: Sequence[Image.Image], fps: int, xmp: bytes | None = None) -> bytes:
    """A looping GIF whose frames share one palette (made from a few of them), with `xmp`
    as GIF's XMP application extension if given."""
    sample = list(images[:: max(1, len(images) // 4)])[:4]
    mosaic = Image.new("RGB", (sample[0].width, sample[0].height * len(sample)))
    for i, image in enumerate(sample):
        mosaic.paste(image, (0, i * image.height))
    palette = mosaic.quantize(GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    frames_p = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    buffer = io.BytesIO()
    frames_p[0].save(buffer, "GIF", save_all=True, append_images=frames_p[1:],
                     duration=round(1000 / fps), loop=0, optimize=False)
    data = buffer.getvalue()
    return insert_gif_xmp(data, xmp) if xmp else data


XMP_APP = b"\x21\xff\x0bXMP DataXMP"  # an application extension: 'XMP Data', code 'XMP'
_MAGIC_TRAILER = bytes([1, *range(255, -1, -1), 0])  # the XMP spec's 258-byte trailer


def insert_gif_xmp(data: bytes, xmp: bytes) -> bytes:
    """`data` (a GIF) with the XMP packet as its application extension, after the header,
    the logical screen descriptor and the global colour table (where readers look)."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    flags = data[10]
    at = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    return b"GIF89a" + data[6:at] + XMP_APP + xmp + _MAGIC_TRAILER + data[at:]


def gif_xmp(data: bytes) -> bytes | None:
    """The XMP packet of a GIF written by insert_gif_xmp (or any writer of the spec)."""
    at = data.find(XMP_APP)
    if at < 0:
        return None
    start = at + len(XMP_APP)
    end = data.find(_MAGIC_TRAILER, start)
    return data[start:end] if end > 0 else None


def read_frames(path: str | Path) -> tuple[list[Image.Image], int]:
    """The frames of an animated WebP or GIF (RGB) and its frames a second."""
    data = Path(path).read_bytes()
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    with Image.open(path) as image:
        count = getattr(image, "n_frames", 1)
        durations, out = [], []
        for index in range(count):
            image.seek(index)
            durations.append(image.info.get("duration") or 0)
            out.append(image.convert("RGB"))
    if webp:  # Pillow does not say a WebP frame's duration: its ANMF chunk does
        durations = webp_durations(data) or durations
    durations = [d for d in durations if d] or [1000 // FPS]
    fps = max(1, round(1000 / (sum(durations) / len(durations))))
    return out, fps


def webp_durations(data: bytes) -> list[int]:
    """Each frame's duration (ms) from an animated WebP's ANMF chunks."""
    out, pos = [], 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        if data[pos:pos + 4] == b"ANMF" and size >= 16:
            out.append(int.from_bytes(data[pos + 8 + 12:pos + 8 + 15], "little"))
        pos += 8 + size + (size & 1)
    return out


def webp_with_xmp(data: bytes, xmp: bytes) -> bytes:
    """An extended (VP8X) WebP's bytes with `xmp` as its one XMP chunk: the frames kept
    byte for byte (nothing re-encoded), the VP8X flag and the RIFF size set."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or data[12:16] != b"VP8X":
        raise ValueError("not an extended WebP")
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        end = pos + 8 + size + (size & 1)
        if data[pos:pos + 4] != b"XMP ":
            chunks.append(bytearray(data[pos:end]))
        pos = end
    chunks[0][8] |= 0x04  # VP8X: an XMP chunk follows
    chunks.append(bytearray(b"XMP " + len(xmp).to_bytes(4, "little") + xmp
                            + (b"\x00" if len(xmp) & 1 else b"")))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def export_animation(source: Path, target: Path, xmp: str, *, force: bool = False) -> Path:
    """An animated preview written to `target` as WebP (its frames as they are, the XMP
    set) or GIF (one shared palette, the XMP as its application extension); atomic, never
    over a file unless `force`."""
    from .export import check_target, write_new

    target = Path(target)

    def kind(path: Path) -> None:
        if path.suffix.lower() not in (".webp", ".gif"):
            raise UsageError(f"{path.name} must end in .webp or .gif (an animated remix)")

    check_target(target, force=force, check_format=kind)
    if target.suffix.lower() == ".webp":
        out = webp_with_xmp(Path(source).read_bytes(), xmp.encode("utf-8"))
    else:
        images, fps = read_frames(source)
        out = gif_bytes(images, fps, xmp.encode("utf-8"))
    write_new(target, lambda fh: fh.write(out), force=force)
    return target
