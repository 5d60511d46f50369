"""Import throughput for 200 short clips, against ffprobe + an ffmpeg thumbnail per file.

    .venv/bin/python benchmarks/bench_import.py [--clips 200]

The baseline is what a script would do with the command-line tools: for each file, run
`ffprobe` (Debian's ffmpeg package; `ffmpeg -i` from the imageio-ffmpeg wheel if absent) for
its streams, then `ffmpeg` for a 320-pixel JPEG thumbnail. The app does more per file (a
content fingerprint, the duration checked against the packets really there, a database row
committed) and is timed end to end on a fresh home in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.core.library import Library  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SOURCES = ["testsrc2", "smptehdbars", "mandelbrot", "rgbtestsrc", "life"]


def make_clips(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for i in range(count):
        path = folder / f"clip {i:03d}.mp4"
        if not path.exists():
            src = SOURCES[i % len(SOURCES)]
            subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                            f"{src}=size=640x360:rate=30", "-t", "3", "-vf",
                            f"hue=h={i * 7 % 360},drawbox=x={i}:y={i}:w=40:h=40:c=white:t=fill",
                            "-c:v", "libx264",
                            "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
        clips.append(path)
    return clips


def baseline(clips: list[Path], out: Path) -> float:
    out.mkdir(exist_ok=True)
    ffprobe = shutil.which("ffprobe")
    start = time.perf_counter()
    for i, clip in enumerate(clips):
        if ffprobe:
            subprocess.run([ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json",
                            str(clip)], check=True, capture_output=True)
        else:
            subprocess.run([FFMPEG, "-hide_banner", "-i", str(clip)], capture_output=True)
        subprocess.run([FFMPEG, "-v", "error", "-y", "-ss", "0.3", "-i", str(clip), "-frames:v",
                        "1", "-vf", "scale=320:-2", str(out / f"{i}.jpg")], check=True)
    return time.perf_counter() - start


def app(clips: list[Path], root: Path) -> float:
    start = time.perf_counter()
    with Library(Home(root)) as library:
        report = run_import(library, clips)
    elapsed = time.perf_counter() - start
    assert len(report.imported) == len(clips), report.rejected[:3]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.gettempdir()) / "remix-bench-clips"
    clips = make_clips(work, args.clips)
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    app(clips[:5], tmp / "warmup")  # first-use costs (imports, codec init) are not per video
    t_base = baseline(clips, tmp / "thumbs")
    t_app = app(clips, tmp / "home")
    n = len(clips)
    probe = "ffprobe" if shutil.which("ffprobe") else "ffmpeg -i"
    print(f"{'import of ' + str(n) + ' clips (640x360, 3 s, H.264)':44} {'total':>9} "
          f"{'per video':>10} {'videos/s':>9}")
    print(f"{'app: remix-desktop import':44} {t_app:>8.2f}s {t_app / n * 1000:>8.1f}ms "
          f"{n / t_app:>9.1f}")
    print(f"{'baseline: ' + probe + ' + ffmpeg thumbnail':44} {t_base:>8.2f}s "
          f"{t_base / n * 1000:>8.1f}ms {n / t_base:>9.1f}")
    print(f"ratio (baseline / app): {t_base / t_app:.2f}x")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
