"""The captions kept with each video: every caption made (by the model or from a template)
or typed by the creator, with its provenance. The owner of the `captions` table.

A caption is kept when it is made, so it is there again when the video is selected or the app
restarts; the creator stars, edits and deletes them. An edit keeps the caption's provenance
(source, model, seed) and records when it was edited.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .audit import utc_now
from .captions import CaptionRun, clean_user_caption
from .errors import UsageError
from .library import Library

SOURCES = ("model", "template", "creator")
_COLUMNS = ("id, video_id, text, source, format, model_id, seed, topic, starred, created_at, "
            "edited_at")


@dataclass(frozen=True)
class StoredCaption:
    id: int
    video_id: int
    text: str
    source: str  # "model", "template" or "creator"
    format: str | None
    model_id: str | None
    seed: int | None
    topic: dict | None  # the topic it was written for
    starred: bool
    created_at: str
    edited_at: str | None

    def as_dict(self) -> dict:
        return asdict(self)


class CaptionStore:
    def __init__(self, library: Library):
        self.library = library

    def list(self, video_id: int) -> list[StoredCaption]:
        """The video's captions, oldest first (starred ones are not moved: order is made)."""
        self.library.video(video_id)
        rows = self.library.conn.execute(
            f"SELECT {_COLUMNS} FROM captions WHERE video_id = ? ORDER BY id",
            (video_id,)).fetchall()
        return [_row(r) for r in rows]

    def get(self, caption_id: int) -> StoredCaption:
        row = self.library.conn.execute(f"SELECT {_COLUMNS} FROM captions WHERE id = ?",
                                        (caption_id,)).fetchone()
        if row is None:
            raise UsageError(f"There is no caption {caption_id}")
        return _row(row)

    def used_formats(self, video_id: int, *, recent: int = 24,
                     seed: int | None = None) -> tuple[tuple[str, float], ...]:
        """The formats this video's captions use (weight 2 each) and those of the latest
        `recent` captions made for other videos (1 each, at most 2 a format): what a new
        run should not say again (CaptionContext.used). This video's captions of a run
        with `seed` do not count: the same seed again gives the same captions."""
        mine = "" if seed is None else (
            " AND NOT (seed = ? OR seed BETWEEN ? AND ?)")  # a run's lines: seed, seed*1000+i
        args = () if seed is None else (seed, seed * 1000, seed * 1000 + 999)
        own = [r[0] for r in self.library.conn.execute(
            "SELECT format FROM captions WHERE video_id = ? AND format IS NOT NULL" + mine,
            (video_id, *args))]
        others = [r[0] for r in self.library.conn.execute(
            "SELECT format FROM captions WHERE video_id != ? AND format IS NOT NULL "
            "ORDER BY id DESC LIMIT ?", (video_id, recent))]
        return used_weights(own, others)

    def add_run(self, video_id: int, run: CaptionRun, model_id: str | None) -> list[StoredCaption]:
        """Keep the captions of a model run; a text the video already has is not kept twice
        (the kept one is returned in its place)."""
        topic = json.dumps(run.topic.as_dict()) if run.topic is not None else None
        if run.shown:
            self.suggest(video_id, run.shown, model_id)
        return [self._add(video_id, c.text, "template" if c.source == "template" else "model",
                          c.format or None, model_id, c.seed, topic) for c in run.captions]

    # -- what a vision model saw: a suggestion for the video's description ------------------

    def suggest(self, video_id: int, shown: str, model_id: str | None) -> None:
        """Keep what a vision model said the frame shows (the latest replaces the one
        before; the creator's own description is never touched here)."""
        text = " ".join(shown.split())[:300]
        if not text:
            return
        with self.library.write() as conn:
            conn.execute("INSERT INTO suggestions(video_id, shown, model_id, created_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT(video_id) DO UPDATE SET "
                         "shown = excluded.shown, model_id = excluded.model_id, "
                         "created_at = excluded.created_at",
                         (video_id, text, model_id, utc_now()))

    def suggestion(self, video_id: int) -> tuple[str, str | None] | None:
        """(what the frame shows, the model that said so) for the video, or None."""
        row = self.library.conn.execute(
            "SELECT shown, model_id FROM suggestions WHERE video_id = ?", (video_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def dismiss_suggestion(self, video_id: int) -> None:
        """The creator took the suggestion into the description, or turned it down."""
        with self.library.write() as conn:
            conn.execute("DELETE FROM suggestions WHERE video_id = ?", (video_id,))

    def add_own(self, video_id: int, text: str) -> StoredCaption:
        """A caption the creator typed."""
        return self._add(video_id, text, "creator", None, None, None, None)

    def edit(self, caption_id: int, text: str) -> StoredCaption:
        clean = clean_user_caption(text)
        if not clean:
            raise UsageError("A caption cannot be empty; delete it instead")
        self.get(caption_id)
        with self.library.write() as conn:
            conn.execute("UPDATE captions SET text = ?, edited_at = ? WHERE id = ?",
                         (clean, utc_now(), caption_id))
        return self.get(caption_id)

    def star(self, caption_id: int, starred: bool = True) -> StoredCaption:
        self.get(caption_id)
        with self.library.write() as conn:
            conn.execute("UPDATE captions SET starred = ? WHERE id = ?",
                         (int(bool(starred)), caption_id))
        return self.get(caption_id)

    def delete(self, caption_id: int) -> StoredCaption:
        """Delete a caption; returns it as it was, for `restore` (an Undo)."""
        gone = self.get(caption_id)
        with self.library.write() as conn:
            conn.execute("DELETE FROM captions WHERE id = ?", (caption_id,))
        return gone

    def restore(self, caption: StoredCaption) -> StoredCaption:
        """Put a deleted caption back as it was (text, source, format, model, seed, topic,
        star and times); the video must still be in the library. A caption with the same
        text that the video has meanwhile is kept instead."""
        self.library.video(caption.video_id)
        with self.library.write() as conn:
            row = conn.execute("SELECT id FROM captions WHERE video_id = ? AND text = ?",
                               (caption.video_id, caption.text)).fetchone()
            if row is not None:
                return self.get(row[0])
            cur = conn.execute(
                "INSERT INTO captions(video_id, text, source, format, model_id, seed, topic, "
                "starred, created_at, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (caption.video_id, caption.text, caption.source, caption.format,
                 caption.model_id, caption.seed,
                 json.dumps(caption.topic) if caption.topic is not None else None,
                 int(caption.starred), caption.created_at, caption.edited_at))
        return self.get(cur.lastrowid)

    def _add(self, video_id, text, source, fmt, model_id, seed, topic) -> StoredCaption:
        clean = clean_user_caption(text)
        if not clean:
            raise UsageError("A caption cannot be empty")
        self.library.video(video_id)
        with self.library.write() as conn:
            row = conn.execute("SELECT id FROM captions WHERE video_id = ? AND text = ?",
                               (video_id, clean)).fetchone()
            if row is None:
                cur = conn.execute(
                    "INSERT INTO captions(video_id, text, source, format, model_id, seed, topic,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (video_id, clean, source, fmt, model_id, seed, topic, utc_now()))
                caption_id = cur.lastrowid
            else:
                caption_id = row[0]
        return self.get(caption_id)


def used_weights(own, others) -> tuple[tuple[str, float], ...]:
    """CaptionContext.used from the formats of this video's captions (2 each) and of the
    library's latest captions of other videos (1 each, at most 2 a format)."""
    weights: dict[str, float] = {}
    for fmt in own:
        weights[fmt] = weights.get(fmt, 0.0) + 2.0
    counted: dict[str, float] = {}
    for fmt in others:
        counted[fmt] = min(counted.get(fmt, 0.0) + 1.0, 2.0)
    for fmt, weight in counted.items():
        weights[fmt] = weights.get(fmt, 0.0) + weight
    return tuple(sorted(weights.items()))


def _row(r) -> StoredCaption:
    return StoredCaption(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                         json.loads(r[7]) if r[7] else None, bool(r[8]), r[9], r[10])
