"""Frame grabs near the end of a 10-minute clip, and frame suggestions on it.

    .venv/bin/python benchmarks/bench_frames.py [--repeat 5]

Two clips, 640x360 at 30 fps, H.264 (x264 veryfast, B-frames), one with a keyframe every
2 s and one every 10 s; made once with ffmpeg and kept in the temp folder. For each clip,
in the same run:

- app: `frames.grab_frame` (PyAV: seek to the keyframe before the time, decode forward);
- naive: PyAV decoding from the start of the file up to that time (no seeking);
- OpenCV: `cv2.VideoCapture` with CAP_PROP_POS_MSEC set, then one read;
- `frames.suggest_frames(k=4)` (24 samples, scored; includes `media.probe`).

Each timing covers opening the file and returning an RGB array; the median of --repeat
runs (the naive decode runs once). "same" says whether the method returned the frame the
naive decode found (mean absolute difference under 2 grey levels).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import imageio_ffmpeg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core import frames  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
RATE, SECONDS, AT_S = 30, 600, 597.9  # 57 frames after a 2 s keyframe, 237 after a 10 s one


def make_clip(folder: Path, gop_s: int) -> Path:
    path = folder / f"ten-minutes-gop{gop_s}s.mp4"
    if not path.exists():
        part = path.with_suffix(".part.mp4")
        subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=640x360:rate={RATE}", "-t", str(SECONDS), "-c:v",
                        "libx264", "-preset", "veryfast", "-g", str(gop_s * RATE),
                        "-sc_threshold", "0", "-pix_fmt", "yuv420p", str(part)], check=True)
        part.rename(path)
    return path


def naive(path: Path, at_s: float) -> np.ndarray:
    """Decode from the start, as a script without seeking would (all threads allowed)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        shown = None
        for frame in container.decode(stream):
            if frame.time > at_s + 1e-6:
                break
            shown = frame
        return shown.to_ndarray(format="rgb24")


def opencv(path: Path, at_s: float) -> np.ndarray:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    capture.set(cv2.CAP_PROP_POS_MSEC, at_s * 1000)
    ok, bgr = capture.read()
    capture.release()
    assert ok, "OpenCV read no frame"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def same(a: np.ndarray, b: np.ndarray) -> str:
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()
    return "yes" if diff < 2 else f"no ({diff:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "remix-bench-frames"
    folder.mkdir(exist_ok=True)
    print(f"{'10-min clip 640x360 H.264, frame at ' + str(AT_S) + ' s':46} {'ms':>9} "
          f"{'/ app':>8} {'decoded':>8} {'same':>6}")
    for gop_s in (2, 10):
        clip = make_clip(folder, gop_s)
        frames.grab_frame(clip, 1.0)  # first-use costs (imports, codec set-up)
        stats: dict = {}
        frames.grab_frame(clip, AT_S, stats=stats)
        t_app, ours = timed(lambda: frames.grab_frame(clip, AT_S), args.repeat)
        t_naive, truth = timed(lambda: naive(clip, AT_S), 1)
        t_cv, theirs = timed(lambda: opencv(clip, AT_S), args.repeat)
        t_suggest, picks = timed(lambda: frames.suggest_frames(clip, 4), max(1, args.repeat // 2))
        label = f"keyframe every {gop_s} s"
        print(f"{'app grab_frame, ' + label:46} {t_app:>9.1f} {1:>7.2f}x "
              f"{stats['decoded']:>8} {same(ours, truth):>6}")
        print(f"{'naive decode from the start, ' + label:46} {t_naive:>9.1f} "
              f"{t_naive / t_app:>7.1f}x {round(AT_S * RATE) + 1:>8} {'-':>6}")
        print(f"{'cv2.VideoCapture POS_MSEC, ' + label:46} {t_cv:>9.1f} "
              f"{t_cv / t_app:>7.2f}x {'?':>8} {same(theirs, truth):>6}")
        print(f"{'app suggest_frames(k=4), ' + label:46} {t_suggest:>9.1f} "
              f"{t_suggest / t_app:>7.1f}x {'':>8} {len(picks):>6}")


if __name__ == "__main__":
    main()
