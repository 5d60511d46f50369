"""Copies of a video: a perceptual fingerprint that survives re-encoding, and the match.

A video's fingerprint is a 64-bit DCT hash (the low frequencies of a 32x32 grey picture
against their median) of a frame every STEP_S seconds; black, blank and one-colour frames
are left out (they look alike in every video). Two videos are copies when, of the shorter
one's hashed frames, at least MATCH_SHARE (and at least MIN_MATCHED) have a frame of the
other within MATCH_BITS bits: a re-encode, a rescale, a trim or a container change keeps
that; another recording does not. Plain numpy and OpenCV; the library's table of hashes
(`frame_hashes`) and the `copy_of` link are owned here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import cv2
import numpy as np

STEP_S = 0.5  # the library keeps a hash a frame this far apart
DENSE_S = 0.1  # a video being matched is hashed this finely (a copy cut at any offset)
PROBE_HASHES = 256  # the most fine hashes the first, cheap pass over a library looks with
MAX_HASHES = 1200  # a longer video is hashed at as many frames, evenly spread (10 min at 0.5 s)
MATCH_BITS = 10  # two frames are alike within this many of 64 bits
MATCH_SHARE = 0.6  # of the shorter video's hashed frames, this share must have a like frame
MIN_MATCHED = 3  # and at least this many (a one-second clip has two hashed frames: both)
UNIFORM_STD = 4.0  # grey spread (of the 32x32 luma) below which a frame is blank or one colour
HASH_SIDE = 32  # frames are hashed from a grey picture this many pixels square


def dct_hash(pixels: np.ndarray) -> int | None:
    """The 64-bit DCT hash of an RGB (or grey) frame; None for a blank or one-colour frame."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    if grey.shape != (HASH_SIDE, HASH_SIDE):
        grey = cv2.resize(grey, (HASH_SIDE, HASH_SIDE), interpolation=cv2.INTER_AREA)
    if float(grey.std()) < UNIFORM_STD:
        return None
    low = cv2.dct(grey.astype(np.float32))[:8, :8].flatten()
    bits = low > np.median(low[1:])  # the DC term is left out of the median
    return int(np.packbits(bits).view(">u8")[0])


def hash_times(duration_s: float, step_s: float = STEP_S) -> list[float]:
    """When frames are hashed: every `step_s` from the start, or MAX_HASHES evenly spread
    (times `STEP_S / step_s` for a finer step)."""
    most = round(MAX_HASHES * STEP_S / step_s)
    count = int(duration_s / step_s + 1e-9) + 1
    if count <= most:
        return [round(i * step_s, 6) for i in range(count)]
    return [round(i * duration_s / most, 6) for i in range(most)]


def kept(times: list[float], hashes: list[int | None]) -> list[int]:
    """Of hashes taken at a fine step (DENSE_S), those the library keeps: the one nearest
    each STEP_S mark (blank frames left out)."""
    chosen: dict[int, tuple[float, int]] = {}
    for t, h in zip(times, hashes):
        mark = round(t / STEP_S)
        off = abs(t - mark * STEP_S)
        if h is not None and (mark not in chosen or off < chosen[mark][0]):
            chosen[mark] = (off, h)
    return [chosen[m][1] for m in sorted(chosen)]


def pack(hashes: list[int]) -> bytes:
    return np.asarray(hashes, dtype="<u8").tobytes()


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)


@dataclass(frozen=True)
class Fingerprint:
    """What a video's frames gave: the hashes kept (every STEP_S) and the fine ones (every
    DENSE_S), which find a kept frame of a copy whatever its offset."""

    kept: np.ndarray
    dense: np.ndarray

    @classmethod
    def of(cls, times: list[float], hashes: list[int | None]) -> "Fingerprint":
        dense = np.asarray([h for h in hashes if h is not None], dtype=np.uint64)
        return cls(np.asarray(kept(times, hashes), dtype=np.uint64), dense)


@dataclass(frozen=True)
class Match:
    video_id: int
    share: float  # of the frames the two videos share in time, how many look alike
    matched: int


def compare(stored: np.ndarray, new: Fingerprint) -> tuple[float, int]:
    """(share, count): how many of a stored video's kept frames have a frame of `new`
    within MATCH_BITS bits, against as many as the shorter of the two can share."""
    if not len(stored) or not len(new.dense):
        return 0.0, 0
    matched = int((_nearest(stored, new.dense) <= MATCH_BITS).sum())
    shared = min(len(stored), max(1, len(new.kept)))
    return min(1.0, matched / shared), matched


