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
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from .captions import visible_text
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
    ink: Box  # the text's real pixel extent (accents and stroke included), inside `box`
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
    plan = layout_boxes(caption, layout, size, picture.size)
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
    """The full plan for `caption` in `layout` at `size`: picture, band and text blocks.
    Cached (the plan is immutable), so re-rendering a caption over new frames skips fitting."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid layouts: {', '.join(LAYOUTS)}")
    return plan_for(caption, layout, canvas_size(size, source_size))


def caption_overlay(caption: str, layout: str, size: tuple[int, int],
                    ) -> tuple[Image.Image, Box]:
    """The caption of `layout` on a canvas of `size` pixels, drawn once for many pictures
    (the frames of an animated remix): an RGBA image, its text (and the modern layout's
    white band) opaque and the rest clear, and the box the picture goes in."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid layouts: {', '.join(LAYOUTS)}")
    plan = plan_for(caption, layout, tuple(size))
    overlay = Image.new("RGBA", plan.size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(overlay)
    if plan.band is not None:
        x0, y0, x1, y1 = plan.band
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(255, 255, 255, 255))
    for block in plan.blocks:
        font = _font(block.font_path, block.font_size)
        for line, origin in zip(block.lines, block.origins):
            draw.text(origin, line, font=font, fill=(*block.fill, 255), anchor="ls",
                      stroke_width=block.stroke, stroke_fill=(*block.stroke_fill, 255))
    return overlay, plan.picture


@lru_cache(maxsize=256)
def plan_for(caption: str, layout: str, size: tuple[int, int]) -> Layout:
    """`layout_boxes` for a canvas of `size` pixels (cached)."""
    width, height = size
    # untrusted text: nothing invisible is drawn, and a flood of combining marks is cut back
    parts = [" ".join(p.split()) for p in _SPLIT.split(visible_text(caption))]
    parts = [p for p in parts if p]
    if layout == "modern":
        return _modern(parts, width, height)
    if len(parts) > 2:  # classic has two places: the first part on top, the rest below
        parts = [parts[0], " ".join(parts[1:])]
    return _classic(parts, width, height)


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
    blocks = []
    for text, box, valign in zip(parts, (top, bottom), ("top", "bottom")):
        block = _fit(renderable(text.upper()), box, round(width * 0.13), "center", valign,
                     fill=(255, 255, 255), stroke_fill=(0, 0, 0), stroke_ratio=0.07)
        if block:
            blocks.append(block)
    return Layout((width, height), (0, 0, width, height), None, tuple(blocks))


def _modern(parts: list[str], width: int, height: int) -> Layout:
    margin = round(width * 0.05)
    pad = min(round(width * 0.04), max(2, round(height * 0.08)))  # a very wide frame: less
    room = (margin, pad, width - margin, min(pad + round(height * 0.4), height - pad))
    block = _fit(renderable("\n".join(parts)), room, round(width * 0.075), "left", "top",
                 fill=(0, 0, 0), stroke_fill=(0, 0, 0), stroke_ratio=0.0)
    if block is None:
        return Layout((width, height), (0, 0, width, height), None, ())
    text_bottom = min(block.ink[3] + 2, height)  # the band follows the text
    block = replace(block, box=(margin, pad, width - margin, text_bottom))
    band_h = min(text_bottom + pad, height - 1)  # a picture a few pixels high stays
    return Layout((width, height), (0, band_h, width, height), (0, 0, width, band_h), (block,))


# -- fitting ------------------------------------------------------------------------------


