"""Consent: the verdict (see consent_rule), the gate every model-facing path calls, and changes.

Every permission change goes through `Consent._change`, which writes the change, its audit
row, the record that makes it undoable and the removal of previews that may no longer exist,
all in one transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from . import audit, previews
from .errors import RemixNotAllowed, UndoConflict, UsageError, VideoFileProblem
from .consent_rule import (FACTS_KEY_SQL, FACTS_SQL, ConsentState, Reason,  # noqa: F401
                           Verdict, VideoFacts, facts_by_id, facts_sql, verdict)
from .library import PERMISSIONS, SETTING_DEFAULTS, Library, Video
from .video_files import (FileState, fingerprint, problem_sentence, quick_state, quick_states,
                          verify)

ALL = "all"
"""Pass as the selection to change every video in the library."""


@dataclass(frozen=True)
class Change:
    """What a change did: its audit row (None when nothing changed) and how many videos."""

    audit_id: int | None
    count: int
    summary: str
    previews_removed: int = 0
    previews_not_restored: int = 0  # an undo: previews the undone change deleted stay gone
    per_video: bool = True  # videos' own permissions changed (not only the library's state)


@dataclass(frozen=True)
class Clearance:
    """Proof that the gate let a video through at a moment; model-facing code takes this."""

    video: Video
    reason: str


class Consent:
    def __init__(self, library: Library):
        self.library = library

    # -- reading ---------------------------------------------------------------------------

    def state(self) -> ConsentState:
        return self._read_state(self.library.conn)

    def verdict(self, video: Video | int, state: ConsentState | None = None) -> Verdict:
        """Whether `video` (or the video of that id) may be remixed now, and why."""
        return verdict(self.facts_of(video), state or self.state())

    def facts_of(self, video: Video | int) -> VideoFacts:
        """What the consent rule knows of one video now."""
        video_id = video if isinstance(video, int) else video.id
        row = self.library.conn.execute(f"SELECT {FACTS_SQL} FROM videos WHERE id = ?",
                                        (video_id,)).fetchone()
        if row is None:
            raise UsageError(f"There is no video with id {video_id} in the library")
        return VideoFacts._make(row)

    def explain(self, video: Video, said: Verdict) -> str:
        """The verdict's reason for this video in words: a copy names the video it copies
        ("it is a copy of 'morning espresso', which you denied")."""
        if said.reason is Reason.COPY_OF_DENIED and video.copy_of is not None:
            try:
                original = self.library.video(video.copy_of)
            except UsageError:
                return said.sentence
            return f"it is a copy of '{original.title or original.name}', which you denied"
        return said.sentence

    def facts(self) -> dict[int, VideoFacts]:
        """What the consent rule knows of every video (id -> facts), in one query."""
        return facts_by_id(self.library.conn.execute(f"SELECT id, {FACTS_KEY_SQL} FROM videos"))

    def audit_entries(self, limit: int | None = None) -> list[audit.AuditEntry]:
        """The audit trail, newest first, each change of one video with that video's file
        name (the window's audit view and the CLI's `audit`)."""
        return self._named(audit.entries(self.library.conn, limit))

    def changed_videos(self, audit_id: int, limit: int = 200) -> tuple[list[tuple], int]:
        """The videos one permission change changed, by name: ([(video id, name or '',
        old permission)], how many there were in all); a removed video has no name."""
        conn = self.library.conn
        total = conn.execute("SELECT count(*) FROM audit_changes WHERE audit_id = ?",
                             (audit_id,)).fetchone()[0]
        rows = conn.execute(
            "SELECT c.video_id, v.path, c.old FROM audit_changes c LEFT JOIN videos v "
            "ON v.id = c.video_id WHERE c.audit_id = ? ORDER BY c.video_id LIMIT ?",
            (audit_id, limit)).fetchall()
        return [(vid, os.path.basename(path) if path else "", old)
                for vid, path, old in rows], total

    def _named(self, entries: list[audit.AuditEntry]) -> list[audit.AuditEntry]:
        ids = {int(e.scope[6:]) for e in entries
               if e.scope.startswith("video ") and e.scope[6:].isdigit()}
        names = {v.id: v.name for v in self.library.videos(sorted(ids))} if ids else {}
        return [replace(e, video_name=names.get(int(e.scope[6:]), ""))
                if e.scope.startswith("video ") and e.scope[6:].isdigit() else e
                for e in entries]

    def counts(self) -> dict[str, int]:
        """How many videos there are, and how many may be remixed now."""
        state = self.state()
        total = allowed = 0
        for facts, n in self._fact_counts(self.library.conn).items():
            total += n
            if verdict(facts, state).allowed:
                allowed += n
        return {"videos": total, "allowed": allowed, "denied": total - allowed}

    def affected_by(self, *, optout: bool | None = None, default: str | None = None,
                    likeness: bool | None = None) -> int:
        """How many videos would change their effective permission (for a confirmation)."""
        before = self.state()
        after = ConsentState(default or before.default,
                             before.optout if optout is None else optout,
                             before.likeness if likeness is None else likeness)
        return self._effective_changes(self.library.conn, before, after)

    # -- the gate --------------------------------------------------------------------------

    def gate(self, video_id: int) -> Clearance:
        """Call before reading any frame of a video for a model. Raises RemixNotAllowed when
        consent says no, and VideoFileProblem when the file is missing, unreadable, or no
        longer the content the permission was given for (another file copied over it): the
        fingerprint is checked (size and three samples, cached by the file's identity)."""
        with self.library.read():
            video = self.library.video(video_id)
            state = self.state()
            said = verdict(self.facts_of(video), state)
        if said.reason is Reason.FACE_UNCHECKED:  # look now, then decide
            said = self._look_now(video)
        if not said.allowed:
            raise RemixNotAllowed(video_id, self.explain(video, said))
        check = verify(video.path, video.fingerprint, video.size)
        if check.state is FileState.CHANGED:
            other = self._video_holding(video.path)
            if other is not None and other.id != video.id and other.path == video.path:
                # another video's content was moved here and imported (relinked) again
                raise VideoFileProblem(video_id, "changed", (
                    f"The file at {video.path} has changed since it was imported as video "
                    f"{video.id}; it is now video {other.id}, decide about that one"))
        if not check.ok:
            raise VideoFileProblem(video_id, check.state.value,
                                   problem_sentence(video, check.state))
        return Clearance(video, said.sentence)

    def _look_now(self, video: Video) -> Verdict:
        """Look at a video not yet looked at for faces (the gate's turn came before the
        background look's), record it, and give the verdict with what was found. Its file is
        checked first: a swapped file is not looked at in the video's name."""
        from . import video_checks
        from .copies import CopyIndex
        from .media import MediaError

        check = verify(video.path, video.fingerprint, video.size)
        if not check.ok:
            raise VideoFileProblem(video.id, check.state.value,
                                   problem_sentence(video, check.state))
        try:
            seen = video_checks.look(video.path, video.duration_s)
        except MediaError as exc:
            raise VideoFileProblem(video.id, "unreadable", (
                f"Video {video.id} ({video.name}) could not be looked at for faces "
                f"({exc.reason}), so it is not remixed")) from None
        with self.library.write() as conn:
            video_checks.record(conn, video.id, seen, CopyIndex(conn))
            return verdict(self.facts_of(video), self._read_state(conn))

    def file_state(self, video: Video) -> FileState:
        """The state of a video's file from `stat` (and, where another video shares its path,
        its content): for views; the gate checks the content before any frame is read."""
        others = self.library.at_path(video.path)
        if len(others) > 1:
            return quick_states(others)[video.id]
        return quick_state(video.path, video.size)

    def _video_holding(self, path: str) -> Video | None:
        """The video whose content is in the file at `path` now, if the library has it."""
        try:
            return self.library.find(fingerprint=fingerprint(path))
        except OSError:
            return None

    # -- changes ---------------------------------------------------------------------------

    def set_permission(self, selection: Iterable[int] | str, permission: str) -> Change:
        """Set the own permission of some videos (or ALL) in one transaction."""
        _check_permission(permission, PERMISSIONS)
        if selection == ALL:
            where, params, scope = "1", (), "all videos"
        else:
            ids = sorted({int(i) for i in selection})
            if not ids:
                raise UsageError("No videos were selected")
            missing = self.library.missing_ids(ids)
            if missing:
                raise UsageError(f"There is no video with id {_id_list(missing)} in the library")
            where, params = "id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
            scope = f"video {ids[0]}" if len(ids) == 1 else f"{len(ids)} selected videos"

        def mutate(conn: sqlite3.Connection) -> Change:
            olds = dict(conn.execute(
                f"SELECT permission, count(*) FROM videos WHERE {where} AND permission != ? "
                "GROUP BY permission", (*params, permission)).fetchall())
            count = sum(olds.values())
            if count == 0:
                return Change(None, 0, f"{scope}: already {permission}")
            old = audit.summarize_counts(olds)
            audit_id = audit.record(conn, action="permission", scope=scope, old=old,
                                    new=permission, count=count, undoable=True)
            conn.execute(
                f"INSERT INTO audit_changes(audit_id, video_id, old) SELECT ?, id, permission "
                f"FROM videos WHERE {where} AND permission != ?", (audit_id, *params, permission))
            conn.execute(f"UPDATE videos SET permission = ? WHERE {where} AND permission != ?",
                         (permission, *params, permission))
            return Change(audit_id, count, f"{scope}: {old} -> {permission}")

        return self._change(mutate)

    def apply_permissions(self, permissions: dict[int, str], scope: str) -> Change:
        """Give each video its own permission (an imported file), as one undoable change."""
        for value in permissions.values():
            _check_permission(value, PERMISSIONS)
        return self.apply_incoming(lambda conn: conn.executemany(
            "INSERT INTO incoming VALUES (?, ?)", permissions.items()), scope)

    def apply_incoming(self, fill: Callable[[sqlite3.Connection], object],
                       scope: str) -> Change:
        """`apply_permissions` for more videos than a dict holds well (a permissions file of
        a million rows): `fill(conn)` runs inside the change's own transaction, under the
        write lock, and puts (video_id, permission) rows into the empty temp table
        `incoming`; every video whose own permission differs is changed, as one undoable
        change with its audit row."""

        def mutate(conn: sqlite3.Connection) -> Change:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS incoming(video_id INTEGER PRIMARY KEY,"
                         " permission TEXT NOT NULL)")
            conn.execute("DELETE FROM incoming")
            fill(conn)
            olds: dict[str, int] = {}
            news: dict[str, int] = {}
            for old, new, n in conn.execute(
                    "SELECT v.permission, i.permission, count(*) FROM videos v JOIN incoming i "
                    "ON i.video_id = v.id WHERE v.permission != i.permission GROUP BY 1, 2"):
                olds[old] = olds.get(old, 0) + n
                news[new] = news.get(new, 0) + n
            count = sum(olds.values())
            if not count:
                conn.execute("DELETE FROM incoming")
                return Change(None, 0, f"{scope}: nothing to change")
            audit_id = audit.record(
                conn, action="permissions-import", scope=scope,
                old=audit.summarize_counts(olds), new=audit.summarize_counts(news),
                count=count, undoable=True)
            conn.execute(
                "INSERT INTO audit_changes(audit_id, video_id, old) SELECT ?, v.id, v.permission "
                "FROM videos v JOIN incoming i ON i.video_id = v.id "
                "WHERE v.permission != i.permission", (audit_id,))
            conn.execute(
                "UPDATE videos SET permission = i.permission FROM incoming i "
                "WHERE i.video_id = videos.id AND videos.permission != i.permission")
            conn.execute("DELETE FROM incoming")
            return Change(audit_id, count, f"{scope}: {count} videos changed")

        return self._change(mutate)

    def set_default(self, permission: str) -> Change:
        """The permission of videos left on `default` (and of every newly imported video)."""
        _check_permission(permission, ("allow", "deny"))
        return self._set_switch("default", "default_permission", permission,
                                lambda s: replace(s, default=permission))

    def set_optout(self, on: bool) -> Change:
        """The bulk opt-out: on denies every video; off brings each video's own choice back."""
        value = "on" if on else "off"
        return self._set_switch("optout", "optout", value,
                                lambda s: replace(s, optout=on))

    def set_likeness(self, on: bool) -> Change:
        """The likeness rule: on, a video that shows a face is remixed only when the creator
        allowed it one by one; off, it follows the library default like any other."""
        value = "on" if on else "off"
        return self._set_switch("likeness", "likeness", value,
                                lambda s: replace(s, likeness=on))

    def unlink_copy(self, video_id: int) -> Change:
        """The creator says a video is not a copy of the one it was linked to: the link goes
        (and is never made again for that pair), as an undoable change with its audit row."""
        video = self.library.video(video_id)
        if video.copy_of is None:
            raise UsageError(f"Video {video_id} ({video.name}) is not linked as a copy")

        def mutate(conn: sqlite3.Connection) -> Change:
            row = conn.execute("SELECT copy_of FROM videos WHERE id = ?", (video_id,)).fetchone()
            if row is None or row[0] is None:
                return Change(None, 0, f"video {video_id} is not linked as a copy")
            original = row[0]
            audit_id = audit.record(conn, action="unlink-copy", scope=f"video {video_id}",
                                    old=f"copy of video {original}", new="not a copy",
                                    count=1, undoable=True)
            conn.execute("INSERT INTO audit_changes(audit_id, video_id, old) VALUES (?, ?, ?)",
                         (audit_id, video_id, str(original)))
            conn.execute("UPDATE videos SET copy_of = NULL, not_copy_of = ? WHERE id = ?",
                         (original, video_id))
            return Change(audit_id, 1, f"video {video_id}: no longer a copy of video "
                          f"{original}")

        return self._change(mutate)

    def next_undo(self) -> audit.AuditEntry | None:
        """The change `undo()` would undo now, or None (to label and enable an Undo button)."""
        row = self.library.conn.execute(
            "SELECT id FROM audit WHERE undoable = 1 AND undone_by IS NULL "
            "ORDER BY id DESC LIMIT 1").fetchone()
        return self._named([audit.entry(self.library.conn, row[0])])[0] if row else None

    def undo(self, expected: int | None = None) -> Change:
        """Undo the most recent change that has not been undone yet (repeat to go further).

        `expected` is the audit id of the change the caller showed the creator (an Undo
        button's label): when the most recent undoable change is another one (made since, by
        another process), nothing is undone and UndoConflict says which change is in the way.
        """

        def mutate(conn: sqlite3.Connection) -> Change:
            row = conn.execute(
                "SELECT id, action, scope, old, new, previews_removed FROM audit "
                "WHERE undoable = 1 AND undone_by IS NULL ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                if expected is not None:
                    raise UndoConflict(f"Change #{expected} was already undone (perhaps in "
                                       "another window or the command line)",
                                       expected=expected, newest=None)
                raise UsageError("There is no change left to undo")
            target, action, scope, old, new, gone = row
            if expected is not None and target != expected:
                done = conn.execute("SELECT undone_by FROM audit WHERE id = ?",
                                    (expected,)).fetchone()
                if done is None:
                    why = f"There is no change #{expected} to undo"
                elif done[0] is not None:
                    why = (f"Change #{expected} was already undone (perhaps in another window "
                           "or the command line)")
                else:
                    why = (f"A newer change is in the way: #{target} ({action} of {scope}: "
                           f"{old} -> {new}), made since, perhaps in another window or the "
                           f"command line; undo that one first or leave both")
                raise UndoConflict(why, expected=expected, newest=target)
            before = self._read_state(conn)
            if action in ("permission", "permissions-import"):
                count = conn.execute(
                    "UPDATE videos SET permission = c.old FROM audit_changes c "
                    "WHERE c.audit_id = ? AND c.video_id = videos.id", (target,)).rowcount
            elif action == "unlink-copy":
                count = conn.execute(
                    "UPDATE videos SET copy_of = CAST(c.old AS INTEGER), not_copy_of = NULL "
                    "FROM audit_changes c WHERE c.audit_id = ? AND c.video_id = videos.id "
                    "AND EXISTS (SELECT 1 FROM videos o WHERE o.id = CAST(c.old AS INTEGER))",
                    (target,)).rowcount
            elif action == "default":
                Library.put_setting(conn, "default_permission", old)
                count = self._effective_changes(conn, before, replace(before, default=old))
            elif action == "likeness":
                Library.put_setting(conn, "likeness", "1" if old == "on" else "0")
                count = self._effective_changes(conn, before,
                                                replace(before, likeness=old == "on"))
            else:  # optout
                Library.put_setting(conn, "optout", "1" if old == "on" else "0")
                count = self._effective_changes(conn, before,
                                                replace(before, optout=old == "on"))
            undo_id = audit.record(conn, action="undo", scope=f"#{target} {action} {scope}",
                                   old=new, new=old, count=count, undo_of=target)
            conn.execute("UPDATE audit SET undone_by = ? WHERE id = ?", (undo_id, target))
            return Change(undo_id, count, f"undid #{target} {action} {scope}: {new} -> {old}",
                          previews_not_restored=gone,
                          per_video=action in ("permission", "permissions-import",
                                               "unlink-copy"))

        return self._change(mutate)

    # -- internals -------------------------------------------------------------------------

    def _set_switch(self, action: str, key: str, value: str,
                    next_state: Callable[[ConsentState], ConsentState]) -> Change:
        def mutate(conn: sqlite3.Connection) -> Change:
            before = self._read_state(conn)
            old = (before.default if action == "default" else
                   "on" if getattr(before, action) else "off")
            if old == value:
                return Change(None, 0, f"{action} is already {value}")
            count = self._effective_changes(conn, before, next_state(before))
            Library.put_setting(conn, key, "1" if value == "on" else "0" if value == "off"
                                else value)
            audit_id = audit.record(conn, action=action, scope="library", old=old, new=value,
                                    count=count, undoable=True)
            return Change(audit_id, count, f"{action}: {old} -> {value}", per_video=False)

        return self._change(mutate)

    def _change(self, mutate: Callable[[sqlite3.Connection], Change]) -> Change:
        with self.library.write() as conn:
            change = mutate(conn)
            removed = self._drop_denied_previews(conn) if change.audit_id else []
            if removed:  # the audit row says it: undo does not bring them back
                conn.execute("UPDATE audit SET previews_removed = ? WHERE id = ?",
                             (len(removed), change.audit_id))
        previews.delete_files(self.library.home, removed)  # after the commit (else: swept)
        if removed:
            change = replace(change, previews_removed=len(removed))
        return change

    def previews_lost(self, *, selection=None, permission: str | None = None,
                      optout: bool | None = None, default: str | None = None,
                      likeness: bool | None = None) -> int:
        """How many remix previews a change would delete (for its confirmation): those of
        videos the change leaves denied. `selection` (ids, or ALL) with `permission` is a
        permission change; `optout` or `default` a change of the library's state."""
        with self.library.read() as conn:
            state = self._read_state(conn)
            after = ConsentState(default or state.default,
                                 state.optout if optout is None else optout,
                                 state.likeness if likeness is None else likeness)
            rows = previews.counts_by_video(conn, facts_sql("v."))
            if not rows:
                return 0  # no previews at all: nothing to look up (a selection of 100,000)
            ids = None if selection in (None, ALL) else {int(i) for i in selection}
            lost = 0
            for row in rows:
                video_id, facts, n = row[0], VideoFacts._make(row[1:-1]), row[-1]
                if permission is not None and (ids is None or video_id in ids):
                    facts = facts._replace(own=permission)
                if verdict(facts, after).removes_previews:
                    lost += n
            return lost

    def previews_lost_by_undo(self, entry: audit.AuditEntry) -> int:
        """How many remix previews undoing `entry` would delete (for Undo's question): an
        undone Allow denies its videos again, an undone opt-out-off turns it back on."""
        if entry.action == "optout":
            return self.previews_lost(optout=entry.old == "on")
        if entry.action == "default":
            return self.previews_lost(default=entry.old)
        if entry.action == "likeness":
            return self.previews_lost(likeness=entry.old == "on")
        if entry.action == "unlink-copy":  # linked again: a copy of a denied video is denied
            with self.library.read() as conn:
                state = self._read_state(conn)
                rows = conn.execute(
                    f"SELECT c.old, o.permission, {facts_sql('v.')}, count(p.id) "
                    "FROM audit_changes c JOIN videos v ON v.id = c.video_id "
                    "JOIN previews p ON p.video_id = c.video_id "
                    "LEFT JOIN videos o ON o.id = CAST(c.old AS INTEGER) "
                    "WHERE c.audit_id = ? GROUP BY c.video_id", (entry.id,)).fetchall()
            return sum(row[-1] for row in rows if row[1] is not None and verdict(
                VideoFacts._make(row[2:-1])._replace(copy_of=row[0], original=row[1]),
                state).removes_previews)
        if entry.action not in ("permission", "permissions-import"):
            return 0
        with self.library.read() as conn:
            state = self._read_state(conn)
            rows = conn.execute(
                f"SELECT c.old, {facts_sql('v.')}, count(p.id) FROM audit_changes c "
                "JOIN videos v ON v.id = c.video_id JOIN previews p ON p.video_id = c.video_id "
                "WHERE c.audit_id = ? GROUP BY c.video_id", (entry.id,)).fetchall()
        # each video back at its old own permission, its other facts as they are now
        return sum(row[-1] for row in rows if verdict(
            VideoFacts._make(row[1:-1])._replace(own=row[0]), state).removes_previews)

    def _drop_denied_previews(self, conn: sqlite3.Connection) -> list[str]:
        state = self._read_state(conn)
        denied = [row[0] for row in previews.counts_by_video(conn, facts_sql("v."))
                  if verdict(VideoFacts._make(row[1:-1]), state).removes_previews]
        return previews.drop_for_videos(conn, denied)

    @staticmethod
    def _read_state(conn: sqlite3.Connection) -> ConsentState:
        values = dict(SETTING_DEFAULTS)
        values.update(conn.execute("SELECT key, value FROM settings WHERE key IN "
                                   "('default_permission', 'optout', 'likeness')").fetchall())
        return ConsentState(values["default_permission"], values["optout"] == "1",
                            values["likeness"] == "1")

    @staticmethod
    def _fact_counts(conn: sqlite3.Connection) -> dict[VideoFacts, int]:
        """How many videos have each combination of facts (a handful of groups)."""
        return {VideoFacts._make(row[:-1]): row[-1] for row in conn.execute(
            f"SELECT {FACTS_SQL}, count(*) FROM videos GROUP BY {FACTS_SQL}")}

    def _effective_changes(self, conn: sqlite3.Connection, before: ConsentState,
                           after: ConsentState) -> int:
        return sum(
            n for facts, n in self._fact_counts(conn).items()
            if verdict(facts, before).permission != verdict(facts, after).permission
        )


def _check_permission(value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UsageError(f"'{value}' is not a permission; use one of: {', '.join(allowed)}")


def _id_list(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return shown + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
