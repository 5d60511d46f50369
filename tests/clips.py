"""Real encoded test videos, made with ffmpeg (the imageio-ffmpeg wheel) and OpenCV."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_clip(path: Path, *, codec: str = "libx264", size: str = "320x180", seconds: float = 2,
              rate: int = 25, source: str = "testsrc2", extra: tuple[str, ...] = (),
              pre: tuple[str, ...] = ()) -> Path:
    """A real encoded clip of a synthetic test pattern (`source`: a lavfi source, with its
    own options after '=' if any)."""
    pix = ("-pix_fmt", "yuv420p") if codec in ("libx264", "libvpx-vp9", "mpeg4") else ()
    spec = f"{source}{':' if '=' in source else '='}size={size}:rate={rate}"
    ffmpeg(*pre, "-f", "lavfi", "-i", spec, "-t", str(seconds),
           "-c:v", codec, *pix, *extra, str(path))
    return path


def make_halves_clip(path: Path, *, size=(320, 180), seconds: float = 1.0) -> Path:
    """Left half red, right half blue: shows which way a picture was turned."""
    w, h = size
    ffmpeg("-f", "lavfi", "-i", f"color=c=red:size={w}x{h}:rate=25",
           "-f", "lavfi", "-i", f"color=c=blue:size={w // 2}x{h}:rate=25",
           "-filter_complex", f"[0][1]overlay=x={w // 2}:y=0", "-t", str(seconds),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path))
    return path


def rotate_tag(source: Path, target: Path, degrees: int) -> Path:
    """Copy `source` with a display-rotation (a phone clip held upright) and no re-encode."""
    ffmpeg("-display_rotation:v:0", str(degrees), "-i", str(source), "-c", "copy", str(target))
    return target


def make_opencv_clip(path: Path, *, fourcc: str = "mp4v", size=(320, 240), frames: int = 30,
                     fps: float = 15.0) -> Path:
    """A clip written by OpenCV's VideoWriter."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc}"
    for i in range(frames):
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        cv2.circle(frame, (10 + i * 8 % size[0], size[1] // 2), 20, (0, 200, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def make_audio_only(path: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(path))
    return path


def frame_via_ffmpeg(path: Path) -> np.ndarray:
    """The first frame as ffmpeg's own player pipeline shows it (autorotate on), RGB."""
    out = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(path),
                          "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"],
                         check=True, capture_output=True).stdout
    image = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def make_portrait_clip(path: Path, seconds: float = 2) -> Path:
    """A clip of a real photograph of a face (matplotlib's sample portrait of Grace Hopper)."""
    import matplotlib.cbook as cbook

    portrait = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    ffmpeg("-loop", "1", "-i", str(portrait), "-t", str(seconds), "-r", "25", "-vf",
           "scale=360:420,format=yuv420p", "-c:v", "libx264", str(path))
    return path


def make_espresso_clips(folder: Path) -> Path:
    """The face clip and "morning espresso" (a titled clip of other pictures) in `folder`."""
    make_portrait_clip(folder / "portrait.mp4")
    make_clip(folder / "espresso.mp4", size="480x270", seconds=3, source="mandelbrot",
              extra=("-metadata", "title=morning espresso"))
    return folder
