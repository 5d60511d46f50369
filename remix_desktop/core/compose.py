"""Meme layouts with Pillow: a picture and a caption composed into one image. Pure functions.

- classic: the picture fills the frame; the caption in white upper case with a black outline,
  at the top, or split at a newline or " / " into top and bottom text.
- modern: a white band above the picture with black text, left-aligned, as given.

Sizes: square 1080x1080, portrait 1080x1920, source (the picture's aspect, long side 1080).
Text is fitted to its box (the largest size that fits, up to 3 lines) and never leaves it:
`layout_boxes` returns the plan, boxes included, so callers and tests can check that.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from .resources import fonts_dir

LAYOUTS = ("classic", "modern")
SIZES = ("square", "portrait", "source")
LONG_SIDE = 1080
MAX_LINES = 3
ELLIPSIS = "\u2026"
CAPTION_FONT = "Anton-Regular.ttf"
FALLBACK_FONT = "DejaVuSans-Bold.ttf"

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
_SPLIT = re.compile(r"\n| / ")


@dataclass(frozen=True)
class TextBlock:
    """Lines of one caption part, placed: each line's left-baseline point in `origins`."""

    box: Box
    lines: tuple[str, ...]
    font_path: Path
    font_size: int
    stroke: int
    origins: tuple[tuple[int, int], ...]
    fill: tuple[int, int, int]
    stroke_fill: tuple[int, int, int]
    truncated: bool = False


@dataclass(frozen=True)
class Layout:
    """Where everything goes on a canvas of `size`: the picture, the band, the text."""

    size: tuple[int, int]
    picture: Box
    band: Box | None
    blocks: tuple[TextBlock, ...]