def is_copy(share: float, matched: int, stored: int, new: int) -> bool:
    return share >= MATCH_SHARE and matched >= min(MIN_MATCHED, stored, max(1, new))


def _nearest(a: np.ndarray, b: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """For each hash of `a`, the fewest differing bits to any hash of `b`."""
    best = np.full(len(a), 64, dtype=np.uint8)
    rows = max(1, chunk // max(1, len(a)))
    for start in range(0, len(b), rows):
        bits = np.bitwise_count(a[:, None] ^ b[None, start:start + rows])
        np.minimum(best, bits.min(axis=1), out=best)
    return best


class CopyIndex:
    """The kept fingerprints of a library's videos in memory, to find which one a new video
    copies: all of them in one array (100,000 videos of 20 hashes each is 16 MB), a cheap
    pass for the videos with any like frame, then each of those compared."""

    def __init__(self, conn: sqlite3.Connection):
        self._ids: list[int] = []
        self._parts: list[np.ndarray] = []
        self._stacked: tuple[np.ndarray, np.ndarray] | None = None
        for video_id, blob in conn.execute("SELECT video_id, hashes FROM frame_hashes "
                                           "ORDER BY video_id"):
            self.add(video_id, unpack(blob))

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, video_id: int, kept_hashes: np.ndarray) -> None:
        if len(kept_hashes):
            self._ids.append(video_id)
            self._parts.append(np.asarray(kept_hashes, dtype=np.uint64))
            self._stacked = None

    def find(self, new: Fingerprint, *, exclude: int | None = None) -> Match | None:
        """The video `new` is a copy of (the best match; the oldest of equals), or None."""
        if not len(new.dense) or not self._ids:
            return None
        if self._stacked is None:
            owner = np.repeat(np.arange(len(self._ids)), [len(p) for p in self._parts])
            self._stacked = (np.concatenate(self._parts), owner)
        every, owner = self._stacked
        probe = new.dense
        if len(probe) > PROBE_HASHES:  # the cheap pass looks with a spread of them
            probe = probe[np.linspace(0, len(probe) - 1, PROBE_HASHES).astype(int)]
        near = _nearest(every, probe) <= MATCH_BITS
        best: Match | None = None
        for index in np.unique(owner[near]):
            video_id = self._ids[index]
            if video_id == exclude:
                continue
            share, matched = compare(self._parts[index], new)
            if is_copy(share, matched, len(self._parts[index]), len(new.kept)) and (
                    best is None or share > best.share):
                best = Match(video_id, round(share, 4), matched)
        return best


# -- the library's records -------------------------------------------------------------------

def store_hashes(conn: sqlite3.Connection, video_id: int, hashes: list[int]) -> None:
    """Keep a video's fingerprint, inside the caller's transaction."""
    conn.execute("INSERT INTO frame_hashes(video_id, step_s, hashes) VALUES (?, ?, ?) "
                 "ON CONFLICT(video_id) DO UPDATE SET step_s = excluded.step_s, "
                 "hashes = excluded.hashes", (video_id, STEP_S, pack(hashes)))


def original_of(conn: sqlite3.Connection, video_id: int) -> int:
    """The video a chain of copies starts at (a copy of a copy links to the first)."""
    seen = {video_id}
    while True:
        row = conn.execute("SELECT copy_of FROM videos WHERE id = ?", (video_id,)).fetchone()
        if row is None or row[0] is None or row[0] in seen:
            return video_id
        video_id = row[0]
        seen.add(video_id)


def link(conn: sqlite3.Connection, video_id: int, match: Match | None) -> int | None:
    """Record that `video_id` is a copy of what `match` found (its original, if that is
    itself a copy), unless the creator said it is not; inside the caller's transaction.
    Returns the original's id, or None when nothing was linked."""
    if match is None:
        return None
    original = original_of(conn, match.video_id)
    if original == video_id:
        return None
    unlinked = conn.execute("SELECT not_copy_of FROM videos WHERE id = ?",
                            (video_id,)).fetchone()
    if unlinked is not None and unlinked[0] in (original, match.video_id):
        return None
    conn.execute("UPDATE videos SET copy_of = ? WHERE id = ?", (original, video_id))
    return original
