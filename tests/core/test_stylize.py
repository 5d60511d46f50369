"""The OpenCV styles, checked on the pixels of a structured, photo-like synthetic frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remix_desktop.core.stylize import INK, STYLES, halftone, popart, sketch, stylize

H, W = 720, 1280
SUN = (1050, 140, 70)  # x, y, radius
BOX = (200, 300, 420, 560)  # x0, y0, x1, y1


def scene(h: int = H, w: int = W, seed: int = 0) -> np.ndarray:
    """A landscape-like frame: sky gradient, sun, hills, a red box, a face, text and noise."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    img = np.stack([90 + 100 * y, 150 + 70 * y, 235 - 20 * y], axis=2).astype(np.uint8)
    s = w / 1280
    cv2.circle(img, (int(SUN[0] * s), int(SUN[1] * s)), int(SUN[2] * s), (255, 214, 60), -1,
               cv2.LINE_AA)
    hills = np.array([[0, h], [0, int(h * .62)], [int(w * .3), int(h * .5)],
                      [int(w * .6), int(h * .66)], [w, int(h * .55)], [w, h]], np.int32)
    cv2.fillPoly(img, [hills], (60, 140, 60), cv2.LINE_AA)
    x0, y0, x1, y1 = (int(v * s) for v in BOX)
    cv2.rectangle(img, (x0, y0), (x1, y1), (170, 60, 50), -1)
    cv2.ellipse(img, (int(700 * s), int(380 * s)), (int(90 * s), int(115 * s)), 0, 0, 360,
                (232, 190, 160), -1, cv2.LINE_AA)
    for ex in (665, 735):
        cv2.circle(img, (int(ex * s), int(355 * s)), int(12 * s), (40, 30, 30), -1, cv2.LINE_AA)
    cv2.putText(img, "HELLO", (int(860 * s), int(640 * s)), cv2.FONT_HERSHEY_DUPLEX, 3 * s,
                (255, 255, 255), max(1, int(6 * s)), cv2.LINE_AA)
    noisy = img.astype(np.float32) + rng.normal(0, 6, img.shape).astype(np.float32)
    return cv2.GaussianBlur(noisy.clip(0, 255).astype(np.uint8), (3, 3), 0)


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    return scene()


@pytest.fixture(scope="module")
def styled(frame) -> dict[str, np.ndarray]:
    return {style: stylize(frame, style) for style in STYLES}


def distinct_colours(pixels: np.ndarray) -> int:
    return len(np.unique(pixels.reshape(-1, 3), axis=0))


@pytest.mark.parametrize("style", STYLES)
def test_every_style_keeps_shape_and_dtype(styled, style):
    assert styled[style].shape == (H, W, 3)
    assert styled[style].dtype == np.uint8


@pytest.mark.parametrize("style", [s for s in STYLES if s != "none"])
def test_every_style_visibly_changes_the_frame(frame, styled, style):
    diff = np.abs(styled[style].astype(np.int16) - frame).mean()
    assert diff > 8, f"{style} barely changed the frame (mean difference {diff:.1f})"


@pytest.mark.parametrize("style", STYLES)
def test_styles_are_deterministic_and_leave_the_input_alone(frame, styled, style):
    before = frame.copy()
    again = stylize(frame, style)
    assert np.array_equal(again, styled[style])
    assert np.array_equal(frame, before)


def test_none_is_an_equal_copy(frame, styled):
    assert np.array_equal(styled["none"], frame)
    assert not np.shares_memory(styled["none"], frame)


def test_unknown_style_names_the_valid_ones(frame):
    with pytest.raises(ValueError) as error:
        stylize(frame, "watercolour")
    for style in STYLES:
        assert style in str(error.value)


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.float32),
                                 np.zeros((10, 10, 4), np.uint8)])
def test_non_rgb_uint8_input_is_refused(bad):
    with pytest.raises(ValueError):
        stylize(bad, "cartoon")


@settings(max_examples=25, deadline=None)
@given(h=st.integers(2, 90), w=st.integers(2, 90), seed=st.integers(0, 2**16),
       style=st.sampled_from(STYLES))
def test_any_size_comes_back_the_same_size(h, w, seed, style):
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out = stylize(pixels, style)
    assert out.shape == (h, w, 3) and out.dtype == np.uint8


def test_odd_sizes_and_non_contiguous_views_work(frame):
    view = frame[::3, ::2]  # 240 x 640, not contiguous
    for style in STYLES:
        assert stylize(view, style).shape == view.shape


# -- cartoon -------------------------------------------------------------------------------


def test_cartoon_has_flat_regions_and_dark_outlines(frame, styled):
    out = styled["cartoon"]
    x0, y0, x1, y1 = BOX
    inner = out[y0 + 20:y1 - 20, x0 + 20:x1 - 20].reshape(-1, 3)
    raw = frame[y0 + 20:y1 - 20, x0 + 20:x1 - 20].reshape(-1, 3)
    assert inner.std(0).max() < raw.std(0).max() / 3  # the noise is smoothed flat
    assert distinct_colours(out) < distinct_colours(frame) / 5
    # The box's left edge is drawn as a dark line.
    edge = out[y0 + 30:y1 - 30, x0 - 4:x0 + 5]
    assert (np.abs(edge.astype(int) - INK).sum(2) < 30).any(axis=1).mean() > 0.9


