"""Captions are untrusted text, from the model and from the creator alike: control characters,
bidi overrides, zero-width characters, NUL, very long lines, emoji, floods of combining
marks, XML specials and newlines go through the clean-up, the layout (drawn inside its boxes,
inside the picture) and into the export's XMP (well-formed, capped, nothing hidden)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from hypothesis import strategies as st

from remix_desktop.core.captions import (MAX_CHARS, MAX_MARKS, MAX_USER_CHARS, MAX_WORDS,
                                         clean_caption, clean_user_caption, visible_text)
from remix_desktop.core.compose import LAYOUTS, compose, layout_boxes
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import UsageError
from remix_desktop.core.export import (CAPTION_LIMIT, Provenance, build_xmp, export_image,
                                       parse_xmp, read_xmp)
from remix_desktop.core.importer import run_import
from remix_desktop.core.remix import Remixer, RemixRequest
from tests.core.test_compose import grey_picture, inside, text_mask

from .conftest import run_fuzz

ZALGO = "Z" + "\u0336\u0301\u0302\u0303\u0308\u030a\u0327\u0328\u0323\u0330" * 20 + "algo"
HOSTILE = {
    "control": "the\x07 bus\x1b[31m leaves\x08 early\x7f\x9b",
    "bidi": "me when \u202egnp.exe\u202c the \u2066file\u2069 opens \u200f\u061c",
    "zero_width": "me\u200b when\u200c the\u200d wifi\u2060 drops\ufeff",
    "nul": "me when\x00 the bus\x00 leaves",
    "long_line": "me when " + "a" * 5000,
    "long_words": "me when " + "so " * 3000 + "long",
    "spaces": "me when" + " " * 50_000 + "it works",
    "emoji": "me when 🎬🔥😂 the 👩‍👩‍👧 family 🏳️‍🌈 arrives",
    "combining": f"me when {ZALGO} appears",
    "xml": "me when <b>&amp; ]]> <?xpacket end='w'?> <!ENTITY x 'y'> &x; \"'",
    "newlines": "me when\nthe bus\r\nleaves\rearly\u2028again\u2029and\x85again",
    "surrogate": "me when \ud800 the bus \udfff leaves",
    "private_use": "me when \ue000\U000f0000 the bus leaves",
    "only_invisible": "\u200b\u202e\x00\u2066",
}
HOSTILE_CHARS = list("ab Z.é") + ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u200b",
                                  "\u200d", "\u202e", "\u2066", "\ufeff", "\ud800", "\ue000",
                                  "\u0301", "\u0336", "\u0323", "\n", "\r", "\t", "\u2028",
                                  "<", "&", "]]>", "🎬", "👩‍👩‍👧", " / ", "Caption:", "#tag"]


def hidden(text: str) -> list[str]:
    """What must never survive: control (but newline), format, surrogate, private-use or
    unassigned characters."""
    return [c for c in text if unicodedata.category(c)[0] == "C" and c != "\n"]


def longest_mark_run(text: str) -> int:
    run = best = 0
    for c in text:
        run = run + 1 if unicodedata.category(c)[0] == "M" else 0
        best = max(best, run)
    return best


def assert_drawn_inside(caption: str, layout: str) -> None:
    picture = grey_picture(640, 360)
    out = compose(picture, caption, layout=layout, size="square")
    plan = layout_boxes(caption, layout, "square", None)
    assert out.size == plan.size == (1080, 1080)
    mask = text_mask(out)
    if plan.band:
        mask[:plan.band[3]] = text_mask(out, (255, 255, 255))[:plan.band[3]]
    assert inside(mask, [block.box for block in plan.blocks])
    for block in plan.blocks:
        x0, y0, x1, y1 = block.ink
        assert 0 <= x0 and 0 <= y0 and x1 <= 1080 and y1 <= 1080
        assert not any(hidden(line) for line in block.lines)


def assert_clean_xmp(xmp: str, caption: str) -> dict[str, str]:
    root = ET.fromstring(xmp)  # well-formed
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    body = xmp.split("?>", 1)[1]  # after the packet header (its BOM is part of the format)
    assert not hidden(body.replace("\ufeff", "")), [hex(ord(c)) for c in hidden(body)]
    props = parse_xmp(xmp)
    title = props.get("dc:title", "")
    assert len(title) <= CAPTION_LIMIT and not hidden(title)
    assert longest_mark_run(title) <= MAX_MARKS
    assert title == visible_text(caption).strip()[:CAPTION_LIMIT] or title.endswith("\u2026")
    return props


# -- the model's captions ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_model_text_is_cleaned_drawn_inside_and_exported_clean(name, tmp_path):
    start = time.monotonic()
    text = clean_caption(HOSTILE[name], "")
    assert time.monotonic() - start < 0.5, "clean-up is linear in the text"
    if name == "only_invisible":
        assert text is None
        return
    if text is None:  # too long or too short once cleaned: the candidate is dropped
        assert name in ("long_line",)
        return
    assert not hidden(text) and "\n" not in text and "\u202e" not in text
    assert len(text) <= MAX_CHARS and len(text.split()) <= MAX_WORDS
    assert longest_mark_run(text) <= MAX_MARKS
    for layout in LAYOUTS:
        assert_drawn_inside(text, layout)
    target = export_image(compose(grey_picture(320, 180), text), tmp_path / "out.png",
                          Provenance(caption=text, models=("test",),
                                     parameters={"caption": text}))
    props = assert_clean_xmp(read_xmp(target), text)
    assert props["dc:title"] == text
    assert json.loads(props["remix:Parameters"]) == {"caption": text}


def test_the_kept_words_of_hostile_text_survive():
    """Cleaning removes what hides, not what is said."""
    assert clean_caption(HOSTILE["control"]) == "the bus[31m leaves early"
    assert clean_caption(HOSTILE["zero_width"]) == "me when the wifi drops"
    assert clean_caption(HOSTILE["nul"]) == "me when the bus leaves"
    assert clean_caption("the\tbus leaves\tearly") == "the bus leaves early"
    assert clean_caption(HOSTILE["spaces"]) == "me when"  # the rest is past the limit
    assert clean_caption(HOSTILE["newlines"], "POV:") == "POV: me when"
    assert clean_caption(HOSTILE["surrogate"]) == "me when the bus leaves"
    assert clean_caption(HOSTILE["emoji"]).startswith("me when 🎬🔥😂 the 👩👩👧 family")
    zalgo = clean_caption(HOSTILE["combining"])
    assert unicodedata.normalize("NFD", zalgo).startswith("me when Z")
    assert zalgo.endswith("algo appears")
    assert longest_mark_run(zalgo) == MAX_MARKS


def test_clean_up_of_long_whitespace_is_linear():
    """20,000 spaces took 13 s (a backtracking pattern); now any text is cut and squashed
    before a pattern sees it."""
    for raw in (" " * 200_000 + "x", "a" + "\t" * 200_000 + "b c", "\u200b" * 200_000,
                "a\u0301" * 100_000, "word " * 100_000):
        start = time.monotonic()
        clean_caption(raw, "POV:")
        clean_user_caption(raw)
        assert time.monotonic() - start < 0.5, raw[:20]


def test_any_model_text_cleans_to_one_safe_line():
    def check(case):
        raw, opener = case
        text = clean_caption(raw, opener)
        if text is not None:
            assert not hidden(text) and "\n" not in text and text == text.strip()
            assert len(text) <= MAX_CHARS and len(text.split()) <= MAX_WORDS
            assert longest_mark_run(text) <= MAX_MARKS
            assert clean_user_caption(text) == text, "a model caption passes the user caps"

    assert run_fuzz("captions-model", "clean_caption on hostile model text", st.tuples(
        st.lists(st.sampled_from(HOSTILE_CHARS), max_size=120).map("".join),
        st.sampled_from(["", "POV:", "Me when", "Nobody: / Me:"])), 300, check) >= 270


# -- the creator's own captions ------------------------------------------------------------

def test_any_typed_caption_is_capped_like_the_models():
    def check(raw):
        text = clean_user_caption(raw)
        assert not hidden(text) and len(text) <= MAX_USER_CHARS
        assert longest_mark_run(text) <= MAX_MARKS
        assert "\n\n" not in text and all(line == line.strip() for line in text.split("\n"))
        assert clean_user_caption(text) == text  # idempotent
        request = RemixRequest(video_id=1, fingerprint="f", frame_s=0.0, caption=text or "x")
        assert request.caption == (text or "x")
        for layout in LAYOUTS:  # the plan keeps every line inside its box
            for block in layout_boxes(text, layout, "square", None).blocks:
                assert not any(hidden(line) for line in block.lines)
                assert 0 <= block.box[0] <= block.ink[0] and block.ink[2] <= block.box[2]
                assert 0 <= block.box[1] <= block.ink[1] and block.ink[3] <= block.box[3]

    assert run_fuzz("captions-typed", "clean_user_caption + RemixRequest + layout on "
                    "hostile typed text", st.lists(st.sampled_from(HOSTILE_CHARS),
                                                   max_size=200).map("".join), 300,
                    check) >= 270


def test_a_typed_caption_keeps_its_lines_and_is_capped():
    assert clean_user_caption("  Top\u202e line \r\n\r\n  bottom\x00 line\u2028") == \
        "Top line\nbottom line"
    long = clean_user_caption("word " * 1000)
    assert len(long) == MAX_USER_CHARS and long.endswith("\u2026")


def test_every_remix_request_cleans_its_caption_whoever_wrote_it():
    """The CLI's --caption and the window's edited captions both become a RemixRequest."""
    request = RemixRequest(video_id=1, fingerprint="f", frame_s=0.0,
                           caption=HOSTILE["bidi"] + "\n" + "x" * 2000)
    assert not hidden(request.caption) and len(request.caption) == MAX_USER_CHARS
    assert request.caption.startswith("me when gnp.exe the file opens\nxxx")
    same = RemixRequest(video_id=1, fingerprint="f", frame_s=0.0, caption=request.caption)
    assert same.key() == request.key()  # cleaning is idempotent: the cache still hits
    with pytest.raises(UsageError, match="needs a caption"):
        RemixRequest(video_id=1, fingerprint="f", frame_s=0.0,
                     caption=HOSTILE["only_invisible"])
    prompt = RemixRequest(video_id=1, fingerprint="f", frame_s=0.0, caption="ok then",
                          style="diffusion", image_model="m", prompt="a\u202e cat\x00")
    assert prompt.prompt == "a cat"


@pytest.fixture
def allowed_video(library, seed_clips, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(seed_clips["h264.mp4"])
    [video] = run_import(library, [clip]).imported
    Consent(library).set_permission([video.id], "allow")
    return video


@pytest.mark.parametrize("name", ["bidi", "combining", "xml", "newlines", "long_words",
                                  "emoji", "surrogate"])
def test_a_hostile_typed_caption_renders_and_exports_clean(library, allowed_video, tmp_path,
                                                          name):
    remixer = Remixer(library)
    preview = remixer.render(RemixRequest(
        video_id=allowed_video.id, fingerprint=allowed_video.fingerprint, frame_s=0.2,
        caption=HOSTILE[name], layout="classic" if name != "long_words" else "modern"))
    assert preview.caption == clean_user_caption(HOSTILE[name])
    assert not hidden(preview.caption) and len(preview.caption) <= MAX_USER_CHARS
    for suffix in (".png", ".jpg"):
        target = remixer.export(preview.id, tmp_path / f"export{suffix}")
        props = assert_clean_xmp(read_xmp(target), preview.caption)
        assert props["dc:title"] == preview.caption[:CAPTION_LIMIT]
        assert json.loads(props["remix:Parameters"])["caption"] == preview.caption


def test_a_pasted_essay_as_a_caption_exports_through_the_cli(tmp_path, seed_clips):
    """A 20,000-character caption made the parameters' JSON too big for the XMP: the export
    failed with an 'unexpected error'. It is capped at the request now."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(seed_clips["h264.mp4"])
    home = tmp_path / "home"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(home),
                               *args], capture_output=True, text=True, timeout=120)

    assert cli("import", str(clip)).returncode == 0
    assert cli("permission", "allow", "1").returncode == 0
    essay = ("Me when \u202eI paste\x07 " + "a very long thought " * 1000)  # argv: no NUL
    made = cli("remix", "1", "--at", "0.2", "--caption", essay, "--out", str(tmp_path / "out"),
               "--json")
    assert made.returncode == 0, made.stderr
    [preview] = json.loads(made.stdout)["previews"]
    assert len(preview["caption"]) == MAX_USER_CHARS and not hidden(preview["caption"])
    target = tmp_path / "essay.jpg"
    done = cli("export", str(preview["id"]), "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert_clean_xmp(read_xmp(target), preview["caption"])


def test_a_huge_parameter_text_is_cut_to_fit_the_xmp():
    xmp = build_xmp(Provenance(caption="ok", models=("m",),
                               parameters={"prompt": "🎬" * 20_000, "seed": 1}))
    params = json.loads(parse_xmp(xmp)["remix:Parameters"])
    assert params["seed"] == 1 and params["prompt"].endswith("\u2026")
    assert len(params["prompt"]) == 1000

