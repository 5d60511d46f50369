"""Fuzzing the importer: real tiny clips, mutated (flipped, cut, spliced, zeroed, duplicated,
header boxes broken), random bytes behind a real magic, and plain noise, each imported through
the public `run_import`. A fixed, derandomized budget, so every CI run tries the same inputs.

For every input: no exception escapes; the file is imported, or rejected with one of the
importer's specific reasons (never the catch-all "it could not be imported (SomeError...)",
which would be a bug the catch-all hid); an imported file has sane facts and a real JPEG
thumbnail; and no input takes more than PER_INPUT_S. A watchdog ends the whole run with a
traceback of every thread if one input hangs (a hang would otherwise stall CI silently).
"""

from __future__ import annotations

import faulthandler
import hashlib
import math
import os
import re
import struct
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from remix_desktop.core.importer import run_import
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library
from remix_desktop.core.media import THUMBNAIL_BOX, VIDEO_EXTENSIONS

from .conftest import fuzz_settings, record_fuzz

BUDGET = 1000  # inputs per CI run (about 10 s)
PER_INPUT_S = 10.0  # the most one input may take
HANG_S = 60.0  # past this the watchdog dumps every thread's stack and ends the process
TOTAL_S = 90.0
FAILED = Path(tempfile.gettempdir()) / "remix-desktop-fuzz-failures"

# Every reason the importer gives for one file; anything else is a bug.
KNOWN_REASONS = [
    r"the file is empty \(0 bytes\)",
    r"it is not a video: its contents are in no video format",
    r"it is a damaged or truncated (MP4/MOV|WebM/MKV|AVI) file.*",
    r"it has no video stream( \(audio only\))?",
    r"its video stream has no picture size",
    r"its video is in a codec that cannot be decoded",
    r"it is a playlist naming other files, not a video",
    r"its timing says it lasts [\d,]+ hours, longer than the 24 hours a video may last "
    r"\(damaged timestamps\)",
    r"no frame of it can be decoded \(damaged or truncated\)",
    r"it has the same content as video \d+ \(.*\)",
    r"it cannot be read \(.+\)",
    r"it is not a regular file",
    r"it is a folder whose name ends like a video",
]
_KNOWN = re.compile("|".join(f"(?:{r})" for r in KNOWN_REASONS))

