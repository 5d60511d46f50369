"""What consent needs to know of a video's pictures: whether it shows a face, and which video
it is a copy of. One pass over the file gives both (`look`); the import records them for a new
video, `check_videos` for the videos already in the library (a job that yields progress and,
since a video's facts are written with it, takes up after a restart where it stopped).

These looks read frames of every video, denied ones too: they decide consent, they make no
remix, and what they find stays in the library (a share, some times and 64-bit hashes).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Generator

import cv2
import numpy as np

from . import audit, copies, faces, frames, media
from .consent_rule import (FACE_SHARE, FACTS_SQL, ConsentState, Verdict, VideoFacts,
                           verdict)
from .previews import delete_files, drop_for_videos
from .copies import CopyIndex, Fingerprint, Match
from .media import MediaError

FACE_SAMPLES = 12  # frames looked at for a face, spread over the video
END_MARGIN_S = 0.15  # no frame is looked for in the last this much (a 10 fps clip's frame)


@dataclass(frozen=True)
class Look:
    """One video's pictures, as consent needs them."""

    face_share: float  # of the samples looked at, the share that showed a face
    face_samples: int  # how many samples were looked at
    faces_at: tuple[float, ...]  # the times (s) of the samples that showed a face
    fingerprint: Fingerprint

    @property
    def shows_face(self) -> bool:
        return shows_face(self.face_share)


def shows_face(share: float | None) -> bool:
    return share is not None and share >= FACE_SHARE


def look(path: str | os.PathLike, duration_s: float,
         cancelled: Callable[[], bool] = lambda: False) -> Look:
    """Look at a video once: FACE_SAMPLES frames for faces and a frame every DENSE_S for its
    fingerprint, in time order from one open file. Raises MediaError for a file that cannot
    be read, and Cancelled when `cancelled()` says so."""
    # the last times stop short of the end: a look that reaches the end of the data is
    # taken for a damaged file and read again, carefully, from the start
    duration_s = max(0.0, duration_s - END_MARGIN_S)
    dense = copies.hash_times(duration_s, copies.DENSE_S)
    face_times = frames.sample_times(duration_s, FACE_SAMPLES)
    wanted = sorted({*dense, *face_times})
    is_dense, is_face = set(dense), set(face_times)
    hashes: dict[float, int | None] = {}
    found: list[float] = []
    looked = 0
    with frames._Reader(path) as reader:
        for count, t in enumerate(wanted):
            if count % 32 == 0 and cancelled():
                raise Cancelled()
            frame = reader.frame_at(t)
            if t in is_face:
                looked += 1
                if faces.detect_faces(frames._pixels(frame, None, faces.DETECT_SIDE),
                                      survey=True):
                    found.append(round(t, 3))
            if t in is_dense:
                hashes[t] = copies.dct_hash(_hash_picture(frame))
    share = round(len(found) / looked, 4) if looked else 0.0
    return Look(share, looked, tuple(found), Fingerprint.of(dense, [hashes[t] for t in dense]))


def _hash_picture(frame) -> "np.ndarray":
    """The grey HASH_SIDE-square picture a frame is hashed from: the decoded frame's own
    luma plane averaged down (no RGB picture is made: a tenth of the cost), turned upright
    as it is shown (a copy re-encoded upright matches its rotated original)."""
    side = copies.HASH_SIDE
    if frame.format.name in _EIGHT_BIT_Y_FIRST:  # the luma plane is the grey picture
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        grey = cv2.resize(luma[:frame.height, :frame.width], (side, side),
                          interpolation=cv2.INTER_AREA)
    else:
        grey = frame.reformat(width=side, height=side, format="gray",
                              interpolation="AREA").to_ndarray()
    return media.upright(grey, media.display_rotation(frame.rotation))


_EIGHT_BIT_Y_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p",
                                "yuvj444p", "nv12", "nv21", "yuv411p", "yuv440p", "gray"})


class Cancelled(Exception):
    """A look stopped on request."""


def face_values(seen: Look) -> tuple[float, int, str]:
    """The videos table's face_share, face_samples and faces_at for a look."""
    return seen.face_share, seen.face_samples, json.dumps(list(seen.faces_at))


def record(conn: sqlite3.Connection, video_id: int, seen: Look, index: CopyIndex | None,
           *, newer: bool = False):
    """Write a look's facts for `video_id` inside the caller's transaction: the face share,
    the fingerprint, and the copy link when `index` finds the video it copies (or a newer
    video that copies it). Returns the video it was linked to, or None; with `newer`,
    (that, the newer video linked to it or None)."""
    conn.execute("UPDATE videos SET face_share = ?, face_samples = ?, faces_at = ? "
                 "WHERE id = ?", (*face_values(seen), video_id))
    copies.store_hashes(conn, video_id, [int(h) for h in seen.fingerprint.kept])
    linked = later = None
    match = index.find(seen.fingerprint, exclude=video_id) if index is not None else None
    if match is not None:
        if match.video_id < video_id:  # the older video is the original
            if conn.execute("SELECT copy_of FROM videos WHERE id = ?",
                            (video_id,)).fetchone()[0] is None:
                linked = copies.link(conn, video_id, match)
        else:  # found later than a newer copy of it (it was looked at after the copy)
            row = conn.execute("SELECT copy_of FROM videos WHERE id = ?",
                               (match.video_id,)).fetchone()
            if row is not None and row[0] is None and copies.link(
                    conn, match.video_id, Match(video_id, match.share, match.matched)):
                later = match.video_id
    return (linked, later) if newer else linked


# -- the videos already in the library -------------------------------------------------------