def canvas_size(size: str, source_size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Output (width, height) for `size`; `source` needs the picture's (width, height)."""
    if size == "square":
        return LONG_SIDE, LONG_SIDE
    if size == "portrait":
        return LONG_SIDE, 1920
    if size == "source":
        if not source_size or min(source_size) <= 0:
            raise ValueError("size 'source' needs the picture's width and height")
        w, h = source_size
        scale = LONG_SIDE / max(w, h)
        return max(1, round(w * scale)), max(1, round(h * scale))
    raise ValueError(f"unknown size {size!r}; valid sizes: {', '.join(SIZES)}")


def compose(image: Image.Image | np.ndarray, caption: str, *, layout: str = "classic",
            size: str = "square") -> Image.Image:
    """`image` with `caption` in `layout` at `size`; an RGB image of exactly that size."""
    picture = _as_rgb_image(image)
    plan = layout_boxes(caption, layout, size, source_size=picture.size)
    canvas = Image.new("RGB", plan.size, (255, 255, 255))
    x0, y0, x1, y1 = plan.picture
    canvas.paste(_cover(picture, (x1 - x0, y1 - y0)), (x0, y0))
    draw = ImageDraw.Draw(canvas)
    for block in plan.blocks:
        font = _font(block.font_path, block.font_size)
        for line, origin in zip(block.lines, block.origins):
            draw.text(origin, line, font=font, fill=block.fill, anchor="ls",
                      stroke_width=block.stroke, stroke_fill=block.stroke_fill)
    return canvas


def text_boxes(caption: str, layout: str = "classic", size: str = "square",
               source_size: tuple[int, int] | None = None) -> list[Box]:
    """The boxes that the caption's text pixels stay inside, one per caption part."""
    return [block.box for block in layout_boxes(caption, layout, size, source_size).blocks]


def layout_boxes(caption: str, layout: str = "classic", size: str = "square",
                 source_size: tuple[int, int] | None = None) -> Layout:
    """The full plan for `caption` in `layout` at `size`: picture, band and text blocks."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid layouts: {', '.join(LAYOUTS)}")
    width, height = canvas_size(size, source_size)
    parts = [" ".join(p.split()) for p in _SPLIT.split(unicodedata.normalize("NFC", caption))]
    parts = [p for p in parts if p]
    if layout == "classic":
        return _classic(parts[:1] + [" ".join(parts[1:])] if len(parts) > 2 else parts,
                        width, height)
    return _modern(parts, width, height)


def font_for(text: str) -> Path:
    """Anton when it has a glyph for every character of `text`, else the fallback font."""
    needed = {ord(c) for c in text if not c.isspace()}
    if needed <= _cmap(fonts_dir() / CAPTION_FONT):
        return fonts_dir() / CAPTION_FONT
    return fonts_dir() / FALLBACK_FONT


def renderable(text: str) -> str:
    """`text` without the characters that neither font can draw (emoji, rare scripts)."""
    known = _cmap(fonts_dir() / CAPTION_FONT) | _cmap(fonts_dir() / FALLBACK_FONT)
    return "".join(c for c in text if c.isspace() or ord(c) in known)


# -- the two layouts ----------------------------------------------------------------------


def _classic(parts: list[str], width: int, height: int) -> Layout:
    margin_x, margin_y = round(width * 0.04), round(height * 0.03)
    box_h = round(height * 0.24)
    top = (margin_x, margin_y, width - margin_x, margin_y + box_h)
    bottom = (margin_x, height - margin_y - box_h, width - margin_x, height - margin_y)
    max_size = round(width * 0.13)
    blocks = []
    for text, box, valign in zip(parts, (top, bottom), ("top", "bottom")):
        text = renderable(text.upper())
        if text.strip():
            blocks.append(_fit(text, box, max_size, "center", valign,
                               fill=(255, 255, 255), stroke_fill=(0, 0, 0), stroke_ratio=0.07))
    return Layout((width, height), (0, 0, width, height), None, tuple(blocks))


def _modern(parts: list[str], width: int, height: int) -> Layout:
    text = renderable("\n".join(parts))
    if not text.strip():
        return Layout((width, height), (0, 0, width, height), None, ())
    margin = round(width * 0.05)
    pad = round(width * 0.04)
    room = (margin, pad, width - margin, pad + round(height * 0.4))
    block = _fit(text, room, round(width * 0.075), "left", "top",
                 fill=(0, 0, 0), stroke_fill=(0, 0, 0), stroke_ratio=0.0)
    ink_bottom = max(y for _, y in block.origins) + _descent(block)
    band_h = min(room[3], ink_bottom) + pad
    block = _fit(text, (margin, pad, width - margin, band_h - pad), block.font_size, "left",
                 "top", fill=(0, 0, 0), stroke_fill=(0, 0, 0), stroke_ratio=0.0)
    return Layout((width, height), (0, band_h, width, height), (0, 0, width, band_h), (block,))


# -- fitting ------------------------------------------------------------------------------


def _fit(text: str, box: Box, max_size: int, align: str, valign: str, *, fill, stroke_fill,
         stroke_ratio: float) -> TextBlock:
    """The largest font size (binary search) at which `text` wraps into at most MAX_LINES
    lines inside `box`; at the smallest size, the last line is cut with an ellipsis."""
    path = font_for(text)
    inner_w, inner_h = box[2] - box[0] - 4, box[3] - box[1] - 4  # 2 px of safety each side
    min_size = max(10, min(max_size, round((box[2] - box[0]) / 40)))

    def attempt(font_size: int, cut: bool):
        font = _font(path, font_size)
        stroke = round(font_size * stroke_ratio)
        lines = _wrap(text, font, stroke, inner_w, cut)
        if lines is None or (len(lines) > MAX_LINES and not cut):
            return None
        truncated = len(lines) > MAX_LINES
        if truncated:
            lines = lines[:MAX_LINES - 1] + [_ellipsize(" ".join(lines[MAX_LINES - 1:]), font,
                                                        stroke, inner_w)]
        ink = _ink(lines, font, stroke)
        if not cut and ink[1] > inner_h:
            return None
        return font_size, stroke, lines, ink, truncated

    lo, hi, best = min_size, max_size, None
    while lo <= hi:
        mid = (lo + hi) // 2
        found = attempt(mid, cut=False)
        if found:
            best, lo = found, mid + 1
        else:
            hi = mid - 1
    if best is None:  # even the smallest size overflows: cut the text to fit
        best = attempt(min_size, cut=True)
        while best[3][1] > inner_h and len(best[2]) > 1:
            lines = best[2][:-1]
            lines[-1] = _ellipsize(lines[-1] + " " + ELLIPSIS, _font(path, min_size), best[1],
                                   inner_w)
            best = (best[0], best[1], lines, _ink(lines, _font(path, min_size), best[1]), True)
    font_size, stroke, lines, (pitch, block_h, top_extent, widths, lefts), truncated = best
    first_base = (box[1] + 2 + top_extent if valign == "top"
                  else box[3] - 2 - block_h + top_extent)
    origins = []
    for i, (w, left) in enumerate(zip(widths, lefts)):
        x = box[0] + 2 - left if align == "left" else (box[0] + box[2] - w) // 2 - left
        origins.append((x, first_base + i * pitch))
    return TextBlock(box, tuple(lines), path, font_size, stroke, tuple(origins), fill,
                     stroke_fill, truncated)


def _wrap(text: str, font, stroke: int, width: int, cut: bool) -> list[str] | None:
    """Greedy word wrap (newlines force a break); a word too wide for a line makes it fail,
    or with `cut` is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}" if line else word
            if _width(trial, font, stroke) <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            if _width(word, font, stroke) > width:
                if not cut:
                    return None
                while _width(word, font, stroke) > width and len(word) > 1:
                    keep = len(word) - 1
                    while keep > 1 and _width(word[:keep], font, stroke) > width:
                        keep -= 1
                    lines.append(word[:keep])
                    word = word[keep:]
            line = word
        if line:
            lines.append(line)
    return lines


