"""Animated remixes on a real clip: the span's frames, the caption drawn once over each, the
animated WebP preview cached by its request, and WebP and GIF exports with their XMP."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from remix_desktop.core import animate
from remix_desktop.core.compose import text_boxes
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import Cancelled, RemixNotAllowed, UsageError
from remix_desktop.core.export import parse_xmp, read_xmp
from remix_desktop.core.importer import run_import
from remix_desktop.core.remix import Remixer, RemixRequest
from tests.clips import make_clip


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("anim") / "moving.mp4", size="640x360",
                     seconds=4, source="testsrc2")


@pytest.fixture
def video(library, moving_clip):
    video = run_import(library, [moving_clip]).imported[0]
    Consent(library).set_permission([video.id], "allow")
    return video


def animated(video, **kw) -> RemixRequest:
    return RemixRequest(video.id, video.fingerprint, kw.pop("at", 2.0),
                        kw.pop("caption", "Me on the third take"), output="animated", **kw)


def test_span_times_stay_inside_the_clip():
    assert animate.span_times(2.0, 2.0, 4.0)[:2] == pytest.approx([1.0, 1.0 + 1 / 12])
    assert len(animate.span_times(2.0, 2.0, 4.0)) == 24
    start = animate.span_times(0.2, 2.0, 4.0)
    assert start[0] == 0.0 and len(start) == 24  # moved, not cut, at the start
    end = animate.span_times(3.9, 2.0, 4.0)
    assert end[0] == pytest.approx(2.0) and end[-1] <= 4.0
    assert len(animate.span_times(0.5, 3.0, 1.0)) == 13  # a short clip gives what it has


def test_an_animated_preview_is_a_looping_webp_of_the_span_with_its_xmp(library, video):
    remixer = Remixer(library)
    preview = remixer.render(animated(video))
    assert preview.kind == "animated" and preview.path.suffix == ".webp"
    with Image.open(preview.path) as image:
        assert image.format == "WEBP" and image.n_frames == 24
        assert image.size == (540, 540)
        assert image.info.get("loop") == 0
    durations = animate.webp_durations(preview.path.read_bytes())
    assert len(durations) == 24 and sum(durations) == pytest.approx(2000, abs=30)
    fields = parse_xmp(read_xmp(preview.path))
    assert fields["Iptc4xmpExt:DigitalSourceType"].endswith(
        "compositeWithTrainedAlgorithmicMedia")
    assert preview.params["span_s"] == 2.0 and preview.params["fps"] == 12
    again = remixer.render(animated(video))
    assert again.id == preview.id  # cached by its request
    still = remixer.render(RemixRequest(video.id, video.fingerprint, 2.0,
                                        "Me on the third take"))
    assert still.id != preview.id and still.kind == "still"


def test_the_caption_is_drawn_once_in_the_same_place_over_moving_frames(library, video):
    preview = Remixer(library).render(animated(video, size="portrait"))
    frames, fps = animate.read_frames(preview.path)
    assert fps == 12 and frames[0].size == (540, 960)
    x0, y0, x1, y1 = text_boxes("Me on the third take", "classic", "portrait")[0]
    scale = 540 / 1080
    box = tuple(round(v * scale) for v in (x0, y0, x1, y1))
    first = np.asarray(frames[0].crop(box)).astype(int)
    last = np.asarray(frames[-1].crop(box)).astype(int)
    text = (first.min(axis=2) > 235)  # the caption's white fill
    assert text.sum() > 500
    assert np.abs(first[text] - last[text]).max() < 40  # the same letters, lossy apart
    picture_a, picture_b = (np.asarray(f).astype(int)[400:600] for f in (frames[0],
                                                                          frames[-1]))
    moved = np.abs(picture_a - picture_b)
    assert moved.max() > 100 and (moved.max(axis=2) > 60).sum() > 200  # the video moves


def test_exports_as_webp_and_gif_with_the_label(library, video, tmp_path):
    remixer = Remixer(library)
    preview = remixer.render(animated(video))
    webp = remixer.export(preview.id, tmp_path / "remix.webp")
    gif = remixer.export(preview.id, tmp_path / "remix.gif")
    for path, kind in ((webp, "WEBP"), (gif, "GIF")):
        with Image.open(path) as image:
            assert image.format == kind and image.n_frames == 24
            assert image.size == (540, 540)
        fields = parse_xmp(read_xmp(path))
        assert "plus:DataMining" in fields, path
    # the WebP keeps the preview's frames byte for byte (nothing re-encoded)
    assert webp.read_bytes().count(b"ANMF") == 24
    with Image.open(gif) as image:
        assert image.info.get("loop") == 0
        assert image.getpalette() is not None
    assert 0 < gif.stat().st_size < 6_000_000
    with pytest.raises(UsageError, match="already exists"):
        remixer.export(preview.id, tmp_path / "remix.gif")
    with pytest.raises(UsageError, match=r"\.webp or \.gif"):
        remixer.export(preview.id, tmp_path / "remix.png")


def test_bad_requests_and_a_denied_video(library, video):
    with pytest.raises(UsageError, match="1 to 3 seconds"):
        animated(video, span_s=5)
    with pytest.raises(UsageError, match="fast style"):
        animated(video, style="diffusion", image_model="sd-turbo")
    with pytest.raises(UsageError, match="square or portrait"):
        animated(video, size="source")
    with pytest.raises(UsageError, match="Only an animated remix"):
        RemixRequest(video.id, video.fingerprint, 1.0, "x", span_s=2.0)
    Consent(library).set_permission([video.id], "deny")
    with pytest.raises(RemixNotAllowed):
        Remixer(library).render(animated(video))


def test_a_cancel_stops_it_and_keeps_nothing(library, video):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        Remixer(library).render(animated(video, caption="stopped"), cancelled=cancelled)
    assert Remixer(library).previews(video.id) == []
