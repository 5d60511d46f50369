"""Meme layouts, checked on the rendered pixels: sizes, text inside its boxes, stroke, wrapping,
top and bottom text, the white band, and fonts that draw every character (no tofu)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from remix_desktop.core import resources
from remix_desktop.core.compose import (
    CAPTION_FONT, ELLIPSIS, FALLBACK_FONT, LAYOUTS, MAX_LINES, SIZES, canvas_size, compose,
    font_for, layout_boxes, renderable, text_boxes,
)
from remix_desktop.core.resources import fonts_dir, resources_dir

GREY = 128
SHORT = "When the code works"
TWO_PART = "When the code works on the first try / nobody believes you"
LONG = ("when you spend six hours debugging a race condition in the export queue only to find "
        "that the real problem was a missing comma in a configuration file you never opened "
        "and the fix takes four seconds")
CAPTIONS = [SHORT, TWO_PART, LONG, "Café déjà vu", "Привет мир", "Γειά σου κόσμε",
            "Supercalifragilisticexpialidocious" * 3, "x"]


def grey_picture(w: int = 1280, h: int = 720) -> Image.Image:
    return Image.new("RGB", (w, h), (GREY, GREY, GREY))


def gradient_picture(w: int = 1280, h: int = 720) -> np.ndarray:
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None].repeat(w, 1)
    return np.stack([x, y, 255 - x], 2).astype(np.uint8)


def text_mask(image: Image.Image, background=(GREY, GREY, GREY)) -> np.ndarray:
    """Pixels that differ from a flat background: the text (fill, stroke, antialiasing)."""
    return (np.asarray(image) != np.array(background, np.uint8)).any(2)


def inside(mask: np.ndarray, boxes) -> bool:
    allowed = np.zeros_like(mask)
    for x0, y0, x1, y1 in boxes:
        allowed[y0:y1, x0:x1] = True
    return not (mask & ~allowed).any()


# -- sizes and inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("size, source, expected", [
    ("square", (1280, 720), (1080, 1080)),
    ("portrait", (1280, 720), (1080, 1920)),
    ("source", (1280, 720), (1080, 608)),
    ("source", (720, 1280), (608, 1080)),
    ("source", (300, 300), (1080, 1080)),
])
def test_output_size_per_layout_and_size(layout, size, source, expected):
    out = compose(grey_picture(*source), SHORT, layout=layout, size=size)
    assert out.size == expected and out.mode == "RGB"


@pytest.mark.parametrize("picture", [
    gradient_picture(), gradient_picture()[..., 0], np.dstack([gradient_picture(),
                                                               np.full((720, 1280), 255, np.uint8)]),
    Image.fromarray(gradient_picture()).convert("L"), Image.fromarray(gradient_picture()).convert("P"),
])
def test_pictures_as_arrays_or_images_in_any_mode(picture):
    assert compose(picture, SHORT).size == (1080, 1080)


def test_unknown_layout_or_size_names_the_valid_ones():
    with pytest.raises(ValueError, match="classic, modern"):
        compose(grey_picture(), SHORT, layout="polaroid")
    with pytest.raises(ValueError, match="square, portrait, source"):
        compose(grey_picture(), SHORT, size="banner")
    with pytest.raises(ValueError):
        canvas_size("source")  # the picture's size is needed


def test_classic_picture_is_cover_cropped_around_the_centre():
    picture = np.full((720, 1280, 3), 30, np.uint8)
    picture[:, 280:1000] = (200, 50, 50)  # the centre 720 x 720, red
    out = np.asarray(compose(picture, "", size="square"))
    assert (np.abs(out.astype(int) - (200, 50, 50)).max(2) <= 2).mean() > 0.99


def test_empty_caption_is_the_picture_alone():
    for layout in LAYOUTS:
        out = compose(grey_picture(), "  \n ", layout=layout)
        assert not text_mask(out).any()
        assert layout_boxes("", layout).band is None


# -- classic -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("caption", CAPTIONS)
def test_classic_text_pixels_stay_inside_their_boxes(caption, size):
    out = compose(grey_picture(), caption, layout="classic", size=size)
    mask = text_mask(out)
    assert mask.sum() > 500, "no visible text"
    assert inside(mask, text_boxes(caption, "classic", size, source_size=(1280, 720)))
    plan = layout_boxes(caption, "classic", size, source_size=(1280, 720))
    assert inside(mask, [block.ink for block in plan.blocks])  # the plan knows the ink too


def test_classic_is_upper_case_white_with_a_black_stroke():
    out = compose(grey_picture(), SHORT)
    assert " ".join(layout_boxes(SHORT).blocks[0].lines) == SHORT.upper()
    pixels = np.asarray(out).astype(int)
    white = (pixels >= 250).all(2)
    black = (pixels <= 10).all(2)
    assert white.sum() > 2000 and black.sum() > 1000
    # The ring just outside the white fill is black: the stroke surrounds the letters.
    def grow(mask, k):
        return cv2.dilate(mask.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    ring = grow(white, 7) & ~grow(white, 3)  # 2 to 3 px outside the fill
    assert (pixels[ring].max(1) < 60).mean() > 0.95
    # A stroke proportional to the font size.
    block = layout_boxes(SHORT).blocks[0]
    assert block.stroke == round(block.font_size * 0.07) and block.stroke >= 3


def test_classic_text_reads_on_a_white_picture():
    out = compose(Image.new("RGB", (800, 800), "white"), SHORT)
    assert ((np.asarray(out) <= 10).all(2)).sum() > 1000


def test_long_captions_shrink_and_wrap_to_at_most_three_lines():
    short, long = layout_boxes(SHORT).blocks[0], layout_boxes(LONG).blocks[0]
    assert long.font_size < short.font_size
    assert 2 <= len(long.lines) <= MAX_LINES
    assert " ".join(long.lines) == LONG.upper()  # nothing lost: it fits without cutting
    assert not long.truncated


def test_text_too_long_for_the_smallest_size_is_cut_with_an_ellipsis():
    caption = "this caption goes on " * 80
    block = layout_boxes(caption).blocks[0]
    assert block.truncated and len(block.lines) == MAX_LINES
    assert block.lines[-1].endswith(ELLIPSIS)
    out = compose(grey_picture(), caption)
    assert inside(text_mask(out), [block.box])


def test_a_word_wider_than_the_box_is_shrunk_to_fit():
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    block = layout_boxes(word).blocks[0]
    assert block.lines == (word.upper(),)
    assert inside(text_mask(compose(grey_picture(), word)), [block.box])


@pytest.mark.parametrize("caption", [TWO_PART, "When the code works on the first try\nnobody "
                                     "believes you"])
def test_two_part_caption_puts_text_at_top_and_bottom(caption):
    out = compose(grey_picture(), caption)
    rows = text_mask(out).any(1)
    h = out.height
    assert rows[: h // 3].any() and rows[2 * h // 3:].any()
    assert not rows[h // 3: 2 * h // 3].any()  # nothing in the middle third
    top, bottom = layout_boxes(caption).blocks
    assert top.lines[0].startswith("WHEN") and bottom.lines[-1].endswith("YOU")
    assert top.ink[1] < h * 0.1 and bottom.ink[3] > h * 0.9


def test_slash_and_newline_split_the_same_way():
    a = compose(grey_picture(), TWO_PART)
    b = compose(grey_picture(), TWO_PART.replace(" / ", "\n"))
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_single_caption_goes_at_the_top_only():
    rows = text_mask(compose(grey_picture(), SHORT)).any(1)
    assert rows[:300].any() and not rows[540:].any()


# -- modern --------------------------------------------------------------------------------


def test_modern_has_a_white_band_with_dark_left_aligned_text():
    out = compose(grey_picture(), SHORT, layout="modern")
    plan = layout_boxes(SHORT, "modern")
    band_h = plan.band[3]
    pixels = np.asarray(out).astype(int)
    band = pixels[:band_h]
    assert (band >= 250).all(2).mean() > 0.8  # mostly white
    dark = (band <= 60).all(2)
    assert dark.sum() > 1000  # black text
    assert (pixels[band_h:] == GREY).all()  # the picture fills the rest exactly
    cols = np.flatnonzero(dark.any(0))
    margin = round(1080 * 0.05)
    assert margin <= cols[0] <= margin + 12  # left-aligned at the margin
    assert cols[-1] < 1080 - margin
    assert plan.blocks[0].lines == (SHORT,)  # sentence case, as given
    assert plan.picture == (0, band_h, 1080, 1080)


def test_modern_band_height_follows_the_text():
    medium = "When you finally fix the bug and a new one appears immediately after"
    one, three = layout_boxes("Short", "modern"), layout_boxes(medium, "modern")
    assert len(one.blocks[0].lines) == 1 and len(three.blocks[0].lines) == MAX_LINES
    assert one.blocks[0].font_size == three.blocks[0].font_size
    assert three.band[3] > one.band[3] * 1.8
    assert three.picture[1] == three.band[3]  # the picture starts where the band ends


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("caption", CAPTIONS)
def test_modern_text_pixels_stay_inside_their_box(caption, size):
    out = compose(grey_picture(), caption, layout="modern", size=size)
    plan = layout_boxes(caption, "modern", size, source_size=(1280, 720))
    band_h = plan.band[3]
    dark = (np.asarray(out)[:band_h] != 255).any(2)
    assert dark.sum() > 200
    assert inside(dark, text_boxes(caption, "modern", size, source_size=(1280, 720)))
    assert len(plan.blocks[0].lines) <= MAX_LINES


# -- fonts: Anton when it can, the fallback otherwise, never tofu ---------------------------


def glyph_pixels(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    image = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(image).text((20, 20), char, font=font, fill=255)
    return np.asarray(image)


@pytest.fixture(scope="module")
def notdef():
    """How each font draws a character it lacks (the .notdef 'tofu' box)."""
    fonts = {name: ImageFont.truetype(str(fonts_dir() / name), 100)
             for name in (CAPTION_FONT, FALLBACK_FONT)}
    return {name: (font, glyph_pixels(font, "\ue000")) for name, font in fonts.items()}


def test_the_notdef_check_can_fail(notdef):
    """Anton lacks Cyrillic: drawing it with Anton gives tofu, which the check must see."""
    font, tofu = notdef[CAPTION_FONT]
    assert np.array_equal(glyph_pixels(font, "П"), tofu)
    assert not np.array_equal(glyph_pixels(font, "P"), tofu)


@pytest.mark.parametrize("caption, expected_font", [
    (SHORT, CAPTION_FONT), ("Café déjà vu", CAPTION_FONT), ("Łódź, Ærøskøbing, Đà Nẵng", CAPTION_FONT),
    ("Привет мир", FALLBACK_FONT), ("Γειά σου κόσμε", FALLBACK_FONT),
    ("Café → Привет", FALLBACK_FONT),  # one missing character moves the whole caption
])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_character_has_a_real_glyph(notdef, caption, expected_font, layout):
    block = layout_boxes(caption, layout).blocks[0]
    assert block.font_path.name == expected_font
    font, tofu = notdef[expected_font]
    for char in set("".join(block.lines)) - {" "}:
        drawn = glyph_pixels(font, char)
        assert drawn.any() and not np.array_equal(drawn, tofu), f"tofu for {char!r}"
    out = compose(grey_picture(), caption, layout=layout)
    assert text_mask(out).sum() > 1000


def test_characters_neither_font_has_are_dropped():
    assert renderable("Party 🎉 time") == "Party  time"
    block = layout_boxes("Party 🎉 time").blocks[0]
    assert block.lines == ("PARTY TIME",) and block.font_path.name == CAPTION_FONT


def test_font_choice_reads_the_cmap():
    assert font_for("HELLO").name == CAPTION_FONT
    assert font_for("ПРИВЕТ").name == FALLBACK_FONT


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(caption="0", layout="modern", size="source", source=(108, 7))  # found by CI:
@example(caption="0", layout="modern", size="source", source=(113, 7))  # text below a thin frame
@given(caption=st.text(alphabet=st.sampled_from(list("abcXYZ éÉçß ПрдΓλω  /\n!?…0123🎉")),
                       max_size=300),
       layout=st.sampled_from(LAYOUTS), size=st.sampled_from(SIZES),
       source=st.tuples(st.integers(1, 6000), st.integers(1, 6000)))
def test_any_caption_fits_its_box(caption, layout, size, source):
    plan = layout_boxes(caption, layout, size, source_size=source)
    width, height = plan.size
    assert plan.size == canvas_size(size, source)
    assert max(plan.size) == 1080 if size == "source" else width == 1080
    for block in plan.blocks:
        assert 1 <= len(block.lines) <= MAX_LINES
        x0, y0, x1, y1 = block.ink
        bx0, by0, bx1, by1 = block.box
        assert 0 <= bx0 <= x0 and 0 <= by0 <= y0 and x1 <= bx1 <= width and y1 <= by1 <= height


@pytest.mark.parametrize("source", [(6000, 40), (40, 6000), (3, 2)])
def test_extreme_pictures_still_keep_text_in_its_box(source):
    picture = grey_picture(*source)
    for layout in LAYOUTS:
        caption = "Extreme aspect / still fits"
        out = compose(picture, caption, layout=layout, size="source")
        plan = layout_boxes(caption, layout, "source", source_size=source)
        mask = text_mask(out)
        if plan.band:  # modern: text is what is not white in the band
            mask[:plan.band[3]] = text_mask(out, (255, 255, 255))[:plan.band[3]]
        assert inside(mask, [block.box for block in plan.blocks])
        # A 1080 x 7 strip leaves no room for text: none is drawn; a tiny picture has text.
        assert mask.any() == bool(plan.blocks) == (min(out.size) >= 40)


# -- resources -----------------------------------------------------------------------------


def test_resources_dir_from_source_holds_the_fonts_and_licences():
    fonts = fonts_dir()
    assert resources_dir() == Path(resources.__file__).resolve().parents[2] / "resources"
    for name in (CAPTION_FONT, FALLBACK_FONT, "OFL.txt", "DejaVu-LICENSE.txt", "README.md"):
        assert (fonts / name).is_file()


def test_resources_dir_when_frozen(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