@dataclass(frozen=True)
class CheckProgress:
    done: int
    total: int
    video_id: int
    name: str
    outcome: str  # checked | skipped (the file cannot be read now)
    detail: str = ""


@dataclass
class CheckReport:
    checked: int = 0
    faces: int = 0  # of those checked, how many show a face
    linked: list[tuple[int, int]] = field(default_factory=list)  # (copy, original)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (video, why)
    denied: int = 0  # videos the looks left denied that were allowed before
    previews_removed: int = 0  # their remix previews, deleted (as a consent change does)
    cancelled: bool = False
    audit_id: int | None = None  # the run's audit row, once a look changed a verdict

    def summary(self) -> str:
        parts = [f"{self.checked} looked at", f"{self.faces} with a face",
                 f"{len(self.linked)} cop{'y' if len(self.linked) == 1 else 'ies'} found"]
        if self.denied:
            parts.append(f"{self.denied} now denied")
        return ", ".join(parts)


def unchecked(conn: sqlite3.Connection) -> list[int]:
    """The videos whose pictures were not looked at yet, oldest first."""
    return [r[0] for r in conn.execute("SELECT id FROM videos WHERE face_share IS NULL "
                                       "ORDER BY id")]


def waiting(library) -> int:
    """How many of the library's videos are still to be looked at."""
    return library.conn.execute("SELECT count(*) FROM videos WHERE face_share IS NULL"
                                ).fetchone()[0]


def check_videos(library, ids: list[int] | None = None,
                 cancelled: Callable[[], bool] = lambda: False,
                 ) -> Generator[CheckProgress, None, CheckReport]:
    """Look at every video not looked at yet (or those of `ids`), oldest first, each one's
    facts written in its own transaction: stopped or killed, it takes up where it was. A
    video whose file cannot be read now is skipped (and looked at again next time)."""
    with library.read() as conn:
        todo = unchecked(conn) if ids is None else sorted(set(ids))
        index = CopyIndex(conn)
    report = CheckReport()
    for done, video_id in enumerate(todo, start=1):
        if cancelled():
            report.cancelled = True
            break
        try:
            video = library.video(video_id)
        except Exception:  # noqa: BLE001 - removed meanwhile
            continue
        try:
            seen = look(video.path, video.duration_s, cancelled)
        except Cancelled:
            report.cancelled = True
            break
        except (MediaError, OSError) as exc:
            why = getattr(exc, "reason", None) or str(exc)
            report.skipped.append((video_id, why))
            yield CheckProgress(done, len(todo), video_id, video.name, "skipped", why)
            continue
        with library.write() as conn:
            if conn.execute("SELECT 1 FROM videos WHERE id = ?", (video_id,)).fetchone() is None:
                continue  # removed while it was looked at
            linked, removed = _record_and_judge(conn, video_id, seen, index, report)
        delete_files(library.home, removed)  # after the commit (else: swept)
        index.add(video_id, seen.fingerprint.kept)
        detail = ("shows a face" if seen.shows_face else "no face") + (
            f"; a copy of video {linked}" if linked is not None else "")
        yield CheckProgress(done, len(todo), video_id, video.name, "checked", detail)
    return report


def _record_and_judge(conn: sqlite3.Connection, video_id: int, seen: Look, index: CopyIndex,
                      report: CheckReport) -> tuple[int | None, list[str]]:
    """`record`, and what it did to consent: a video it leaves denied (the one looked at, or
    a newer copy of it now linked to it) has its previews deleted, as a consent change
    would, and is counted in the run's audit row, in the same transaction. Returns the
    video it was linked to and the preview files to delete after the commit."""
    state = _state(conn)
    before = {video_id: _verdict(conn, video_id, state)}
    linked, newer = record(conn, video_id, seen, index, newer=True)
    after = {video_id: _verdict(conn, video_id, state)}
    if newer is not None:
        facts = _facts(conn, newer)
        after[newer] = verdict(facts, state)
        before[newer] = verdict(facts._replace(copy_of="", original=""), state)  # unlinked
    newly = [i for i, said in after.items()
             if said.removes_previews and not before[i].removes_previews]
    removed = drop_for_videos(conn, newly)
    report.checked += 1
    report.faces += seen.shows_face
    if linked is not None:
        report.linked.append((video_id, linked))
    if newer is not None:
        report.linked.append((newer, video_id))
    report.denied += len(newly)
    report.previews_removed += len(removed)
    # the run's one audit row, brought up to date in each video's transaction: killed, it
    # says what was looked at until then
    text = report.summary()
    if report.audit_id is None:
        report.audit_id = audit.record(conn, action="look", scope="library", old="-",
                                       new=text, count=report.checked)
    else:
        conn.execute("UPDATE audit SET new = ?, count = ? WHERE id = ?",
                     (text, report.checked, report.audit_id))
    conn.execute("UPDATE audit SET previews_removed = ? WHERE id = ?",
                 (report.previews_removed, report.audit_id))
    return linked, removed


def _facts(conn: sqlite3.Connection, video_id: int) -> VideoFacts:
    return VideoFacts._make(conn.execute(f"SELECT {FACTS_SQL} FROM videos WHERE id = ?",
                                         (video_id,)).fetchone())


def _verdict(conn: sqlite3.Connection, video_id: int, state: ConsentState) -> Verdict:
    return verdict(_facts(conn, video_id), state)


def _state(conn: sqlite3.Connection) -> ConsentState:
    from .consent import Consent  # consent looks through this module: imported when used

    return Consent._read_state(conn)


def run_checks(library, ids: list[int] | None = None) -> CheckReport:
    job = check_videos(library, ids)
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value
