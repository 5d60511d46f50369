"""The contact sheet on real clips: a remix tile for each allowed video, a grey tile with the
reason for a denied one (whose file is never opened), one PNG or a PDF of pages."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from remix_desktop.core import contact_sheet, frames
from remix_desktop.core.captions_store import CaptionStore
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import UsageError
from remix_desktop.core.importer import run_import


@pytest.fixture
def three(library, good_clips):
    videos = run_import(library, [good_clips / "h264.mp4", good_clips / "vp9.webm",
                                  good_clips / "mpeg4.avi"]).imported
    consent = Consent(library)
    consent.set_permission([videos[0].id, videos[1].id], "allow")
    return videos  # the third follows the default: deny


def test_tiles_remix_the_allowed_and_grey_the_denied_without_reading_them(
        library, three, monkeypatch):
    read = []
    original = frames.grab_frame
    monkeypatch.setattr(frames, "grab_frame", lambda path, *a, **k: (
        read.append(str(path)), original(path, *a, **k))[1])
    CaptionStore(library).add_own(three[0].id, "POV: the first sip")
    job = contact_sheet.make_tiles(library)
    steps = []
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            tiles = stop.value
            break
    assert [s.done for s in steps] == [1, 2, 3] and steps[0].total == 3
    by_id = {t.video_id: t for t in tiles}
    first, second, denied = (by_id[v.id] for v in three)
    assert first.allowed and first.caption == "POV: the first sip"
    assert first.badge == "Allowed — your choice"
    assert second.allowed and second.caption  # a meme format filled from its own words
    assert not denied.allowed and denied.badge == "Denied — library default"
    assert str(three[2].path) not in read  # a denied video is never read
    grey = np.asarray(denied.image)
    assert (np.abs(grey.astype(int) - contact_sheet.GREY).max(axis=2) == 0).mean() > 0.8
    picture = np.asarray(first.image)
    assert picture.std() > 20 and first.image.size == (contact_sheet.TILE,) * 2


def test_saved_as_one_png_or_a_pdf_of_pages(library, three, tmp_path):
    job = contact_sheet.make_tiles(library, [v.id for v in three])
    while True:
        try:
            next(job)
        except StopIteration as stop:
            tiles = stop.value
            break
    png = contact_sheet.save(tiles, tmp_path / "sheet.png", title="My library")
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.width == contact_sheet.GAP + 3 * (contact_sheet.TILE + contact_sheet.GAP)
    pdf = contact_sheet.save(tiles * 9, tmp_path / "sheet.pdf")  # 27 tiles: two pages
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 2  # 20 tiles a page
    with pytest.raises(UsageError, match="already exists"):
        contact_sheet.save(tiles, tmp_path / "sheet.png")
    with pytest.raises(UsageError, match=r"\.png or \.pdf"):
        contact_sheet.save(tiles, tmp_path / "sheet.jpg")


def test_a_cancel_stops_at_the_next_video_and_a_bad_style_is_refused(library, three):
    asked = []
    job = contact_sheet.make_tiles(library, cancelled=lambda: len(asked) >= 1)
    first = next(job)
    asked.append(first)
    with pytest.raises(StopIteration) as stop:
        next(job)
    assert len(stop.value.value) == 1
    with pytest.raises(UsageError, match="fast style"):
        next(contact_sheet.make_tiles(library, style="diffusion"))