# -- sketch --------------------------------------------------------------------------------


def test_sketch_is_near_greyscale(styled):
    out = styled["sketch"].astype(int)
    assert (out.max(2) - out.min(2)).max() <= 16


def test_sketch_is_light_paper_with_dark_strokes_at_edges(styled):
    grey = styled["sketch"].mean(2)
    x0, y0, x1, y1 = BOX
    assert grey[y0 + 30:y1 - 30, x0 + 30:x1 - 30].mean() > 150  # inside: mostly paper
    assert grey[100:200, 100:400].mean() > 200  # the sky is nearly blank paper
    edge = grey[y0 + 30:y1 - 30, x0 - 4:x0 + 5].min(axis=1)
    assert np.median(edge) < 150  # the box's outline is drawn


def test_sketch_without_tint_is_exactly_grey(frame):
    out = sketch(frame, tint=False).astype(int)
    assert (out.max(2) == out.min(2)).all()


# -- pop art -------------------------------------------------------------------------------


def test_popart_has_few_flat_saturated_colours(styled):
    out = styled["popart"]
    assert 3 <= distinct_colours(out) <= 1 + 7 * 3
    sat = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)[..., 1]
    assert ((sat == 0) | (sat == 255)).mean() > 0.99  # every colour is grey or fully saturated
    assert (sat == 255).mean() > 0.6


def test_popart_keeps_the_picture_recognisable(styled):
    out = styled["popart"].astype(int)
    x0, y0, x1, y1 = BOX
    r, g, b = out[y0 + 30:y1 - 30, x0 + 30:x1 - 30].reshape(-1, 3).mean(0)
    assert r > 150 and g < 80 and b < 80  # the red box stays red
    sx, sy, _ = SUN
    r, g, b = out[sy - 20:sy + 20, sx - 20:sx + 20].reshape(-1, 3).mean(0)
    assert r > 200 and g > 150 and b < 80  # the sun stays yellow


def test_popart_parameters_are_checked(frame):
    with pytest.raises(ValueError):
        popart(frame, values=1)
    assert distinct_colours(popart(frame, hues=3, values=2)) <= 1 + 4 * 2


# -- halftone ------------------------------------------------------------------------------


def ink_mask(out: np.ndarray) -> np.ndarray:
    return out.astype(int).sum(2) < 3 * 200


@pytest.mark.parametrize("level", [160, 200])
def test_halftone_of_flat_grey_is_a_grid_of_round_dots(level):
    cell = 10
    out = halftone(np.full((300, 400, 3), level, np.uint8), cell=cell, outline=False)
    count, _, stats, centres = cv2.connectedComponentsWithStats(ink_mask(out).astype(np.uint8))
    dots = stats[1:]
    assert abs(len(dots) - (300 // cell) * (400 // cell)) <= 2  # one dot per cell
    areas = dots[:, cv2.CC_STAT_AREA]
    boxes = dots[:, cv2.CC_STAT_WIDTH] * dots[:, cv2.CC_STAT_HEIGHT]
    assert np.median(areas / boxes) == pytest.approx(np.pi / 4, abs=0.12)  # round, not square
    offsets = (centres[1:] - (cell - 1) / 2) % cell
    assert np.allclose(offsets, 0, atol=0.6) | np.allclose(offsets, cell, atol=0.6)


def test_halftone_dots_grow_with_darkness():
    ink = [ink_mask(halftone(np.full((200, 200, 3), v, np.uint8), cell=8, outline=False)).mean()
           for v in (240, 200, 150, 100, 40)]
    assert ink == sorted(ink) and ink[0] < 0.1 and ink[-1] > 0.5
    paper = halftone(np.full((64, 64, 3), 255, np.uint8), outline=False)
    assert ink_mask(paper).mean() == 0


def test_halftone_dots_take_the_colour_of_the_picture(styled):
    out = styled["halftone"]
    x0, y0, x1, y1 = BOX
    patch = out[y0 + 30:y1 - 30, x0 + 30:x1 - 30].reshape(-1, 3).astype(int)
    inked = patch[patch.sum(1) < 3 * 200]
    r, g, b = inked.mean(0)
    assert r > g + 60 and r > b + 60  # red ink on the red box
    assert (patch.min(1) > 230).any()  # and paper between the dots


def test_halftone_outline_is_optional(frame):
    with_outline = halftone(frame, outline=True)
    without = halftone(frame, outline=False)
    outline = (with_outline != without).any(2)
    assert 0.002 < outline.mean() < 0.1
    assert (np.abs(with_outline[outline].astype(int) - INK).sum(1) < 5).all()


def test_sketch_keeps_saturated_colours_on_light_paper():
    """A pure red or blue area is paper in a drawing, not black ink."""
    frame = np.zeros((180, 320, 3), np.uint8)
    frame[:, :160] = (255, 0, 0)
    frame[:, 160:] = (0, 0, 255)
    out = stylize(frame, "sketch")
    assert out[20:160, 20:140].mean() > 150 and out[20:160, 180:300].mean() > 150