MAGICS = {
    ".mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
    ".mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ",
    ".webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm",
    ".mkv": b"\x1a\x45\xdf\xa3",
    ".avi": b"RIFF\x00\x10\x00\x00AVI LIST",
}
INTERESTING_U32 = [0, 1, 7, 8, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def _header_areas(data: bytes) -> list[tuple[int, int]]:
    """Where the container's index/header lives: MP4/MOV boxes, the EBML header and the
    Matroska Segment Info/Tracks, the AVI header list."""
    areas = []
    for tag in (b"moov", b"mvhd", b"trak", b"tkhd", b"mdia", b"stsd", b"avcC", b"stts",
                b"stss", b"stsc", b"stsz", b"stco", b"ftyp", b"hdlr", b"elst"):
        at = data.find(tag)
        if at >= 4:
            areas.append((at - 4, min(len(data), at + 64)))
    if data[:4] == b"\x1a\x45\xdf\xa3":
        areas.append((0, min(len(data), 48)))
        for ebml_id in (b"\x18\x53\x80\x67", b"\x15\x49\xa9\x66", b"\x16\x54\xae\x6b",
                        b"\x1f\x43\xb6\x75", b"\x1c\x53\xbb\x6b"):  # Segment Info Tracks..
            at = data.find(ebml_id)
            if at >= 0:
                areas.append((at, min(len(data), at + 48)))
    if data[:4] == b"RIFF":
        for tag in (b"hdrl", b"avih", b"strl", b"strh", b"strf", b"movi", b"idx1"):
            at = data.find(tag)
            if at >= 0:
                areas.append((max(0, at - 4), min(len(data), at + 64)))
    return areas or [(0, min(len(data), 64))]


class Case(tuple):
    """(bytes, suffix, how), shown briefly in a failure report (not kilobytes of bytes)."""

    def __repr__(self) -> str:
        data, suffix, how = self
        return f"Case({how!r}, {suffix!r}, {len(data)} bytes, sha256 " \
               f"{hashlib.sha256(data).hexdigest()[:16]})"


@st.composite
def hostile_videos(draw, seeds: dict[str, bytes]) -> Case:
    """(bytes, file suffix, a short description of how they were made)."""
    names = sorted(seeds)
    kind = draw(st.sampled_from(["mutate"] * 6 + ["splice", "magic", "noise"]))
    if kind == "noise":
        data = bytearray(draw(st.binary(min_size=0, max_size=4096)))
        return Case((bytes(data), draw(st.sampled_from(sorted(VIDEO_EXTENSIONS))), "noise"))
    if kind == "magic":
        suffix = draw(st.sampled_from(sorted(MAGICS)))
        data = MAGICS[suffix] + draw(st.binary(min_size=0, max_size=4096))
        return Case((data, suffix, f"magic{suffix}"))
    seed = draw(st.sampled_from(names))
    data = bytearray(seeds[seed])
    steps = [seed]
    if kind == "splice":
        other = seeds[draw(st.sampled_from(names))]
        cut_a = draw(st.integers(0, len(data)))
        cut_b = draw(st.integers(0, len(other)))
        data = data[:cut_a] + other[cut_b:]
        steps.append(f"splice@{cut_a}/{cut_b}")
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "flip", "truncate", "zero", "duplicate", "header",
                                   "header", "size"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            for _ in range(draw(st.integers(1, 8))):
                i = draw(st.integers(0, len(data) - 1))
                data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "zero":
            n = draw(st.integers(1, 512))
            data[at:at + n] = bytes(len(data[at:at + n]))
        elif op == "duplicate":
            n = draw(st.integers(1, 1024))
            data[at:at] = data[at:at + n]
        elif op == "header":
            start, end = draw(st.sampled_from(_header_areas(bytes(data))))
            for _ in range(draw(st.integers(1, 6))):
                i = draw(st.integers(start, max(start, end - 1)))
                if i < len(data):
                    data[i] = draw(st.integers(0, 255))
        else:  # a box / chunk size or count field set to an extreme value
            start, end = draw(st.sampled_from(_header_areas(bytes(data))))
            i = draw(st.integers(start, max(start, end - 4)))
            data[i:i + 4] = struct.pack(draw(st.sampled_from([">I", "<I"])),
                                        draw(st.sampled_from(INTERESTING_U32)))
        steps.append(op)
    suffix = Path(seed).suffix if draw(st.booleans()) else draw(
        st.sampled_from(sorted(VIDEO_EXTENSIONS)))
    return Case((bytes(data), suffix, "+".join(steps)))


def test_known_reasons_cover_the_bad_fixtures(bad_dir, tmp_path):
    """The list of reasons this fuzz accepts is the importer's real list (a check that the
    regex can fail: the catch-all's wording is not in it)."""
    with Library(Home(tmp_path / "h").ensure()) as library:
        report = run_import(library, [bad_dir])
    for r in report.rejected:
        if Path(r.path).suffix in VIDEO_EXTENSIONS and Path(r.path).name != "folder.mp4":
            assert _KNOWN.fullmatch(r.reason), r
    assert not _KNOWN.fullmatch("it could not be imported (TypeError: boom)")


def test_the_seeds_are_good_clips(seed_clips, tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name, data in seed_clips.items():
        (folder / name).write_bytes(data)
    with Library(Home(tmp_path / "h").ensure()) as library:
        report = run_import(library, [folder])
    assert not report.rejected and len(report.imported) == len(seed_clips)


def test_hostile_video_files_are_imported_or_rejected_with_a_reason(seed_clips, tmp_path):
    home = Home(tmp_path / "fuzzhome").ensure()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    outcomes: dict[str, int] = {}
    slowest = [0.0, ""]
    tried = [0]

    @fuzz_settings(BUDGET)
    @given(case=hostile_videos(seed_clips))
    def one(case):
        data, suffix, how = case
        tried[0] += 1
        path = inputs / f"in{tried[0]:04d}{suffix}"
        path.write_bytes(data)
        start = time.monotonic()
        faulthandler.dump_traceback_later(HANG_S, exit=True, file=sys.__stderr__)
        try:
            report = run_import(library, [path])
        finally:
            faulthandler.cancel_dump_traceback_later()
        took = time.monotonic() - start
        if took > slowest[0]:
            slowest[:] = [took, how]
        assert took < PER_INPUT_S, f"{how} took {took:.1f} s"
        outcome = (report.imported and "imported") or (report.rejected and "rejected") or \
            (report.skipped and "skipped") or (report.relinked and "relinked")
        assert outcome, f"{how}: no outcome"
        assert len(report.imported) + len(report.rejected) + len(report.skipped) \
            + len(report.relinked) == 1
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        try:
            check(report, data, how)
        except AssertionError:
            keep = FAILED / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_bytes(data)  # to reproduce: probe(keep) in a shell
            raise
        finally:  # every example starts from an empty library: no state between examples
            if report.imported:
                library.remove([v.id for v in report.imported])
            path.unlink()

    def check(report, data, how):
        path = inputs / Path(report.rejected[0].path if report.rejected else
                             report.imported[0].path).name
        for r in report.rejected:
            assert r.path == str(path)
            assert _KNOWN.fullmatch(r.reason), f"{how}: unexpected reason {r.reason!r}"
        for video in report.imported:
            assert video.size == len(data)
            assert math.isfinite(video.duration_s) and 0 <= video.duration_s <= 24 * 3600, \
                (how, video)
            assert math.isfinite(video.fps) and 0 <= video.fps < 1000, (how, video)
            assert 0 < video.width <= 16384 and 0 < video.height <= 16384, (how, video)
            assert video.rotation in (0, 90, 180, 270)
            thumb = home.thumbnails / video.thumbnail
            with Image.open(thumb) as image:
                assert image.format == "JPEG" and max(image.size) == THUMBNAIL_BOX

    started = time.monotonic()
    with Library(home) as library:
        one()
    total = time.monotonic() - started
    record_fuzz("importer", "run_import on mutated/random video files", tried[0], BUDGET, total)
    print(f"\nimporter fuzz: {tried[0]} inputs in {total:.1f} s, outcomes {outcomes}, "
          f"slowest {slowest[0]:.2f} s ({slowest[1]})")
    assert tried[0] >= min(BUDGET, int(os.environ.get("REMIX_FUZZ_EXAMPLES", BUDGET))) * 0.9
    assert outcomes.get("imported", 0) > 0 and outcomes.get("rejected", 0) > 0, \
        "the mutations should reach both outcomes"
    if "REMIX_FUZZ_EXAMPLES" not in os.environ:
        assert total < TOTAL_S
