"""Styles and meme layouts at preview size, against reference costs run in the same process.

    .venv/bin/python benchmarks/bench_render.py [--runs N]

Each figure is the median of N runs (after one warm-up) on a 1280x720 synthetic frame.
Layouts are timed with the layout cache cleared on every run (the text is fitted each time),
except the "cached plan" column: the same caption again, as when a preview is re-rendered.
Baselines:
- styles: `cv2.stylization` (OpenCV's own edge-preserving "painting" filter: what a ready-made
  style costs) and `cv2.cvtColor` + `cv2.GaussianBlur` (5x5) at full size, a floor for
  any per-pixel filter; ratio = baseline / app (above 1: the app is faster).
- layouts: the same picture cover-cropped (PIL resize with a crop box) and pasted on a canvas
  of the output size, with no text: the cost of the picture alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core.compose import (  # noqa: E402
    LAYOUTS, SIZES, canvas_size, compose, layout_boxes,
)
from remix_desktop.core.stylize import STYLES, stylize  # noqa: E402

CAPTION = "When the code works on the first try / nobody believes you"
LONG = ("when you spend six hours debugging a race condition in the export queue only to find "
        "that the real problem was a missing comma in a configuration file")


def frame(h: int = 720, w: int = 1280) -> np.ndarray:
    """Sky gradient, sun, hills, a box, a face, text and sensor-like noise."""
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    img = np.stack([90 + 100 * y, 150 + 70 * y, 235 - 20 * y], axis=2).astype(np.uint8)
    cv2.circle(img, (1050, 140), 70, (255, 214, 60), -1, cv2.LINE_AA)
    hills = np.array([[0, h], [0, 446], [384, 360], [768, 475], [w, 396], [w, h]], np.int32)
    cv2.fillPoly(img, [hills], (60, 140, 60), cv2.LINE_AA)
    cv2.rectangle(img, (200, 300), (420, 560), (170, 60, 50), -1)
    cv2.ellipse(img, (700, 380), (90, 115), 0, 0, 360, (232, 190, 160), -1, cv2.LINE_AA)
    cv2.putText(img, "HELLO", (860, 640), cv2.FONT_HERSHEY_DUPLEX, 3, (255, 255, 255), 6)
    noise = np.random.default_rng(0).normal(0, 6, img.shape).astype(np.float32)
    return (img + noise).clip(0, 255).astype(np.uint8)


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up: caches, font loading, lazy imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bare_picture(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The layout baseline: cover-crop and paste, no text."""
    (w, h), (tw, th) = picture.size, size
    scale = max(tw / w, th / h)
    cw, ch = tw / scale, th / scale
    box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
    canvas = Image.new("RGB", size, "white")
    canvas.paste(picture.resize(size, Image.Resampling.BICUBIC, box=box), (0, 0))
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    pixels = frame()
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads; median of {runs} runs; "
          "1280x720 input\n")

    t_stylization = median_ms(lambda: cv2.stylization(pixels, sigma_s=60, sigma_r=0.45), runs)
    t_blur = median_ms(lambda: cv2.GaussianBlur(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY),
                                                (5, 5), 0), runs)
    print(f"{'style':10} {'app':>9} {'stylization':>12} {'ratio':>7} {'grey+blur':>10} "
          f"{'ratio':>7}")
    for style in STYLES:
        t = median_ms(lambda: stylize(pixels, style), runs)
        if style == "none":  # a copy: no ratio worth printing
            print(f"{style:10} {t:>7.1f}ms {'':>12} {'-':>7} {'':>10} {'-':>7}")
            continue
        print(f"{style:10} {t:>7.1f}ms {t_stylization:>10.1f}ms {t_stylization / t:>6.1f}x "
              f"{t_blur:>8.1f}ms {t_blur / t:>6.2f}x")

    picture = Image.fromarray(pixels)
    def fresh(caption, layout, size):  # the layout cache cleared: fitting included
        layout_boxes.cache_clear()
        return compose(picture, caption, layout=layout, size=size)

    print(f"\n{'layout x size':24} {'output':>10} {'app':>9} {'bare paste':>11} {'ratio':>7} "
          f"{'cached plan':>12} {'long caption':>13}")
    for layout in LAYOUTS:
        for size in SIZES:
            out = canvas_size(size, picture.size)
            t = median_ms(lambda: fresh(CAPTION, layout, size), runs)
            t_cached = median_ms(lambda: compose(picture, CAPTION, layout=layout, size=size),
                                 runs)
            t_long = median_ms(lambda: fresh(LONG, layout, size), runs)
            t_base = median_ms(lambda: bare_picture(picture, out), runs)
            print(f"{layout + ' x ' + size:24} {out[0]:>4}x{out[1]:<5} {t:>7.1f}ms "
                  f"{t_base:>9.1f}ms {t_base / t:>6.2f}x {t_cached:>10.1f}ms {t_long:>11.1f}ms")
    print("\nratio = baseline / app (above 1: the app is faster; below 1: the app costs more, "
          "here for fitting and drawing the text)")


if __name__ == "__main__":
    main()
