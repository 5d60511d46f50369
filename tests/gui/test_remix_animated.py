"""An animated remix from the remix panel: the Animated choice, its length, the preview
playing in the window, and its export as WebP and GIF; a real clip, offscreen."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PIL import Image  # noqa: E402

from remix_desktop.core.export import parse_xmp, read_xmp  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from tests.clips import make_clip  # noqa: E402
from tests.gui.test_remix_panel import finish  # noqa: E402


@pytest.fixture
def moving(context, tmp_path):
    clip = make_clip(tmp_path / "take three.mp4", size="640x360", seconds=4,
                     source="testsrc2")
    video = run_import(context.library, [clip]).imported[0]
    context.consent.set_permission([video.id], "allow")
    return video


def test_an_animated_remix_is_made_plays_and_exports(qtbot, context, panel, moving, tmp_path):
    panel.set_video(moving.id)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("animated"))
    assert panel.span_spin.isVisible() and panel.span_spin.value() == 2.0
    size_source = panel.size_combo.model().item(panel.size_combo.findData("source"))
    assert not size_source.isEnabled()  # an animated remix is square or portrait
    panel.span_spin.setValue(1.5)
    panel.caption_list.add_own("Me on the third take", edit=False)
    finish(qtbot, context, panel.generate())
    assert panel.preview_list.count() == 1
    preview = panel.gallery.selected()
    assert preview is not None and preview.kind == "animated"
    assert preview.params["span_s"] == 1.5
    qtbot.waitUntil(panel.gallery.playing, timeout=5000)
    qtbot.waitUntil(lambda: panel.gallery.detail.image() is not None, timeout=5000)
    text = panel.gallery.detail_label.text()
    assert "Animated: 1.5\u00a0s at 12\u00a0frames a second" in text
    assert "540\u00a0×\u00a0540" in text
    for name, kind in (("remix.gif", "GIF"), ("remix.webp", "WEBP")):
        job = panel.gallery.export_preview(preview.id, tmp_path / name)
        finish(qtbot, context, job)
        with Image.open(tmp_path / name) as image:
            assert image.format == kind and image.n_frames == 18
        assert "plus:DataMining" in parse_xmp(read_xmp(tmp_path / name))
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("still"))
    assert size_source.isEnabled() and not panel.span_spin.isVisible()


def test_the_diffusion_style_is_not_offered_for_an_animated_remix(qtbot, context, panel,
                                                                   moving):
    panel.set_video(moving.id)
    index = panel.style_combo.findData("diffusion")
    panel.style_combo.setCurrentIndex(index)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("animated"))
    assert panel.style_combo.currentData() != "diffusion"
    assert not panel.style_combo.model().item(index).isEnabled()
