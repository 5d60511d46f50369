"""Frames from real encoded clips: exact grabs, rotation, seeking cost, truncated files,
frame suggestions and what OpenCV sees in a frame."""

from __future__ import annotations

import math
import subprocess

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remix_desktop.core import frames, media
from tests import clips as make

RATE = 25
INDEX_SECONDS = 12  # 300 frames: the index needs 9 of the 10 bits
INDEX_CODECS = {
    # name: ffmpeg options; one keyframe per 250 frames (10 s), so most times fall between
    "h264.mp4": ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "250", "-keyint_min", "250",
                 "-sc_threshold", "0"),
    "vp9.webm": ("-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-g", "250", "-deadline",
                 "realtime", "-cpu-used", "8", "-b:v", "2M"),
    "mpeg4.avi": ("-c:v", "mpeg4", "-pix_fmt", "yuv420p", "-g", "250", "-q:v", "4"),
}


def make_index_clip(path, options, *, seconds=INDEX_SECONDS):
    """Each frame shows its own index in binary: ten 32-pixel blocks, white for a 1 bit
    (the `n` of ffmpeg's geq is the frame number), with noise so frames are not trivial."""
    bits = "255*mod(floor(N/pow(2,floor(X/32))),2)"
    make.ffmpeg("-f", "lavfi", "-i",
                f"color=c=black:size=320x64:rate={RATE},geq=lum='{bits}':cb=128:cr=128,"
                "noise=alls=30:allf=t", "-t", str(seconds), *options, str(path))
    return path


def frame_index(pixels: np.ndarray) -> int:
    blocks = [pixels[16:48, 32 * i + 8:32 * i + 24].mean() > 128 for i in range(10)]
    return sum(int(bit) << i for i, bit in enumerate(blocks))


def expected_index(t: float, last: int) -> int:
    return min(max(math.floor(t * RATE + 1e-6), 0), last)


@pytest.fixture(scope="session")
def index_clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("index")
    return {name: make_index_clip(root / name, options) for name, options in INDEX_CODECS.items()}


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory):
    """10 minutes at 160x90, a keyframe every 2 s (about 2 s to encode with ultrafast)."""
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    return make.make_clip(path, size="160x90", seconds=600, rate=RATE,
                          extra=("-preset", "ultrafast", "-g", "50", "-sc_threshold", "0"))


# --- exact grabs ----------------------------------------------------------------------------

def _times(last: int) -> list[float]:
    frames_ = [0, 1, 2, 3, 24, 25, 26, 99, 100, 101, 124, 125, 247, 248, 249, 250, 251, 252,
               253, 290, 297, 298, last]
    times = [n / RATE for n in frames_]  # exactly on a frame's time: that frame
    times += [(n + 0.5) / RATE for n in frames_]  # between two frames: the earlier one
    times += [(n + 0.99) / RATE for n in frames_]  # just before the next frame
    rng = np.random.default_rng(7)
    return times + list(rng.uniform(0, INDEX_SECONDS, 12)) + [-3.0, INDEX_SECONDS, 1e6]


@pytest.mark.parametrize("name", sorted(INDEX_CODECS))
def test_grab_frame_is_exact_to_the_frame(index_clips, name):
    last = INDEX_SECONDS * RATE - 1
    for t in _times(last):
        got = frame_index(frames.grab_frame(index_clips[name], t))
        assert got == expected_index(t, last), f"{name} at {t:.4f}s"


@pytest.mark.parametrize("name", sorted(INDEX_CODECS))
def test_grab_frames_matches_grab_frame_in_the_order_given(index_clips, name):
    last = INDEX_SECONDS * RATE - 1
    times = _times(last)[::-1] + [3.3, 3.3]  # unsorted, with repeats
    pictures = frames.grab_frames(index_clips[name], times)
    assert [frame_index(p) for p in pictures] == [expected_index(t, last) for t in times]
    every = [(n + 0.5) / RATE for n in range(last + 1)][::-1]
    stats: dict = {}
    pictures = frames.grab_frames(index_clips[name], every, stats=stats)
    assert [frame_index(p) for p in pictures] == list(range(last, -1, -1))
    # close times are reached by decoding on, not by seeking; reaching the end of the data
    # re-reads the last GOP once with slice threads (frame threads may drop a damaged tail)
    assert stats["seeks"] <= 2
    assert stats["decoded"] <= (last + 1) + (last + 1 - 250) + 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=st.floats(min_value=0, max_value=INDEX_SECONDS, allow_nan=False))
