"""Probing real encoded clips: sizes as displayed, durations checked, thumbnails upright."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from remix_desktop.core import media
from tests import clips as make
from tests.conftest import GOOD_CLIPS


@pytest.mark.parametrize("name", sorted(GOOD_CLIPS))
def test_probe_reads_each_codec(clip_dir, tmp_path, name):
    codec, width, height, duration, fps = GOOD_CLIPS[name]
    thumb = tmp_path / "thumb.jpg"
    info = media.probe(clip_dir / name, thumb)
    assert info.codec == codec
    assert (info.width, info.height) == (width, height)
    assert info.duration_s == pytest.approx(duration, abs=0.08)
    assert info.fps == pytest.approx(fps, rel=0.01)
    with Image.open(thumb) as image:
        assert image.format == "JPEG"
        assert max(image.size) == media.THUMBNAIL_BOX
        # the thumbnail has the displayed aspect ratio, portrait for the phone clip
        assert (image.width > image.height) == (width > height)


def test_container_metadata_is_read(clip_dir):
    info = media.probe(clip_dir / "h264.mp4")
    assert info.title == "First morning coffee"
    assert info.description == "The first sip of the day"
    assert info.tags == ("coffee", "morning")


@pytest.mark.parametrize("degrees", [90, -90, 180])
def test_rotated_clip_is_shown_as_players_show_it(tmp_path, degrees):
    source = make.make_halves_clip(tmp_path / "halves.mp4")
    rotated = make.rotate_tag(source, tmp_path / f"rot{degrees}.mp4", degrees)
    thumb = tmp_path / "thumb.jpg"
    info = media.probe(rotated, thumb)
    expected = make.frame_via_ffmpeg(rotated)  # ffmpeg applies the rotation itself
    assert (info.height, info.width) == expected.shape[:2]
    ours = np.asarray(Image.open(thumb).convert("RGB").resize(expected.shape[1::-1]))
    # where red and blue sit in our thumbnail matches ffmpeg's picture
    red_ours, red_ffmpeg = ours[..., 0] > 128, expected[..., 0] > 128
    assert (red_ours == red_ffmpeg).mean() > 0.95


def test_truncated_file_reports_the_duration_it_really_has(tmp_path):
    clip = make.make_clip(tmp_path / "long.mp4", seconds=8, extra=("-movflags", "+faststart"))
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    info = media.probe(cut)
    assert info.claimed_duration_s == pytest.approx(8.0, abs=0.05)
    assert info.duration_s < 6.0, "the header's length must not be trusted"
    assert info.duration_s > 0.5


def test_fingerprint_follows_content_not_name(clip_dir, tmp_path):
    original = clip_dir / "h264.mp4"
    moved = tmp_path / "renamed.mp4"
    moved.write_bytes(original.read_bytes())
    assert media.fingerprint(original) == media.fingerprint(moved)
    changed = bytearray(moved.read_bytes())
    changed[-10] ^= 0xFF
    moved.write_bytes(bytes(changed))
    assert media.fingerprint(original) != media.fingerprint(moved)


@pytest.mark.parametrize("name, reason", [
    ("zero.mp4", None),  # the importer rejects empty files before probing
    ("notes.mp4", "not a video"),
    ("audio-only.mp4", "audio only"),
    ("truncated.mp4", "truncated MP4"),
    ("truncated.avi", "AVI"),
    ("random.mkv", "not a video"),
])
def test_bad_files_raise_media_error_with_reason(bad_dir, name, reason):
    with pytest.raises(media.MediaError) as caught:
        media.probe(bad_dir / name)
    if reason:
        assert reason in caught.value.reason
