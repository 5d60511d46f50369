"""Picture styles made with OpenCV alone, no diffusion model: cartoon, sketch, pop art, halftone.

Every style takes and returns an RGB uint8 array of shape (H, W, 3), the same size. Each is a
pure function, deterministic, and runs in well under 100 ms on a 1280x720 frame on two cores:
the costly filters run on a copy whose long side is at most `WORK_SIDE`, and the result is
scaled back up (edges and dots are drawn at full size, so they stay crisp).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

STYLES = ("none", "cartoon", "sketch", "popart", "halftone")
WORK_SIDE = 640  # long side of the working copy for the costly filters

PAPER = np.array([250, 246, 236], np.float32)  # warm off-white, for sketch and halftone
INK = np.array([28, 24, 32], np.uint8)  # near-black outline colour
MAX_DOT_RADIUS = 0.55  # the largest halftone dot radius, in cells: paper stays in corners


def stylize(pixels: np.ndarray, style: str) -> np.ndarray:
    """`pixels` (RGB uint8, H x W x 3) in `style`, one of STYLES; the same shape back."""
    if style not in _STYLE_FUNCTIONS:
        raise ValueError(f"unknown style {style!r}; valid styles: {', '.join(STYLES)}")
    return _STYLE_FUNCTIONS[style](_check(pixels))


def none(pixels: np.ndarray) -> np.ndarray:
    """An unchanged copy."""
    return _check(pixels).copy()


def cartoon(pixels: np.ndarray, levels: int = 6, edge_block: int = 9) -> np.ndarray:
    """Flat colour regions with bold dark edges: bilateral smoothing, colour quantisation to
    `levels` steps per channel; edges from an adaptive threshold of the blurred grey (ink
    lines) and Canny on the smoothed colours (borders between colours of equal brightness)."""
    pixels = _check(pixels)
    h, w = pixels.shape[:2]
    small = _downscale(pixels)
    smooth = cv2.bilateralFilter(cv2.medianBlur(small, 3), 7, 40, 6)
    smooth = cv2.bilateralFilter(smooth, 7, 40, 6)
    flat = cv2.LUT(smooth, _lut(lambda x: np.round(x * (levels - 1) / 255) * 255 / (levels - 1)))
    flat = cv2.medianBlur(flat, 5)  # clean the ragged borders between quantised regions
    flat = cv2.resize(flat, (w, h), interpolation=cv2.INTER_LINEAR)

    grey = cv2.medianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), 5)
    lines = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                  max(3, edge_block | 1), 5)
    borders = cv2.dilate(cv2.Canny(smooth, 40, 120), np.ones((2, 2), np.uint8))
    lines[borders > 0] = 0
    lines = cv2.resize(lines, (w, h), interpolation=cv2.INTER_LINEAR)
    edge = lines < 128
    flat[edge] = INK
    return flat


def sketch(pixels: np.ndarray, tint: bool = True) -> np.ndarray:
    """A pencil drawing: each colour channel colour-dodged by its blurred negative, the
    darkest kept (so edges between colours of equal brightness are drawn too), darkened a
    little so strokes read, with soft shading; on warm paper if `tint`, else pure grey."""
    pixels = _check(pixels)
    h, w = pixels.shape[:2]
    small = _downscale(pixels)
    sigma = max(1.5, small.shape[1] / 160)
    small_grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    blurred = cv2.GaussianBlur(255 - small_grey, (0, 0), sigma)
    blurred = cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    dodge = cv2.divide(grey, 255 - blurred, scale=256)
    # Edges between colours of equal brightness, which the grey dodge cannot see; a dodge
    # per channel would turn saturated areas (pure red has no green) black.
    colour_edges = np.max([cv2.Canny(c, 60, 160) for c in cv2.split(small)], axis=0)
    colour_edges = cv2.resize(cv2.GaussianBlur(colour_edges, (3, 3), 0), (w, h),
                              interpolation=cv2.INTER_LINEAR)
    dodge = cv2.subtract(dodge, (colour_edges // 2).astype(np.uint8))
    # Darken the strokes (a gamma above 1 on the dodge) so thin lines survive on screen.
    drawing = cv2.LUT(dodge, _lut(lambda x: 255 * (x / 255) ** 2.2))
    # Soft shading from the tones themselves, as a pencil would hatch dark areas.
    tone = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (0, 0), sigma)
    shading = cv2.LUT(tone, _lut(lambda x: 255 * (1 - 0.45 * (1 - x / 255) ** 2)))
    shading = cv2.resize(shading, (w, h), interpolation=cv2.INTER_LINEAR)
    drawing = cv2.multiply(drawing, shading, scale=1 / 255)
    paper = PAPER if tint else (255, 255, 255)
    return cv2.merge([cv2.convertScaleAbs(drawing, alpha=float(c) / 255) for c in paper])


def popart(pixels: np.ndarray, hues: int = 6, values: int = 3) -> np.ndarray:
    """Posterised, saturated, few flat colours: hue snapped to `hues` bins at full saturation,
    brightness to `values` steps; near-grey areas become greys from dark to white; bold edges.
    At most 1 + (hues + 1) * values colours."""
    if hues < 1 or values < 2 or (hues + 1) * values > 250:
        raise ValueError("popart needs hues >= 1, values >= 2 and (hues + 1) * values <= 250")
    pixels = _check(pixels)
    h, w = pixels.shape[:2]
    small = cv2.medianBlur(_downscale(pixels), 5)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hsv[..., 2] = cv2.GaussianBlur(hsv[..., 2], (0, 0), 3)  # steadier brightness bands
    hue, sat, val = (hsv[..., i].astype(np.int32) for i in range(3))
    hue_bin = ((hue + 90 // hues) * hues // 180) % hues
    val_bin = np.minimum(val * values // 200, values - 1)  # a little bias towards bright
    colourful = sat >= 70
    label = np.where(colourful, 1 + hue_bin * values + val_bin, 1 + hues * values + val_bin)
    label = cv2.medianBlur(label.astype(np.uint8), 5)  # a majority-like clean-up of specks
    label = cv2.resize(label, (w, h), interpolation=cv2.INTER_NEAREST)
    out = _popart_palette(hues, values)[label]
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, 60, 160)
    edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    edges = cv2.resize(edges, (w, h), interpolation=cv2.INTER_NEAREST)
    out[edges > 0] = 0
    return out


def halftone(pixels: np.ndarray, cell: int | None = None, outline: bool = True) -> np.ndarray:
    """Comic dots: a grid of dots whose area follows the darkness of each cell, in that cell's
    colour as a saturated ink, on paper; dark outlines if `outline`. `cell` is the grid pitch
    in pixels (by default the short side / 90, at least 4)."""
    pixels = _check(pixels)
    h, w = pixels.shape[:2]
    cell = cell or max(4, round(min(h, w) / 90))
    gh, gw = -(-h // cell), -(-w // cell)
    grid = cv2.resize(pixels, (gw, gh), interpolation=cv2.INTER_AREA)
    # Each cell's ink: its colour more saturated and darker (grey cells get a dark grey ink).
    hsv = cv2.cvtColor(grid, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = np.where(hsv[..., 1] > 40, np.maximum(hsv[..., 1] * 1.4, 160), hsv[..., 1])
    hsv[..., 2] = hsv[..., 2] * (0.35 + 0.6 * hsv[..., 1] / 255)
    ink = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB)
    ink = ink.astype(np.float32)
    # The ink share that mixes paper and ink back to the cell's colour (least squares); the
    # dot's area is that share of the cell, so darker cells get bigger dots.
    paper_to_ink = PAPER - ink
    share = ((PAPER - grid) * paper_to_ink).sum(2) / np.maximum((paper_to_ink ** 2).sum(2), 1)
    radius = np.minimum(np.sqrt(np.clip(share, 0, 1) / np.pi), MAX_DOT_RADIUS) * cell
    radius_map = _blocks(radius.astype(np.float32), cell, h, w)
    coverage = np.clip(radius_map - _cell_distance(h, w, cell) + 0.5, 0, 1)[..., None]
    ink_map = _blocks(ink, cell, h, w)
    out = PAPER + (ink_map - PAPER) * coverage
    out = out.astype(np.uint8)
    if outline:
        small = cv2.GaussianBlur(cv2.cvtColor(_downscale(pixels), cv2.COLOR_RGB2GRAY), (5, 5), 0)
        edges = cv2.Canny(small, 50, 150)
        edges = cv2.resize(edges, (w, h), interpolation=cv2.INTER_LINEAR)
        out[edges > 64] = INK
    return out


# -- helpers ------------------------------------------------------------------------------


def _check(pixels: np.ndarray) -> np.ndarray:
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 3 \
            or pixels.shape[2] != 3:
        raise ValueError("pixels must be an RGB uint8 array of shape (H, W, 3)")
    if pixels.shape[0] < 2 or pixels.shape[1] < 2:
        raise ValueError("pixels must be at least 2x2")
    return np.ascontiguousarray(pixels)


def _downscale(pixels: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """A copy whose long side is at most `side` (the array itself if already small enough)."""
    h, w = pixels.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return pixels
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def _blocks(grid: np.ndarray, cell: int, h: int, w: int) -> np.ndarray:
    """Each grid value repeated over its cell x cell block, cropped to h x w."""
    size = (grid.shape[1] * cell, grid.shape[0] * cell)
    return cv2.resize(grid, size, interpolation=cv2.INTER_NEAREST_EXACT)[:h, :w]


def _lut(fn) -> np.ndarray:
    x = np.arange(256, dtype=np.float64)
    return np.clip(fn(x), 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def _cell_distance(h: int, w: int, cell: int) -> np.ndarray:
    """Distance of each pixel from the centre of its grid cell (float32, H x W), cached."""
    centre = (cell - 1) / 2
    ys = (np.arange(h) % cell - centre).astype(np.float32)
    xs = (np.arange(w) % cell - centre).astype(np.float32)
    distance = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
    distance.setflags(write=False)
    return distance


@lru_cache(maxsize=4)
def _popart_palette(hues: int, values: int) -> np.ndarray:
    """Label -> RGB: index 0 is black (edges), then hue x value flat colours, then greys."""
    colours = [(0, 0, 0)]
    for hue_bin in range(hues):
        for val_bin in range(values):
            hsv = np.uint8([[[hue_bin * 180 // hues, 255, 120 + 135 * val_bin // (values - 1)]]])
            colours.append(tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]))
    for val_bin in range(values):
        level = 20 + 235 * val_bin // (values - 1)
        colours.append((level, level, level))
    palette = np.array(colours, np.uint8)
    palette.setflags(write=False)
    return palette


_STYLE_FUNCTIONS = {
    "none": none,
    "cartoon": cartoon,
    "sketch": sketch,
    "popart": popart,
    "halftone": halftone,
}
