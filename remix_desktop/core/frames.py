"""Frames of a video: exact grabs, what OpenCV sees in them, and the frames worth remixing.

`grab_frame` gives the picture a player shows at a time (the last frame at or before it),
by seeking to the keyframe before it and decoding forward, upright as displayed; past the
end of a truncated file, its last decodable frame. Plain Python and OpenCV; never Qt.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import av
import cv2
import numpy as np

from . import media
from .faces import CASCADE_NAME, detect_faces, face_detector, has_face  # noqa: F401
from .media import MediaError

ANALYSIS_SIDE = 320  # frames are scored and described at this longest side, in pixels
FRAME_THREADS = max(1, min(4, os.cpu_count() or 1))  # more add latency after each seek
RESUME_S = 1.0  # a later time this close ahead is reached by decoding on rather than seeking
EDGE = 0.03  # suggest_frames skips this share of the timeline at each end
UNIFORM_STD = 8.0  # grey-level spread below which a frame is black, blank or mid-fade
QUALITY_FLOOR = 0.5  # a suggestion scores at least this share of the video's best frame
SHARP_REF = 1500.0  # a Laplacian variance scored as fully sharp (at ANALYSIS_SIDE)


# --- grabbing frames ------------------------------------------------------------------------

class _Reader:
    """One open video stream that finds frames by time, seeking only when it must."""

    def __init__(self, path: str | os.PathLike, stats: dict | None = None, careful=False):
        self.path = path = Path(path)
        if not path.is_file():
            raise MediaError("it does not exist or is not a file")
        try:
            self.container = av.open(str(path), metadata_errors="ignore",
                                     container_options=dict(media.OPEN_OPTIONS))
        except PermissionError:
            raise MediaError("it cannot be read (permission denied)") from None
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise MediaError(media._unreadable_reason(path, exc)) from None
        if not self.container.streams.video:
            self.container.close()
            raise MediaError("it has no video stream")
        self.stream = stream = self.container.streams.video[0]
        # frame threads decode a long GOP ~1.4x faster on 2 cores, but may silently drop the
        # frames in flight at a damaged packet (a truncated tail): once the end of the data
        # or a damaged packet is reached, a careful reader (slice threads) takes over
        stream.thread_type = "SLICE" if careful else "FRAME"
        stream.codec_context.thread_count = 0 if careful else FRAME_THREADS
        self.careful, self._careful = careful, None
        self.tb = stream.time_base
        self.start = stream.start_time or 0
        self.duration = media._claimed_duration(self.container, stream)
        self.stats = {} if stats is None else stats
        for key in ("decoded", "seeks", "errors"):
            self.stats.setdefault(key, 0)
        self._frames: Iterator | None = None  # the decoder, positioned after _pending
        self._pending = None  # the first frame decoded past the previous target
        self._last = None  # the frame returned for the previous target
        self._tail = None  # the last decodable frame, once the end of the data was reached
        self._early = 0  # frame_at's earliest acceptable pts
        self._ended = False  # whether frame_at reached the end of the data

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc) -> None:
        self._frames = None
        self.container.close()
        if self._careful is not None:
            self._careful.__exit__()

    def frame_at(self, at_s: float, slack_s: float = 0.0):
        """The last frame whose time is at or before `at_s` (clamped to the clip); with
        `slack_s`, the first frame decoded within that much before `at_s` will do."""
        if self._careful is not None:
            return self._careful.frame_at(at_s, slack_s)
        errors, self._ended, frame = self.stats["errors"], False, None
        try:
            frame = self._frame_at(at_s, slack_s)
        except MediaError:
            if self.careful:
                raise
        if self.careful or (frame is not None and not self._ended
                            and self.stats["errors"] == errors):
            return frame
        self._careful = _Reader(self.path, self.stats, careful=True)
        return self._careful.frame_at(at_s, slack_s)

    def _frame_at(self, at_s: float, slack_s: float):
        if math.isnan(at_s):
            raise ValueError("the time must be a number")
        end = self.duration if self.duration else 1e7
        target = self.start + math.floor(min(max(at_s, 0.0), end) / self.tb + 1e-3)
        self._early = target - math.floor(max(slack_s, 0.0) / self.tb)
        if self._tail is not None and target >= self._tail.pts:
            return self._tail
        last = self._last
        if (self._frames is not None and last is not None and last.pts <= target
                and (target - last.pts) * self.tb <= RESUME_S):
            return self._run(target, last)
        best, anything = self._seek_run(target, target)
        back = max(1, round(1 / self.tb))
        while best is None and anything and target - back > self.start:
            # the index pointed past the target (a keyframe shown after its decode time)
            best, anything = self._seek_run(target - back, target)
            back *= 2
        if best is None and not anything:
            # nothing decodes from there: the data ends before the header says it does
            lo, hi = self.start, target
            while (hi - lo) * self.tb > 0.5:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if self._seek_run(mid, self.start - 1)[1] else (lo, mid)
            best, anything = self._seek_run(lo, target)
        if best is None:  # from the start; a time before the first frame shows the first
            best, anything = self._seek_run(self.start, target)
            if best is None and self._pending is not None:
                best, self._pending, self._frames = self._pending, None, None
        if best is None:
            raise MediaError("no frame of it can be decoded (damaged or truncated)")
        return best

    def _seek_run(self, seek_pts: int, target: int):
        """Seek, then decode forward: (the frame for target or None, whether any decoded)."""
        self._frames, self._pending, self._last = None, None, None
        self.stats["seeks"] += 1
        try:
            self.container.seek(max(seek_pts, self.start), stream=self.stream, backward=True)
        except av.FFmpegError:
            return None, False
        self._frames = self._decode()
        best = self._run(target, None)
        return best, best is not None or self._pending is not None

    def _run(self, target: int, best):
        """Decode on from the current position; the last frame with pts <= target."""
        frame, self._pending = self._pending, None
        while frame is None or frame.pts <= target:
            best = best if frame is None else frame
            if best is not None and best.pts >= self._early:
                frame = None  # close enough: the decoder goes on after best
                break
            frame = next(self._frames, None) if self._frames is not None else None
            if frame is None:  # the end of the data: best is the last frame there is
                self._frames, self._ended = None, True
                self._tail = self._tail if best is None else best
                break
        self._pending, self._last = frame, best
        return best

    def _decode(self) -> Iterator:
        """Frames in display order; a damaged packet is skipped, a broken file ends them."""
        packets, previous = self.container.demux(self.stream), None
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.FFmpegError:  # the demuxer gave up (truncated data): drain the decoder
                self.stats["errors"] += 1
                packet = None
            try:
                frames = (packet.decode() if packet is not None else
                          self.stream.codec_context.decode(None))
            except av.FFmpegError:
                self.stats["errors"] += 1
                frames = []
            for frame in frames:
                if frame.pts is None:  # rare: keep the order the decoder gives
                    frame.pts = self.start if previous is None else previous + 1
                previous = frame.pts
                self.stats["decoded"] += 1
                yield frame
            if packet is None:
                return


def _pixels(frame, rotation: int | None, max_side: int | None) -> np.ndarray:
    turn = media.display_rotation(frame.rotation) if rotation is None else rotation % 360
    if max_side and max(frame.width, frame.height) > max_side:
        scale = max_side / max(frame.width, frame.height)
        w, h = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
        pixels = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    else:
        pixels = frame.to_ndarray(format="rgb24")
    return media.upright(pixels, turn)


def grab_frame(path: str | os.PathLike, at_s: float, *, rotation: int | None = None,
               max_side: int | None = None, stats: dict | None = None) -> np.ndarray:
    """The RGB frame a player shows at `at_s` seconds, upright (H x W x 3, uint8).

    `rotation` overrides the stream's display rotation (degrees counter-clockwise);
    `max_side` scales the picture down; `stats`, if given, counts `decoded` frames and
    `seeks`. Raises MediaError when the file has no decodable frame."""
    with _Reader(path, stats) as reader:
        return _pixels(reader.frame_at(at_s), rotation, max_side)


def grab_frames(path: str | os.PathLike, times: Iterable[float], *,
                rotation: int | None = None, max_side: int | None = None,
                stats: dict | None = None) -> list[np.ndarray]:
    """`grab_frame` for each time (in the order given), with one open file, visited in time
    order; close times are reached by decoding on, far ones by seeking."""
    times = list(times)
    out: list[np.ndarray | None] = [None] * len(times)
    with _Reader(path, stats) as reader:
        for i in sorted(range(len(times)), key=lambda j: times[j]):
            out[i] = _pixels(reader.frame_at(times[i]), rotation, max_side)
    return out  # type: ignore[return-value]




# --- describing a frame ---------------------------------------------------------------------

# hue ranges in degrees; black, white, grey, brown and pale pinks go by saturation and value
_HUES = (("red", 0, 15), ("orange", 15, 45), ("yellow", 45, 70), ("green", 70, 160),
         ("teal", 160, 200), ("blue", 200, 260), ("purple", 260, 320), ("pink", 320, 345),
         ("red", 345, 361))
COLOUR_NAMES = ("black", "white", "grey", "brown", "red", "orange", "yellow", "green", "teal",
                "blue", "purple", "pink")
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True)
class FrameFacts:
    """What OpenCV sees in a frame, in words for a caption prompt."""

    faces: int | None  # None: no face detector is installed
    brightness: str  # dark, dim, well lit, bright, washed out
    colours: tuple[str, ...]  # the one to three dominant colour names, most first
    motion: str | None  # still, some motion, lots of motion; None without a previous frame
    sharpness: str  # sharp, soft, blurry; plain for a frame with no detail at all

    def phrases(self) -> list[str]:
        faces = (["a face"] if self.faces == 1 else
                 [f"{_COUNT_WORDS.get(self.faces, self.faces)} faces"] if self.faces else [])
        *most, least = self.colours
        colours = "mostly " + (", ".join(most) + " and " + least if most else least)
        return [*faces, self.brightness, colours, *([self.motion] if self.motion else []),
                self.sharpness]


def _grey(pixels: np.ndarray) -> np.ndarray:
    return pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)


def _small(pixels: np.ndarray, side: int = ANALYSIS_SIDE) -> np.ndarray:
    scale = side / max(pixels.shape[:2])
    if scale >= 1.0:
        return pixels
    size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def colour_names(pixels: np.ndarray, most: int = 3, share: float = 0.12) -> tuple[str, ...]:
    """The dominant named colours of an RGB picture (each covering at least `share`)."""
    hsv = cv2.cvtColor(_small(pixels, 64), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.float32)
    hue, sat, val = hsv[:, 0] * 2.0, hsv[:, 1] / 255.0, hsv[:, 2] / 255.0
    index = {name: i for i, name in enumerate(COLOUR_NAMES)}
    names = np.full(len(hue), -1)
    for name, lo, hi in _HUES:
        names[(hue >= lo) & (hue < hi)] = index[name]
    pale = (sat < 0.5) & (val > 0.7) & np.isin(names, [index["red"], index["pink"]])
    names[pale] = index["pink"]
    names[(hue >= 15) & (hue < 45) & (val < 0.6)] = index["brown"]
    names[sat < 0.18] = index["grey"]
    names[(sat < 0.18) & (val > 0.8)] = index["white"]
    names[val < 0.2] = index["black"]
    counts = np.bincount(names, minlength=len(COLOUR_NAMES)) / len(names)
    order = sorted(range(len(COLOUR_NAMES)), key=lambda i: (-counts[i], i))
    kept = [COLOUR_NAMES[i] for i in order[:most] if counts[i] >= share]
    return tuple(kept or [COLOUR_NAMES[order[0]]])


def _brightness_word(mean: float) -> str:
    words = ((45, "dark"), (95, "dim"), (165, "well lit"), (235, "bright"), (256, "washed out"))
    return next(word for limit, word in words if mean < limit)


def _motion_word(grey: np.ndarray, previous: np.ndarray) -> str:
    prev = _small(_grey(previous))
    if prev.shape != grey.shape:
        prev = cv2.resize(prev, grey.shape[::-1], interpolation=cv2.INTER_AREA)
    changed = float((cv2.absdiff(grey, prev) > 25).mean())
    return "still" if changed < 0.01 else "some motion" if changed < 0.15 else "lots of motion"


def _sharpness(grey: np.ndarray) -> float:
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def describe_frame(pixels: np.ndarray, previous: np.ndarray | None = None) -> FrameFacts:
    """Faces, brightness, dominant colours, motion (against `previous`) and sharpness."""
    grey = _small(_grey(pixels))
    mean, std = (float(v[0][0]) for v in cv2.meanStdDev(grey))
    lap = _sharpness(grey)
    sharp = ("plain" if std < UNIFORM_STD else "blurry" if lap < 40 else
             "soft" if lap < 200 else "sharp")
    available, _ = face_detector()
    return FrameFacts(
        faces=len(detect_faces(pixels)) if available else None,
        brightness=_brightness_word(mean), colours=colour_names(pixels),
        motion=None if previous is None else _motion_word(grey, previous), sharpness=sharp)


# --- suggesting frames ----------------------------------------------------------------------

@dataclass(frozen=True)
class FrameSuggestion:
    time_s: float  # the frame's own time: grab_frame(path, time_s) returns this frame
    score: float  # higher is better
    sharpness: float  # 0..1, from the variance of the Laplacian
    brightness: float  # 0..1, the mean grey level
    has_face: bool


def _judge(time_s: float, pixels: np.ndarray) -> tuple[FrameSuggestion, bool]:
    """A frame's suggestion and whether it is unusable (black, blank or mid-fade)."""
    grey = _grey(pixels)
    mean, std = (float(v[0][0]) for v in cv2.meanStdDev(grey))
    sharp = min(1.0, math.log1p(_sharpness(grey)) / math.log1p(SHARP_REF))
    bright = mean / 255.0
    exposure = max(0.0, 1.0 - ((bright - 0.5) / 0.45) ** 2)
    contrast = min(1.0, std / 60.0)
    face = bool(detect_faces(pixels))  # through this module: tests swap the detector
    score = 0.45 * sharp + 0.3 * exposure + 0.25 * contrast + (0.3 if face else 0.0)
    unusable = std < UNIFORM_STD  # black, white or one flat colour: nothing to see
    return FrameSuggestion(round(time_s, 6), round(score, 6), round(sharp, 4),
                           round(bright, 4), face), unusable