def test_any_time_gives_the_frame_shown_then(index_clips, t):
    got = frame_index(frames.grab_frame(index_clips["h264.mp4"], t))
    assert got == expected_index(t, INDEX_SECONDS * RATE - 1)


def test_max_side_scales_the_picture(index_clips):
    pixels = frames.grab_frame(index_clips["h264.mp4"], 1.0, max_side=160)
    assert pixels.shape == (32, 160, 3) and pixels.dtype == np.uint8


# --- rotation -------------------------------------------------------------------------------

@pytest.mark.parametrize("degrees", [-90, 90, 180])
def test_phone_clip_comes_out_as_players_show_it(tmp_path, degrees):
    source = make.make_halves_clip(tmp_path / "halves.mp4")
    rotated = make.rotate_tag(source, tmp_path / f"rot{degrees}.mp4", degrees)
    ours = frames.grab_frame(rotated, 0.5)
    expected = make.frame_via_ffmpeg(rotated)  # ffmpeg turns it itself
    assert ours.shape == expected.shape
    if degrees != 180:
        assert ours.shape[0] > ours.shape[1], "portrait"
    assert ((ours[..., 0] > 128) == (expected[..., 0] > 128)).mean() > 0.97
    stored = frames.grab_frame(rotated, 0.5, rotation=0)  # the caller can override it
    assert stored.shape == (180, 320, 3)


# --- seeking cost ---------------------------------------------------------------------------