def _ellipsize(line: str, font, stroke: int, width: int) -> str:
    """`line` cut at the end and closed with an ellipsis, so that it fits `width`."""
    line = line.removesuffix(ELLIPSIS).rstrip()
    while line and _width(line + ELLIPSIS, font, stroke) > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS


def _ink(lines: list[str], font, stroke: int):
    """Pitch, block height, top extent above the first baseline, line widths and left
    offsets, all from the lines' real ink (accents and stroke included)."""
    boxes = [font.getbbox(line, anchor="ls", stroke_width=stroke) for line in lines]
    top_extent = -min(b[1] for b in boxes)
    bottom_extent = max(b[3] for b in boxes)
    pitch = top_extent + bottom_extent + round(font.size * 0.08)
    block_h = (len(lines) - 1) * pitch + top_extent + bottom_extent
    return pitch, block_h, top_extent, [b[2] - b[0] for b in boxes], [b[0] for b in boxes]


def _width(text: str, font, stroke: int) -> int:
    x0, _, x1, _ = font.getbbox(text, anchor="ls", stroke_width=stroke)
    return x1 - x0


def _descent(block: TextBlock) -> int:
    font = _font(block.font_path, block.font_size)
    return max(font.getbbox(line, anchor="ls", stroke_width=block.stroke)[3]
               for line in block.lines) + 2


# -- pictures and fonts -------------------------------------------------------------------


def _as_rgb_image(image: Image.Image | np.ndarray) -> Image.Image:
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ValueError("a picture array must be uint8, H x W or H x W x 3/4")
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        raise TypeError("image must be a PIL image or a numpy array")
    return image if image.mode == "RGB" else image.convert("RGB")


def _cover(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`picture` scaled to cover `size` and cropped around its centre."""
    (w, h), (tw, th) = picture.size, size
    scale = max(tw / w, th / h)
    cw, ch = tw / scale, th / scale
    x0, y0 = (w - cw) / 2, (h - ch) / 2
    return picture.resize(size, Image.Resampling.BICUBIC, box=(x0, y0, x0 + cw, y0 + ch),
                          reducing_gap=2.0)


@lru_cache(maxsize=64)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


@lru_cache(maxsize=4)
def _cmap(path: Path) -> frozenset[int]:
    """The code points that the font at `path` has a glyph for (read once)."""
    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())
