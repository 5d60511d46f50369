"""Faces on a real photograph (matplotlib ships a portrait of Grace Hopper as sample data):
the detector finds it, frame suggestions prefer it, and a remix of it is flagged."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from remix_desktop.core import frames
from remix_desktop.core.consent import Consent
from remix_desktop.core.importer import run_import
from remix_desktop.core.remix import Remixer, RemixRequest
from tests.clips import ffmpeg

cbook = pytest.importorskip("matplotlib.cbook")
PORTRAIT = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory):
    """Three seconds of a textured test pattern, then three seconds of the portrait."""
    folder = tmp_path_factory.mktemp("faces")
    pattern = folder / "pattern.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=512x600:rate=25", "-t", "3", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(pattern))
    portrait = folder / "portrait.mp4"
    ffmpeg("-loop", "1", "-i", str(PORTRAIT), "-t", "3", "-r", "25", "-vf", "scale=512:600",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(portrait))
    joined = folder / "interview.mp4"
    ffmpeg("-i", str(pattern), "-i", str(portrait), "-filter_complex",
           "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(joined))
    return joined


def test_the_detector_is_installed_and_finds_a_real_face():
    available, detail = frames.face_detector()
    assert available, detail
    pixels = np.asarray(Image.open(PORTRAIT).convert("RGB"))
    faces = frames.detect_faces(pixels)
    assert len(faces) == 1
    x, y, w, h = faces[0]
    assert 0.25 < w / pixels.shape[1] < 0.75  # the face, not a patch of background
    assert frames.describe_frame(pixels).phrases()[0] == "a face"


def test_suggestions_prefer_the_frames_with_a_face(face_clip):
    picks = frames.suggest_frames(face_clip, k=2)
    assert picks and picks[0].has_face or picks[-1].has_face
    best = max(picks, key=lambda p: p.score)
    assert best.has_face and best.time_s >= 3.0


def test_a_remix_of_a_face_is_flagged(library, face_clip):
    video = run_import(library, [face_clip]).imported[0]
    Consent(library).set_permission([video.id], "allow")
    remixer = Remixer(library)
    with_face = remixer.render(RemixRequest(video.id, video.fingerprint, 4.5, "POV: me"))
    without = remixer.render(RemixRequest(video.id, video.fingerprint, 1.0, "POV: me"))
    assert with_face.face and not without.face