def test_a_grab_near_the_end_decodes_one_gop_not_the_whole_clip(long_clip):
    n = 14_757  # at 590.28 s, 7 frames after the keyframe at 590 s
    stats: dict = {}
    ours = frames.grab_frame(long_clip, (n + 0.5) / RATE, stats=stats)
    assert stats["decoded"] <= 50 + 2, stats  # at most a GOP (50 frames), not 14,757
    assert stats["seeks"] == 1
    # the same frame as ffmpeg's own decode, picked by its frame number
    def ffmpeg_frame(k):
        out = subprocess.run([make.FFMPEG, "-v", "error", "-ss", "580", "-i", str(long_clip),
                              "-vf", f"select=eq(n\\,{k - 580 * RATE})", "-frames:v", "1",
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             check=True, capture_output=True).stdout
        return np.frombuffer(out, np.uint8).reshape(90, 160, 3)
    diff = np.abs(ours.astype(int) - ffmpeg_frame(n)).mean()
    assert diff < np.abs(ours.astype(int) - ffmpeg_frame(n + 1)).mean()
    assert diff < 3


def test_suggestions_on_a_long_clip_seek_rather_than_decode_it_all(long_clip):
    stats: dict = {}
    picks = frames.suggest_frames(long_clip, 4, stats=stats)
    assert len(picks) == 4
    # samples are 23.5 s apart, so any frame within 11.75 s before one will do: the
    # keyframe the seek lands on, not the 50 frames of a GOP (or the 15,000 of the clip)
    assert stats["decoded"] <= 24 * 3, stats
    for pick in picks:  # a pick's time grabs the very frame that was scored
        grey = cv2.cvtColor(frames.grab_frame(long_clip, pick.time_s), cv2.COLOR_RGB2GRAY)
        assert grey.mean() / 255 == pytest.approx(pick.brightness, abs=0.002)


# --- truncated files ------------------------------------------------------------------------

def _decodable_indexes(path) -> list[int]:
    """Every frame decoding from the start can get, the naive way (no seeking)."""
    import av
    found = []
    with av.open(str(path)) as container:
        try:
            for packet in container.demux(container.streams.video[0]):
                try:
                    found += [frame_index(f.to_ndarray(format="rgb24")) for f in packet.decode()]
                except av.FFmpegError:
                    pass
        except av.FFmpegError:
            pass
    return found


@pytest.fixture(scope="session", params=["mp4", "mkv"])
def truncated_clip(tmp_path_factory, request):
    """A 12 s clip cut to its first third; its header still claims 12 s."""
    root = tmp_path_factory.mktemp("cut")
    whole = make_index_clip(root / "whole.mp4", INDEX_CODECS["h264.mp4"][:4] + (
        "-g", "25", "-movflags", "+faststart"))
    if request.param == "mkv":
        whole = root / "whole.mkv"
        make.ffmpeg("-i", str(root / "whole.mp4"), "-c", "copy", str(whole))
    data = whole.read_bytes()
    cut = root / f"cut.{request.param}"
    cut.write_bytes(data[: len(data) // 3])
    return cut


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_grab_past_the_real_end_gives_the_last_decodable_frame(truncated_clip, threads,
                                                               monkeypatch):
    # with 4 frame threads, FFmpeg drops the last frames without an error: still found
    monkeypatch.setattr(frames, "FRAME_THREADS", threads)
    info = media.probe(truncated_clip)
    assert info.claimed_duration_s == pytest.approx(INDEX_SECONDS, abs=0.1)
    assert info.duration_s < 6
    decodable = _decodable_indexes(truncated_clip)
    last = decodable[-1]
    assert decodable == list(range(last + 1))
    for t in (info.duration_s + 0.5, 8.0, INDEX_SECONDS - 0.01, 1e9):
        assert frame_index(frames.grab_frame(truncated_clip, t)) == last
    assert frame_index(frames.grab_frame(truncated_clip, 1.5)) == expected_index(1.5, last)
    got = frames.grab_frames(truncated_clip, [10.0, 0.5, 7.0, 2.02])
    assert [frame_index(p) for p in got] == [last, 12, last, 50]


def test_suggestions_come_from_the_part_that_is_really_there(truncated_clip):
    info = media.probe(truncated_clip)
    picks = frames.suggest_frames(truncated_clip, 4)
    assert len(picks) == 4
    assert all(0 < p.time_s <= info.duration_s for p in picks)
    # even told the header's duration, it still finds frames
    assert frames.suggest_frames(truncated_clip, 4, duration_s=INDEX_SECONDS)


def test_unusable_files_raise_media_error(bad_dir, tmp_path):
    for name in ("notes.mp4", "random.mkv", "truncated.mp4", "audio-only.mp4"):
        with pytest.raises(media.MediaError):
            frames.grab_frame(bad_dir / name, 0.5)
    with pytest.raises(media.MediaError, match="does not exist"):
        frames.grab_frame(tmp_path / "missing.mp4", 0.0)


# --- suggestions ----------------------------------------------------------------------------

def test_suggestions_skip_black_frames_and_the_fade(tmp_path):
    clip = make.make_clip(tmp_path / "fade.mp4", seconds=10,
                          extra=("-vf", "fade=in:st=4:d=0.5"))  # black for 4 s, then a fade
    picks = frames.suggest_frames(clip, 4)
    assert len(picks) == 4
    assert all(p.time_s >= 4.0 for p in picks), picks
    assert [p.time_s for p in picks] == sorted(p.time_s for p in picks)
    gaps = np.diff([p.time_s for p in picks])
    assert (gaps >= 10 / (2 * 4) - 1e-9).all(), "spread over the timeline"
    assert all(0 < p.brightness < 1 and 0 < p.sharpness <= 1 for p in picks)
    assert frames.suggest_frames(clip, 4) == picks, "deterministic"


def test_a_black_clip_has_nothing_to_suggest(tmp_path):
    clip = make.make_clip(tmp_path / "black.mp4", source="color", seconds=2)
    assert frames.suggest_frames(clip, 4) == []


def test_suggestions_prefer_a_face(tmp_path, monkeypatch):
    # OpenCV 5.0 here has no Haar cascades and this machine has no photo of a face, so the
    # detector is stood in for: it "sees a face" where a green square is drawn (6 s to 7 s)
    # on an otherwise colourless picture. This tests the preference, not the detector.
    clip = make.make_clip(tmp_path / "face.mp4", seconds=8, extra=(
        "-vf", "hue=s=0,drawbox=x=120:y=60:w=60:h=60:color=green:t=fill:enable='between(t,6,7)'"))

    def fake_faces(pixels):
        green = (pixels[..., 1].astype(int) - pixels[..., 0]) > 60
        return [(120, 60, 60, 60)] if green.mean() > 0.02 else []

    monkeypatch.setattr(frames, "detect_faces", fake_faces)
    picks = frames.suggest_frames(clip, 1)
    assert len(picks) == 1 and picks[0].has_face and 6.0 <= picks[0].time_s <= 7.0
    assert sum(p.has_face for p in frames.suggest_frames(clip, 4)) == 1


def test_cancel_stops_sampling(clip_dir):
    calls = []
    picks = frames.suggest_frames(clip_dir / "h264.mp4", 4,
                                  cancelled=lambda: calls.append(1) or len(calls) > 3)
    assert len(calls) == 4 and len(picks) <= 3


# --- faces ----------------------------------------------------------------------------------

def test_face_detector_reports_what_it_has():
    available, detail = frames.face_detector()
    if not available:  # OpenCV 5.0 wheels ship neither CascadeClassifier nor the XML files
        assert "CascadeClassifier" in detail or frames.CASCADE_NAME in detail
    else:
        assert detail.endswith(frames.CASCADE_NAME)


def test_no_faces_on_pictures_without_faces(index_clips, clip_dir):
    pictures = [frames.grab_frame(clip_dir / "h264.mp4", 1.0),
                frames.grab_frame(index_clips["h264.mp4"], 3.0),
                np.full((240, 320, 3), 128, np.uint8)]
    for pixels in pictures:
        assert frames.detect_faces(pixels) == []
        assert frames.has_face(pixels) is False


# --- describing a frame ---------------------------------------------------------------------

@pytest.mark.parametrize("rgb, name", [
    ((220, 20, 20), "red"), ((255, 140, 0), "orange"), ((250, 220, 0), "yellow"),
    ((30, 180, 40), "green"), ((0, 160, 160), "teal"), ((20, 40, 220), "blue"),
    ((128, 0, 160), "purple"), ((255, 160, 190), "pink"), ((120, 70, 20), "brown"),
    ((255, 255, 255), "white"), ((0, 0, 0), "black"), ((128, 128, 128), "grey"),
])
def test_flat_colours_are_named(rgb, name):
    pixels = np.zeros((90, 160, 3), np.uint8) + np.array(rgb, np.uint8)
    assert frames.describe_frame(pixels).colours == (name,)


def test_two_colours_make_a_phrase():
    pixels = np.full((100, 200, 3), 255, np.uint8)
    pixels[:, :120] = (255, 140, 0)  # 60% orange, 40% white
    facts = frames.describe_frame(pixels)
    assert facts.colours == ("orange", "white")
    assert "mostly orange and white" in facts.phrases()


@pytest.mark.parametrize("level, word", [
    (20, "dark"), (70, "dim"), (128, "well lit"), (200, "bright"), (250, "washed out")])
def test_brightness_words(level, word):
    facts = frames.describe_frame(np.full((90, 160, 3), level, np.uint8))
    assert facts.brightness == word
    assert facts.sharpness == "plain"


def test_motion_and_sharpness_words():
    rng = np.random.default_rng(1)
    scene = rng.integers(0, 256, (180, 320, 3), dtype=np.uint8)
    assert frames.describe_frame(scene).motion is None
    assert frames.describe_frame(scene, scene).motion == "still"
    moved = scene.copy()
    moved[40:80, 40:80] = 255 - moved[40:80, 40:80]  # something moved in a corner
    assert frames.describe_frame(moved, scene).motion == "some motion"
    other = rng.integers(0, 256, (180, 320, 3), dtype=np.uint8)
    assert frames.describe_frame(other, scene).motion == "lots of motion"
    assert frames.describe_frame(other, cv2.resize(scene, (640, 360))).motion == "lots of motion"
    assert frames.describe_frame(scene).sharpness == "sharp"
    shapes = np.full((180, 320, 3), 40, np.uint8)
    cv2.rectangle(shapes, (30, 30), (150, 140), (250, 200, 20), -1)
    cv2.circle(shapes, (230, 90), 60, (20, 120, 250), -1)
    blurred = cv2.GaussianBlur(shapes, (0, 0), 6)
    assert frames.describe_frame(blurred).sharpness == "blurry"


def test_phrases_read_like_a_caption_prompt():
    facts = frames.FrameFacts(faces=1, brightness="bright", colours=("orange", "white"),
                              motion="lots of motion", sharpness="sharp")
    assert facts.phrases() == ["a face", "bright", "mostly orange and white",
                               "lots of motion", "sharp"]
    two = frames.FrameFacts(faces=2, brightness="dim", colours=("red", "green", "blue"),
                            motion=None, sharpness="soft")
    assert two.phrases() == ["two faces", "dim", "mostly red, green and blue", "soft"]
    none = frames.FrameFacts(faces=None, brightness="dark", colours=("black",), motion=None,
                             sharpness="plain")
    assert none.phrases() == ["dark", "mostly black", "plain"]


def test_describe_a_real_frame(clip_dir):
    first = frames.grab_frame(clip_dir / "h264.mp4", 0.2)
    later = frames.grab_frame(clip_dir / "h264.mp4", 1.6)
    facts = frames.describe_frame(later, first)
    assert facts.motion in ("some motion", "lots of motion")
    assert facts.sharpness == "sharp"
    assert 1 <= len(facts.colours) <= 3
    assert facts.faces == (0 if frames.face_detector()[0] else None)
