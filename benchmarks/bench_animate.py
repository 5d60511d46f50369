"""Animated remixes: decode, style and caption, and encode of a 2 s span at 12 fps (24
frames, 540x540 and 540x960), and the whole render as the app runs it, against a still
remix of the same frame in the same run.

    .venv/bin/python benchmarks/bench_animate.py [--repeat 3]

Each figure is the best of --repeat runs; every render of the app path is a new request (a
new caption), so nothing comes from the preview cache.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core import animate, faces  # noqa: E402
from remix_desktop.core.consent import Consent  # noqa: E402
from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.core.library import Library  # noqa: E402
from remix_desktop.core.remix import Remixer, RemixRequest  # noqa: E402
from tests.clips import make_clip  # noqa: E402


def best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-animate-"))
    try:
        clip = make_clip(root / "clip.mp4", size="1280x720", seconds=6, rate=30,
                         source="testsrc2")
        print(f"clip: 1280x720, 30 fps, H.264; span 2 s at {animate.FPS} fps around 3.0 s")
        print(f"{'part':44} {'seconds':>8}")
        for size in ("square", "portrait"):
            for style in ("none", "cartoon"):
                made_s, moving = best(lambda: animate.make(
                    clip, at_s=3.0, span_s=2.0, duration_s=6.0, caption="Me on the third take",
                    style=style, size=size, face_of=faces.has_face), args.repeat)
                webp_s, webp = best(lambda: animate.webp_bytes(moving.frames, moving.fps),
                                    args.repeat)
                gif_s, gif = best(lambda: animate.gif_bytes(moving.frames, moving.fps),
                                  args.repeat)
                w, h = moving.frames[0].size
                label = f"{w}x{h} {style}"
                for part, value in moving.timings.items():
                    print(f"  {label + ': ' + part:42} {value:8.3f}")
                print(f"  {label + ': make (all of the above)':42} {made_s:8.3f}")
                print(f"  {label + ': animated WebP encode':42} {webp_s:8.3f}  "
                      f"{len(webp) / 1e6:.2f} MB")
                print(f"  {label + ': GIF encode (one palette)':42} {gif_s:8.3f}  "
                      f"{len(gif) / 1e6:.2f} MB")
                print(f"  {label + ': decode+caption+WebP':42} {made_s + webp_s:8.3f}")

        home = Home(root / "home").ensure()
        with Library(home) as library:
            video = run_import(library, [clip]).imported[0]
            Consent(library).set_permission([video.id], "allow")
            remixer = Remixer(library)
            counter = iter(range(10_000))

            def render(output: str, style: str = "none"):
                caption = f"Me on take {next(counter)}"
                return remixer.render(RemixRequest(video.id, video.fingerprint, 3.0, caption,
                                                   style=style, output=output))

            render("still")  # the first render loads fonts and the face detector
            print("\nthe app's path (Remixer.render: gate, make, record; new requests):")
            for style in ("none", "cartoon"):
                still_s, _ = best(lambda: render("still", style), args.repeat)
                moving_s, preview = best(lambda: render("animated", style), args.repeat)
                print(f"  {style:8} still {still_s:6.3f} s   animated {moving_s:6.3f} s   "
                      f"ratio {moving_s / still_s:4.1f}x   "
                      f"{preview.path.stat().st_size / 1e6:.2f} MB WebP")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