def sample_times(duration_s: float, samples: int) -> list[float]:
    """`samples` times evenly over the timeline, leaving out EDGE at each end."""
    span = duration_s * (1 - 2 * EDGE)
    return [duration_s * EDGE + span * (i + 0.5) / samples for i in range(max(1, samples))]


def suggest_frames(path: str | os.PathLike, k: int = 4, *, duration_s: float | None = None,
                   samples: int = 24, cancelled: Callable[[], bool] = lambda: False,
                   stats: dict | None = None) -> list[FrameSuggestion]:
    """The `k` frames most worth remixing, spread over the timeline, in time order.

    Samples are scored for sharpness, exposure, contrast and a face; black frames, blank
    frames, fades and frames scoring under half the best one are left out; of the rest,
    as many as fit (up to k) with no two closer than duration / (2k), best in total. Without
    `duration_s` the duration verified by `media.probe` is used, so a truncated file is
    sampled where it has data. A cancel stops sampling and picks from what was seen."""
    if duration_s is None:
        duration_s = media.probe(Path(path)).duration_s
    seen: dict[float, tuple[FrameSuggestion, bool]] = {}
    with _Reader(path, stats) as reader:
        times = sample_times(max(duration_s, 0.0), samples)
        slack = (times[1] - times[0]) / 2 if len(times) > 1 else 0.0
        for t in times:  # any frame near a sample will do: often the keyframe seeked to
            if cancelled():
                break
            frame = reader.frame_at(t, slack)
            time_s = float((frame.pts - reader.start) * reader.tb)
            if time_s not in seen:
                seen[time_s] = _judge(time_s, _pixels(frame, None, ANALYSIS_SIDE))
    usable = [s for s, unusable in seen.values() if not unusable]
    floor = QUALITY_FLOOR * max((s.score for s in usable), default=0.0)
    return _spread(sorted((s for s in usable if s.score >= floor), key=lambda s: s.time_s),
                   k, duration_s / (2 * max(k, 1)))


def _spread(candidates: list[FrameSuggestion], k: int, gap: float) -> list[FrameSuggestion]:
    """As many picks as fit (up to k), no two closer than `gap`, with the highest total
    score: a small dynamic programme over the candidates in time order."""
    total = lambda entry: entry[0]  # noqa: E731
    # row[i]: the best (total score, picks) of n picks whose latest is candidate i
    row = [(c.score, (i,)) for i, c in enumerate(candidates)]
    best = max(row, key=total, default=(0.0, ()))
    for _ in range(1, k):
        row = [max(((r[0] + c.score, r[1] + (i,)) for h, r in enumerate(row[:i])
                    if r and c.time_s - candidates[h].time_s >= gap), key=total, default=None)
               for i, c in enumerate(candidates)]
        if not any(row):
            break
        best = max((r for r in row if r), key=total)
    return [candidates[i] for i in best[1]]
