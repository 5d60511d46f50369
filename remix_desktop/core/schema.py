"""The library's tables: the ordered migrations and the one field list of a video.

`Video`'s fields are the list: the columns read (VIDEO_COLUMNS), `NewVideo` (what an import
supplies) and the INSERT are made from it, so a new column is one migration and one field.
Setting defaults come from the declarations in settings.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import NamedTuple

from .audit import utc_now
from .settings import SETTINGS

# Ordered migrations: index i takes the schema from version i to i + 1. Never edit a shipped
# migration; append a new one.
MIGRATIONS: list[str] = [
    # 1: videos, settings, the audit trail and the per-video record that makes undo possible.
    """
    CREATE TABLE videos (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        duration_s REAL NOT NULL,
        fps REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        rotation INTEGER NOT NULL DEFAULT 0,
        codec TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        thumbnail TEXT,
        permission TEXT NOT NULL DEFAULT 'default'
            CHECK (permission IN ('allow', 'deny', 'default')),
        added_at TEXT NOT NULL
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        scope TEXT NOT NULL,
        old TEXT NOT NULL,
        new TEXT NOT NULL,
        count INTEGER NOT NULL,
        undoable INTEGER NOT NULL DEFAULT 0,
        undone_by INTEGER REFERENCES audit(id),
        undo_of INTEGER REFERENCES audit(id)
    );
    CREATE TABLE audit_changes (
        audit_id INTEGER NOT NULL REFERENCES audit(id) ON DELETE CASCADE,
        video_id INTEGER NOT NULL,
        old TEXT NOT NULL,
        PRIMARY KEY (audit_id, video_id)
    ) WITHOUT ROWID;
    """,
    # 2: the remix previews cached in the home, so revoking consent can delete them.
    """
    CREATE TABLE previews (
        id INTEGER PRIMARY KEY,
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        request_hash TEXT NOT NULL UNIQUE,
        file TEXT NOT NULL,
        caption TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    );
    CREATE INDEX previews_by_video ON previews(video_id);
    """,
    # 3: whether a preview's frame shows a face (the window warns about likeness).
    """
    ALTER TABLE previews ADD COLUMN face INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: model files the creator added (copied into the models folder, or by reference).
    """
    CREATE TABLE models (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        family TEXT NOT NULL,
        label TEXT NOT NULL,
        size INTEGER NOT NULL,
        copied INTEGER NOT NULL,
        added_at TEXT NOT NULL
    );
    """,
    # 5: a path no longer has to be unique. When a file at a known path is replaced by other
    # content (another video moved onto it, a new recording under the same name), the new
    # content is a video of its own and the old row stays, its file gone, so its decision is
    # kept and shown; the content fingerprint stays unique. (A table rebuild: SQLite cannot
    # drop a column's UNIQUE; foreign keys are off around it, see Library._migrate.)
    """
    CREATE TABLE videos_v5 (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        duration_s REAL NOT NULL,
        fps REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        rotation INTEGER NOT NULL DEFAULT 0,
        codec TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        thumbnail TEXT,
        permission TEXT NOT NULL DEFAULT 'default'
            CHECK (permission IN ('allow', 'deny', 'default')),
        added_at TEXT NOT NULL
    );
    INSERT INTO videos_v5 SELECT id, path, fingerprint, size, mtime, duration_s, fps, width,
        height, rotation, codec, title, description, tags, thumbnail, permission, added_at
        FROM videos;
    DROP TABLE videos;
    ALTER TABLE videos_v5 RENAME TO videos;
    CREATE INDEX videos_by_path ON videos(path);
    """,
    # 6: the SHA-256 of a model file the creator added, taken when it was added, and the file
    # identity (size, times, inode) it was last checked at: a swapped file is refused.
    """
    ALTER TABLE models ADD COLUMN sha256 TEXT;
    ALTER TABLE models ADD COLUMN checked TEXT;
    """,
    # 7: every caption made or typed for a video, kept with it (core.captions_store owns it).
    """
    CREATE TABLE captions (
        id INTEGER PRIMARY KEY,
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('model', 'template', 'creator')),
        format TEXT,
        model_id TEXT,
        seed INTEGER,
        topic TEXT,
        starred INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        edited_at TEXT
    );
    CREATE INDEX captions_by_video ON captions(video_id, id);
    """,
    # 8: what kind of remix a preview is (core.previews.OUTPUT_KINDS: still, later animated).
    """
    ALTER TABLE previews ADD COLUMN kind TEXT NOT NULL DEFAULT 'still';
    """,
    # 9: how many remix previews a consent change deleted (they are not brought back by undo).
    """
    ALTER TABLE audit ADD COLUMN previews_removed INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: preview numbers are never used twice (an export is named after its preview's number:
    # a number reused after a deletion gave two different pictures one name). A rebuild with
    # AUTOINCREMENT; foreign keys are off around it, see Library._migrate.
    """
    CREATE TABLE previews_v10 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        request_hash TEXT NOT NULL UNIQUE,
        file TEXT NOT NULL,
        caption TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        face INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL DEFAULT 'still'
    );
    INSERT INTO previews_v10 SELECT id, video_id, request_hash, file, caption, params,
        created_at, face, kind FROM previews;
    DROP TABLE previews;
    ALTER TABLE previews_v10 RENAME TO previews;
    CREATE INDEX previews_by_video ON previews(video_id);
    """,
    # 11: a vision caption model is a language model with its vision projector (an mmproj
    # GGUF), added together: the projector's file and its SHA-256, as the model's.
    """
    ALTER TABLE models ADD COLUMN projector TEXT;
    ALTER TABLE models ADD COLUMN projector_sha256 TEXT;
    ALTER TABLE models ADD COLUMN projector_checked TEXT;
    """,
    # 12: what a vision caption model said a video's frame shows, kept with the video as a
    # suggestion for its description (core.captions_store owns it); one a video, the latest.
    """
    CREATE TABLE suggestions (
        video_id INTEGER PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
        shown TEXT NOT NULL,
        model_id TEXT,
        created_at TEXT NOT NULL
    );
    """,
    # 13: a model quantized here from another: which one, and its weight type (q8_0, q4_0…).
    """
    ALTER TABLE models ADD COLUMN derived_from TEXT;
    ALTER TABLE models ADD COLUMN weight_type TEXT;
    """,
    # 14: what consent knows of a video's pictures (core.video_checks): the share of the
    # frames looked at that showed a face (NULL: not looked at yet), how many were looked at
    # and when the faces were; the video it is a copy of (core.copies) and the one the creator
    # said it is not a copy of; and each video's perceptual fingerprint.
    """
    ALTER TABLE videos ADD COLUMN face_share REAL;
    ALTER TABLE videos ADD COLUMN face_samples INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE videos ADD COLUMN faces_at TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE videos ADD COLUMN copy_of INTEGER REFERENCES videos(id) ON DELETE SET NULL;
    ALTER TABLE videos ADD COLUMN not_copy_of INTEGER;
    CREATE INDEX videos_by_copy ON videos(copy_of);
    CREATE TABLE frame_hashes (
        video_id INTEGER PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
        step_s REAL NOT NULL,
        hashes BLOB NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

SETTING_DEFAULTS = {s.key: s.stored(s.default) for s in SETTINGS}


class Video(NamedTuple):
    """One video of the library (immutable; a tuple, so 100,000 of them load quickly)."""

    id: int
    path: str
    fingerprint: str
    size: int
    mtime: float
    duration_s: float
    fps: float
    width: int
    height: int
    rotation: int
    codec: str
    title: str
    description: str
    tags: tuple[str, ...]
    thumbnail: str | None
    permission: str
    added_at: str
    face_share: float | None  # None: its frames were not looked at for faces yet
    face_samples: int
    faces_at: str  # JSON: the times of the frames looked at that showed a face
    copy_of: int | None  # the video it is a copy of (core.copies)
    not_copy_of: int | None  # the video the creator said it is not a copy of

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @classmethod
    def from_row(cls, row: tuple) -> "Video":
        tags = row[_TAGS]
        # tuple.__new__ straight from the row's parts: NamedTuple's own __new__ is Python
        return tuple.__new__(cls, (*row[:_TAGS], () if not tags or tags == "[]" else
                                   tuple(json.loads(tags)), *row[_TAGS + 1:]))


VIDEO_COLUMNS = ", ".join(Video._fields)
_TAGS = Video._fields.index("tags")
_SET_BY_LIBRARY = ("id", "permission", "added_at", "copy_of", "not_copy_of")  # not an import's
_NEW_DEFAULTS = {"title": "", "description": "", "tags": (), "thumbnail": None,
                 "face_share": None, "face_samples": 0, "faces_at": "[]"}

NewVideo = dataclasses.make_dataclass(
    "NewVideo",
    [(name, Video.__annotations__[name]) if name not in _NEW_DEFAULTS else
     (name, Video.__annotations__[name], dataclasses.field(default=_NEW_DEFAULTS[name]))
     for name in Video._fields if name not in _SET_BY_LIBRARY],
    frozen=True)
NewVideo.__module__ = __name__
NewVideo.__doc__ = "What the importer learned about a file, ready to be inserted."

_NEW_FIELDS = tuple(f.name for f in dataclasses.fields(NewVideo))
INSERT_VIDEO = (f"INSERT INTO videos({', '.join(_NEW_FIELDS)}, added_at) "
                f"VALUES ({', '.join('?' * (len(_NEW_FIELDS) + 1))})")


def insert_values(video) -> tuple:
    """The parameters of INSERT_VIDEO for a NewVideo (the permission starts at default)."""
    values = [getattr(video, name) for name in _NEW_FIELDS]
    values[_NEW_FIELDS.index("tags")] = json.dumps(list(video.tags))
    return (*values, utc_now())
