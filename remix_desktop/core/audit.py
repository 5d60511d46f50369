"""The audit trail: one row for every change, written in the change's own transaction."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass

from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    action: str
    scope: str
    old: str
    new: str
    count: int
    undoable: bool
    undone_by: int | None
    undo_of: int | None
    video_name: str = ""  # the file name of the one video the change was about, if any
    previews_removed: int = 0  # remix previews the change deleted (undo does not restore)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def named_scope(self) -> str:
        """'video 12 (espresso.mp4)' where the video's name is known, else the scope."""
        return f"{self.scope} ({self.video_name})" if self.video_name else self.scope

    def sentence(self) -> str:
        text = (f"{self.action} {self.named_scope}: {self.old} -> {self.new} "
                f"({self.count} videos)")
        if self.previews_removed:
            text += (f" [{self.previews_removed} preview"
                     f"{'s' if self.previews_removed != 1 else ''} deleted]")
        if self.undone_by:
            text += f" [undone by #{self.undone_by}]"
        return text


def record(
    conn: sqlite3.Connection, *, action: str, scope: str, old: str, new: str, count: int,
    undoable: bool = False, undo_of: int | None = None,
) -> int:
    """Write one audit row inside the caller's transaction and return its id."""
    cur = conn.execute(
        "INSERT INTO audit(at, action, scope, old, new, count, undoable, undo_of) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), action, scope, old, new, count, int(undoable), undo_of),
    )
    return int(cur.lastrowid)


def summarize(values: list[str]) -> str:
    """'default' when all were the same, else 'default ×5, allow ×2' (most common first)."""
    return summarize_counts(Counter(values))


def summarize_counts(counts: dict[str, int]) -> str:
    if not counts:
        return "-"
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{value} ×{n}" for value, n in sorted(counts.items(), key=lambda kv: -kv[1]))


_COLUMNS = ("id, at, action, scope, old, new, count, undoable, undone_by, undo_of, "
            "previews_removed")


def _entry(r: tuple) -> AuditEntry:
    return AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9],
                      previews_removed=r[10])


def entries(conn: sqlite3.Connection, limit: int | None = None) -> list[AuditEntry]:
    sql = f"SELECT {_COLUMNS} FROM audit ORDER BY id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_entry(r) for r in conn.execute(sql)]


def entry(conn: sqlite3.Connection, audit_id: int) -> AuditEntry:
    return _entry(conn.execute(f"SELECT {_COLUMNS} FROM audit WHERE id = ?",
                               (audit_id,)).fetchone())


def to_csv(items: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(AuditEntry.__dataclass_fields__))
    writer.writeheader()
    for item in items:
        writer.writerow(item.to_dict())
    return out.getvalue()


def to_json(items: list[AuditEntry]) -> str:
    return json.dumps([item.to_dict() for item in items], indent=2, ensure_ascii=False)