def _fit(text: str, box: Box, max_size: int, align: str, valign: str, *, fill, stroke_fill,
         stroke_ratio: float) -> TextBlock | None:
    """`text` placed in `box` at the largest font size (binary search) at which it wraps into
    at most MAX_LINES lines that fit; if even the smallest size overflows, the text is cut
    with an ellipsis. None for empty text or a box too small for one line."""
    if not text.strip():
        return None
    path = font_for(text)
    inner_w, inner_h = box[2] - box[0] - 4, box[3] - box[1] - 4  # 2 px of safety each side
    min_size = max(10, min(max_size, round((box[2] - box[0]) / 40)))

    def attempt(font_size: int, cut: bool) -> _Fit | None:
        font = _font(path, font_size)
        stroke = round(font_size * stroke_ratio)
        flat = text.replace("\n", " ")
        if not cut and font.getlength(flat) > MAX_LINES * (inner_w + font_size * 0.5):
            return None  # too long for MAX_LINES lines at any wrapping: skip the wrap
        lines = _wrap(text, font, stroke, inner_w, cut)
        if lines is None or (len(lines) > MAX_LINES and not cut):
            return None
        truncated = len(lines) > MAX_LINES
        if truncated:
            rest = " ".join(lines[MAX_LINES - 1:])
            lines = lines[:MAX_LINES - 1] + [_ellipsize(rest, font, stroke, inner_w)]
        while cut and len(lines) > 1 and _ink(lines, font, stroke)[1] > inner_h:
            lines = lines[:-2] + [_ellipsize(lines[-2], font, stroke, inner_w)]
            truncated = True
        found = _Fit(font, stroke, lines, truncated, *_ink(lines, font, stroke))
        return found if found.height <= inner_h and max(found.widths) <= inner_w else None

    lo, hi, best = min_size, max_size, None
    while lo <= hi:
        mid = (lo + hi) // 2
        found = attempt(mid, cut=False)
        if found:
            best, lo = found, mid + 1
        else:
            hi = mid - 1
    best = best or attempt(min_size, cut=True)
    if best is None:
        return None
    first = box[1] + 2 + best.top if valign == "top" else box[3] - 2 - best.height + best.top
    origins = []
    for i, (w, left) in enumerate(zip(best.widths, best.lefts)):
        x = box[0] + 2 - left if align == "left" else (box[0] + box[2] - w) // 2 - left
        origins.append((x, first + i * best.pitch))
    ink = (min(x + left for (x, _), left in zip(origins, best.lefts)), first - best.top,
           max(x + left + w for (x, _), left, w in zip(origins, best.lefts, best.widths)),
           first - best.top + best.height)
    return TextBlock(box, tuple(best.lines), path, best.font.size, best.stroke,
                     tuple(origins), fill, stroke_fill, ink, best.truncated)


@dataclass
class _Fit:
    font: ImageFont.FreeTypeFont
    stroke: int
    lines: list[str]
    truncated: bool
    pitch: int
    height: int
    top: int  # ink extent above the first baseline
    widths: list[int]
    lefts: list[int]


def _wrap(text: str, font, stroke: int, width: int, cut: bool) -> list[str] | None:
    """Greedy word wrap (newlines force a break); a word too wide for a line makes it fail,
    or with `cut` is broken between characters. Stops once past MAX_LINES lines. Each line
    takes the most words that fit, found by bisection (few measurements for long text)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        i = 0
        while i < len(words):
            if len(lines) > MAX_LINES:
                return lines
            if _width(words[i], font, stroke) > width:
                if not cut:
                    return None
                keep = max(1, _longest(words[i], lambda t: _width(t, font, stroke) <= width))
                lines.append(words[i][:keep])
                words[i] = words[i][keep:]
                continue
            count = _longest(words[i:], lambda ws: _width(" ".join(ws), font, stroke) <= width)
            lines.append(" ".join(words[i:i + count]))
            i += count
    return lines


def _longest(items, fits) -> int:
    """The largest n such that fits(items[:n]), assuming fits is monotonic (0 if none).
    Gallops (1, 2, 4, ...) before bisecting, so it never measures much past a line."""
    lo, step = 0, 1
    while lo + step <= len(items) and fits(items[:lo + step]):
        lo, step = lo + step, step * 2
    hi = min(len(items), lo + step - 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(items[:mid]):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _ellipsize(line: str, font, stroke: int, width: int) -> str:
    """`line` cut at the end and closed with an ellipsis, so that it fits `width`."""
    line = line.removesuffix(ELLIPSIS)
    keep = _longest(line, lambda t: _width(t.rstrip() + ELLIPSIS, font, stroke) <= width)
    return line[:keep].rstrip() + ELLIPSIS


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
    cw, ch = min(w, tw / scale), min(h, th / scale)
    x0, y0 = max(0.0, (w - cw) / 2), max(0.0, (h - ch) / 2)
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
