"""Looking at a video for consent: faces and the copy fingerprint (core.video_checks), and
finding copies (core.copies), on real encoded clips made here.

    .venv/bin/python benchmarks/bench_look.py [--long-minutes 10] [--library 100000]

Prints, per clip, the time of one look (12 face samples and a hash every 0.1 s, one pass)
against `media.probe` of the same file in the same run (what an import did per file before
looks: the ratio is what a look adds to an import); whether each re-encode, rescale, trim and
container change of an original is found, and that no unrelated pair is linked; and how long
finding the original of a new video takes in a library of N videos' fingerprints.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core import copies, media, video_checks  # noqa: E402
from tests.clips import ffmpeg, make_clip  # noqa: E402

SOURCES = {  # name: lavfi source (each clip a different picture)
    "mandelbrot": "mandelbrot", "pattern": "testsrc2", "squares": "testsrc",
    "life": "life=mold=10:seed=5", "gradients": "gradients=speed=0.03",
    "bars": "smptehdbars",
}
VARIANTS = {  # name: ffmpeg arguments between the input and the output
    "vp9.webm": ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                 "-b:v", "300k"),
    "half-size.mp4": ("-vf", "scale=320:180", "-c:v", "libx264", "-crf", "28"),
    "trim-0.5s.mp4": ("-ss", "0.5", "-c:v", "libx264"),  # -ss after -i: exact
    "trim-0.3s.mp4": ("-ss", "0.3", "-c:v", "libx264"),
    "cut-middle.mp4": ("-ss", "2", "-t", "3", "-c:v", "libx264"),
    "remux.mkv": ("-c", "copy"),
}


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--library", type=int, default=100_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-look-"))
    try:
        originals = {}
        for name, source in SOURCES.items():
            originals[name] = make_clip(root / f"{name}.mp4", size="640x360", seconds=8,
                                        source=source)
        print(f"{'clip':28} {'look s':>8} {'probe s':>8} {'ratio':>6} {'kept':>5} "
              f"{'fine':>5} {'face share':>10}")

        def row(path: Path, label: str) -> video_checks.Look:
            duration = media.probe(path).duration_s
            probe_s, _ = timed(lambda: media.probe(path))
            look_s, seen = timed(lambda: video_checks.look(path, duration))
            print(f"{label:28} {look_s:8.3f} {probe_s:8.3f} {look_s / probe_s:6.1f} "
                  f"{len(seen.fingerprint.kept):5} {len(seen.fingerprint.dense):5} "
                  f"{seen.face_share:10.2f}")
            return seen

        looks = {name: row(path, f"{name} 8 s 640x360") for name, path in originals.items()}
        long_clip = root / "long.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t",
               str(args.long_minutes * 60), "-c:v", "libx264", "-preset", "ultrafast",
               "-pix_fmt", "yuv420p", str(long_clip))
        row(long_clip, f"long {args.long_minutes:g} min 640x360 30fps")

        print("\ncopies of 'mandelbrot' and 'pattern' (each variant against every original):")
        found, missed, false = 0, [], []
        variant_looks = {}
        for name in ("mandelbrot", "pattern"):
            for variant, extra in VARIANTS.items():
                target = root / f"{name}-{variant}"
                ffmpeg("-i", str(originals[name]), *extra, str(target))
                seen = video_checks.look(target, media.probe(target).duration_s)
                variant_looks[f"{name}-{variant}"] = seen
                for other, stored in looks.items():
                    share, matched = copies.compare(stored.fingerprint.kept, seen.fingerprint)
                    hit = copies.is_copy(share, matched, len(stored.fingerprint.kept),
                                         len(seen.fingerprint.kept))
                    if other == name:
                        found += hit
                        print(f"  {name + '-' + variant:28} share {share:4.2f} "
                              f"{'found' if hit else 'MISSED'}")
                        if not hit:
                            missed.append(f"{name}-{variant}")
                    elif hit:
                        false.append((f"{name}-{variant}", other))
        for a, b in itertools.permutations(looks, 2):
            share, matched = copies.compare(looks[a].fingerprint.kept, looks[b].fingerprint)
            if copies.is_copy(share, matched, len(looks[a].fingerprint.kept),
                              len(looks[b].fingerprint.kept)):
                false.append((a, b))
        total = 2 * len(VARIANTS)
        print(f"found {found} of {total} copies; false links among "
              f"{len(looks) * (len(looks) - 1) + total * (len(looks) - 1)} unrelated pairs: "
              f"{len(false)} {false if false else ''}")

        rng = np.random.default_rng(7)
        print(f"\nfinding the original in a library of {args.library:,} videos "
              "(20 kept hashes each):")

        class Fake:
            def execute(self, *_a):
                return iter(())

        index = copies.CopyIndex(Fake())
        for i in range(args.library):
            index.add(i + 1, rng.integers(0, 2**63, size=20, dtype=np.uint64))
        index.add(args.library + 1, looks["mandelbrot"].fingerprint.kept)
        new = variant_looks["mandelbrot-vp9.webm"].fingerprint
        first, match = timed(lambda: index.find(new), repeat=1)
        again, match = timed(lambda: index.find(new), repeat=3)
        print(f"  first find (stacks the index) {first:.2f} s, then {again:.2f} s a video; "
              f"found video {match.video_id if match else None} "
              f"(expected {args.library + 1})")
        baseline, _ = timed(lambda: media.probe(originals["mandelbrot"]))
        print(f"  against one probe of an 8 s clip ({baseline * 1000:.0f} ms): "
              f"{again / baseline:.1f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
