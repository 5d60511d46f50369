"""Video files: content fingerprints, probing (PyAV) and thumbnails.

Container headers can lie (a truncated file still claims its full length), so the duration is
checked against the packets that are really there, and the thumbnail is a frame that really
decodes. Rotation metadata (phone clips) is honoured: sizes and pictures are as displayed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from .captions import visible_text
from .atomic_files import atomic_write
from .video_files import VIDEO_EXTENSIONS, fingerprint  # noqa: F401 - as before

# Only the demuxers of those containers, reading local files only. Left to autodetection,
# FFmpeg also takes a text file for an "ffconcat" script (or another playlist) and opens the
# files it names: a script naming a FIFO hung the import for good, one naming another video
# was imported as that video.
OPEN_OPTIONS = {"format_whitelist": "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi",
                "protocol_whitelist": "file"}
MAX_DURATION_S = 24 * 3600  # longer is damaged timing (the remix slider counts int32 ms)
THUMBNAIL_BOX = 320  # the longest side of a thumbnail, in pixels
_META_LIMIT = 2000  # characters kept of one metadata value (title, description, tags)


class MediaError(Exception):
    """A file that is not a usable video; `reason` says why in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Probe:
    duration_s: float
    fps: float
    width: int  # as displayed (rotation applied)
    height: int
    rotation: int  # degrees counter-clockwise to turn the stored picture for display
    codec: str
    title: str
    description: str
    tags: tuple[str, ...]
    claimed_duration_s: float | None


def probe(path: Path, thumbnail: Path | None = None) -> Probe:
    """Read what the library records about a video; write its thumbnail (JPEG) if asked."""
    try:
        container = av.open(str(path), metadata_errors="ignore",
                            container_options=dict(OPEN_OPTIONS))
    except PermissionError:
        raise MediaError("it cannot be read (permission denied)") from None
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise MediaError(_unreadable_reason(path, exc)) from None
    with container:
        if not container.streams.video:
            if container.streams.audio:
                raise MediaError("it has no video stream (audio only)")
            raise MediaError("it has no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if ctx is None:  # a codec no decoder knows (a damaged or exotic codec tag)
            raise MediaError("its video is in a codec that cannot be decoded")
        stream.thread_type = "AUTO"
        if not ctx.width or not ctx.height:
            raise MediaError("its video stream has no picture size")
        claimed = _claimed_duration(container, stream)
        frame = _decode_near(container, stream, min(1.0, (claimed or 0.0) * 0.1))
        if frame is None:
            raise MediaError("no frame of it can be decoded (damaged or truncated)")
        rotation = display_rotation(getattr(frame, "rotation", 0))
        end = _verified_end(container, stream, claimed)
        if end is None:
            duration = claimed or 0.0
        else:
            duration = min(end, claimed) if claimed else end
        duration = max(0.0, duration)
        if duration > MAX_DURATION_S:  # damaged timing (a 10 KB file "lasting" 69 days)
            raise MediaError(f"its timing says it lasts {duration / 3600:,.0f} hours, longer "
                             f"than the {MAX_DURATION_S // 3600} hours a video may last "
                             f"(damaged timestamps)")
        fps = _fps(stream)
        if thumbnail is not None:
            write_thumbnail(frame, rotation, thumbnail)
        # a file's own metadata is untrusted text: no control, bidi or zero-width characters
        meta = {k.lower(): visible_text(v)[:_META_LIMIT] for k, v in container.metadata.items()}
    width, height = (ctx.height, ctx.width) if rotation in (90, 270) else (ctx.width, ctx.height)
    return Probe(
        duration_s=round(duration, 3), fps=round(fps, 3), width=int(width), height=int(height),
        rotation=rotation, codec=ctx.name, title=" ".join(meta.get("title", "").split()),
        description=(meta.get("description") or meta.get("comment") or
                     meta.get("synopsis") or "").strip(),
        tags=_split_tags(meta.get("keywords") or meta.get("tags") or ""),
        claimed_duration_s=round(claimed, 3) if claimed else None,
    )


def write_thumbnail(frame: av.VideoFrame, rotation: int, target: Path) -> None:
    """Scale in swscale, turn as displayed, save as JPEG atomically."""
    scale = THUMBNAIL_BOX / max(frame.width, frame.height)
    w, h = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    pixels = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    pixels = upright(pixels, rotation)
    # a thumbnail is made again when lost: not worth an fsync per import
    atomic_write(target, lambda fh: Image.fromarray(pixels).save(fh, "JPEG", quality=85),
                 durable=False)


def display_rotation(raw) -> int:
    """A display matrix's angle as players apply it: 0, 90, 180 or 270. Like FFmpeg's
    autorotate, an angle more than a degree off a quarter turn (a damaged or odd matrix,
    e.g. 44) is left unturned."""
    try:
        degrees = float(raw or 0) % 360
        quarter = round(degrees / 90) * 90
    except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinite
        return 0
    return int(quarter % 360) if abs(degrees - quarter) < 1 else 0


def upright(pixels: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a stored picture counter-clockwise by `rotation` degrees, as players display it."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(pixels, turns)) if turns else pixels


def _claimed_duration(container: av.container.InputContainer, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _fps(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < float(rate) < 1000:
            return float(rate)
    return 0.0


def _decode_near(container, stream, at_s: float):
    """The first frame at or after `at_s` (or the last one before the file ends)."""
    if at_s > 0:
        try:
            container.seek(int(at_s / stream.time_base), stream=stream, backward=True)
        except av.FFmpegError:
            try:
                container.seek(0)
            except av.FFmpegError:  # a damaged index: decode on from where the demuxer is
                pass
    last = None
    try:
        for frame in container.decode(stream):
            last = frame
            if frame.pts is None or frame.pts * stream.time_base >= at_s:
                return frame
    except (av.FFmpegError, EOFError):
        pass
    if last is None and at_s > 0:
        return _decode_near(container, stream, 0.0)
    return last


def _verified_end(container, stream, claimed: float | None) -> float | None:
    """The end time of the last packet really in the file; reads only the tail if it can."""
    tb: Fraction = stream.time_base
    start = float(stream.start_time * tb) if stream.start_time else 0.0

    def scan_from(seconds: float) -> float | None:
        end = None
        try:
            if seconds > 0:
                container.seek(int(seconds / tb), stream=stream, backward=True)
            else:
                container.seek(0)
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                stop = float((packet.pts + (packet.duration or 0)) * tb)
                end = stop if end is None else max(end, stop)
        except (av.FFmpegError, EOFError):
            pass
        return None if end is None else end - start

    if claimed and claimed > 2.0:
        tail = scan_from(claimed - 2.0)
        if tail is not None and tail >= claimed - 2.5:
            return tail
    return scan_from(0.0)


def _split_tags(text: str) -> tuple[str, ...]:
    parts = [p.strip().lstrip("#") for p in text.replace(";", ",").split(",")]
    return tuple(p for p in parts if p)


def _unreadable_reason(path: Path, exc: Exception) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        head = b""
    if head[4:8] == b"ftyp":
        return "it is a damaged or truncated MP4/MOV file (its index cannot be read)"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "it is a damaged or truncated WebM/MKV file"
    if head[:4] == b"RIFF":
        return "it is a damaged or truncated AVI file"
    if head.startswith((b"ffconcat", b"#EXTM3U")):
        return "it is a playlist naming other files, not a video"
    return "it is not a video: its contents are in no video format"
