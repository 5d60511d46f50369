"""Hostile-input tests: small real seed clips, and a summary of every fuzz run (inputs tried,
budget, time) printed at the end of the session."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings

from tests import clips as make


def fuzz_settings(budget: int) -> settings:
    """A fixed, derandomized budget: every CI run tries the same inputs. For a longer hunt,
    REMIX_FUZZ_EXAMPLES=20000 REMIX_FUZZ_RANDOM=1 pytest tests/hostile -k fuzz."""
    return settings(max_examples=int(os.environ.get("REMIX_FUZZ_EXAMPLES", budget)),
                    derandomize=not os.environ.get("REMIX_FUZZ_RANDOM"), database=None,
                    deadline=None, suppress_health_check=list(HealthCheck))


# name -> (fuzz target, inputs tried, budget, seconds); filled by the fuzz tests
FUZZ_STATS: dict[str, tuple[str, int, int, float]] = {}


def record_fuzz(name: str, target: str, tried: int, budget: int, seconds: float) -> None:
    FUZZ_STATS[name] = (target, tried, budget, round(seconds, 1))


def run_fuzz(name: str, target: str, strategy, budget: int, check) -> int:
    """Run `check` on `budget` inputs drawn from `strategy` (fixed, derandomized), record the
    count and the time for the session summary, and return the count."""
    tried = [0]

    @fuzz_settings(budget)
    @given(case=strategy)
    def one(case):
        tried[0] += 1
        check(case)

    start = time.monotonic()
    one()
    record_fuzz(name, target, tried[0], budget, time.monotonic() - start)
    return tried[0]


def pytest_terminal_summary(terminalreporter):
    if not FUZZ_STATS:
        return
    terminalreporter.section("hostile-input fuzzing")
    for name, (target, tried, budget, seconds) in sorted(FUZZ_STATS.items()):
        terminalreporter.write_line(f"{name}: {target}: {tried} inputs tried "
                                    f"(budget {budget}) in {seconds} s")


@pytest.fixture(scope="session")
def seed_clips(tmp_path_factory) -> dict[str, bytes]:
    """Tiny real clips (a few KB each) of every container the app imports: mutations of
    them reach deep into the demuxers and decoders instead of failing at the first byte."""
    root = tmp_path_factory.mktemp("seeds")
    small = dict(size="64x48", seconds=0.6, rate=10)
    make.make_clip(root / "h264.mp4", extra=("-movflags", "+faststart", "-g", "3",
                                             "-metadata", "title=Seed clip"), **small)
    make.make_clip(root / "moov-last.mp4", extra=("-g", "3"), **small)
    make.make_clip(root / "vp9.webm", codec="libvpx-vp9", extra=(
        "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k", "-g", "3"), **small)
    make.make_clip(root / "mpeg4.avi", codec="mpeg4", extra=("-g", "3"), **small)
    make.make_clip(root / "clip.mov", extra=("-g", "3"), **small)
    upright = make.make_clip(root / "src.mp4", extra=("-g", "3"), **small)
    make.rotate_tag(upright, root / "phone.mp4", -90)  # a display matrix to damage
    upright.unlink()
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}
