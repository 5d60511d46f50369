"""Permissions to and from CSV and JSON files, matched back by fingerprint, then by path.

A file is streamed into a temporary table (never held whole as Python rows) and matched to
the videos in SQL. Nothing in a file may loosen consent without a word: rows that disagree
about one video apply the strictest of them (deny, then default, then allow) and are
reported; a row whose fingerprint is one video's and whose path is another's applies to
neither; a JSON file's own bulk opt-out and library default are reported when they differ
from the library's (they are not applied: see `LibrarySetting`)."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from json.encoder import encode_basestring
from typing import BinaryIO, Callable, Iterator, TextIO

from .audit import utc_now
from .consent import Change, Consent
from .errors import Rejection, UsageError
from .export import check_target, write_new
from .atomic_files import atomic_write

FORMAT = "remix-desktop-permissions"
FIELDS = ("id", "fingerprint", "path", "permission")
RANKS = {"allow": 0, "default": 1, "deny": 2}  # how strict: deny is strictest
BY_RANK = ("allow", "default", "deny")
BATCH = 20_000  # rows between progress reports
CACHE_KIB = 64 * 1024  # SQLite's page caches during an import (its default is 2 MiB)
Progress = Callable[[int, int], None]  # (bytes read, bytes in the file)


@dataclass(frozen=True)
class LibrarySetting:
    """A library switch a JSON file carries (`optout` "on"/"off", `default` "allow"/"deny")
    that differs from the library's and was not applied: an import changes per-video
    permissions only, so that it stays one undoable change. `stricter`: the file's value
    would deny more than the library's does now (say so prominently)."""

    name: str
    in_file: str
    in_library: str
    stricter: bool
    reason: str


@dataclass
class PermissionsImport:
    change: Change
    matched: int
    rejected: list[Rejection] = field(default_factory=list)
    conflicts: list[Rejection] = field(default_factory=list)  # applied, the strictest
    library_settings_not_applied: list[LibrarySetting] = field(default_factory=list)
    rows: int = 0  # entries read from the file

    @property
    def complete(self) -> bool:
        """Every entry applied as written and nothing of the file left out."""
        return not (self.rejected or self.conflicts or self.library_settings_not_applied)


# -- export ---------------------------------------------------------------------------------

def export_permissions(consent: Consent, target: Path, *, force: bool = False) -> int:
    """Write every video's own permission to `target` (.csv or .json), streamed from the
    library and moved into place atomically. Returns the count."""
    target = Path(target)
    check_target(target, force=force, check_format=_kind)
    kind = _kind(target)
    count = 0

    def write(fh: BinaryIO) -> None:
        nonlocal count
        with consent.library.read() as conn:
            rows = conn.execute("SELECT id, fingerprint, path, permission FROM videos "
                                "ORDER BY id")
            text = _TextSink(fh)
            if kind == "json":
                state = consent.state()  # in the same snapshot
                head = {"format": FORMAT, "version": 1, "exported_at": utc_now(),
                        "library": {"default": state.default, "optout": state.optout}}
                text.write(json.dumps(head, indent=2, ensure_ascii=False)[:-2]
                           + ',\n  "videos": [')
                quote = encode_basestring  # json.dumps of a string, in C
                sep = "\n    "
                for count, (vid, fp, path, permission) in enumerate(rows, start=1):
                    text.write(f'{sep}{{"id": {int(vid)}, "fingerprint": {quote(fp)}, '
                               f'"path": {quote(path)}, "permission": {quote(permission)}}}')
                    sep = ",\n    "
                text.write("\n  ]\n}\n")
            else:
                writer = csv.writer(text, lineterminator="\n")
                writer.writerow(FIELDS)
                for count, row in enumerate(rows, start=1):
                    writer.writerow(row)
            text.flush()

    write_new(target, write, force=force)
    return count


class _TextSink:
    """Text written to a binary file in UTF-8, buffered (csv.writer needs .write)."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.parts, self.size = fh, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.fh.write("".join(self.parts).encode("utf-8", "surrogateescape"))
        self.parts, self.size = [], 0


def write_atomically(target: Path, data: bytes) -> None:
    """`data` put at `target` by atomic_files.atomic_write. Raises OSError (callers word it); the
    permissions export uses export.write_new, which says why in one sentence."""
    atomic_write(Path(target), lambda fh: fh.write(data))


# -- import ---------------------------------------------------------------------------------

def import_permissions(consent: Consent, source: Path, *,
                       progress: Progress | None = None) -> PermissionsImport:
    """Apply the per-video permissions in `source` as one undoable change.

    Rows that match no video, carry no valid permission, or name two videos are reported;
    rows that disagree about one video apply the strictest and are reported; the rest
    apply. A JSON file's library section is compared with the library and reported."""
    source = Path(source)
    kind = _kind(source)
    conn = consent.library.conn
    _drop_temp(conn)
    caches = [conn.execute(f"PRAGMA {db}.cache_size").fetchone()[0] for db in ("main", "temp")]
    for db in ("main", "temp"):  # the JOIN and the temp tables in memory, while it runs
        conn.execute(f"PRAGMA {db}.cache_size = -{CACHE_KIB}")
    conn.execute("CREATE TEMP TABLE import_rows(line INTEGER PRIMARY KEY, fingerprint TEXT, "
                 "path TEXT, rank INTEGER NOT NULL)")
    try:
        rows, rejected, settings = _stage(conn, source, kind, progress)
        found: dict = {}
        if rows - len(rejected) > 0:
            change = consent.apply_incoming(lambda c: found.update(_match(c)),
                                            scope=f"from {source.name}")
        else:
            change = Change(None, 0, "nothing to apply")
    finally:
        _drop_temp(conn)
        for db, size in zip(("main", "temp"), caches):
            conn.execute(f"PRAGMA {db}.cache_size = {int(size)}")
    rejected.extend(found.get("rejected", ()))
    rejected.sort(key=lambda item: item[0])
    return PermissionsImport(
        change, found.get("matched", 0), [r for _, r in rejected], found.get("conflicts", []),
        _library_settings(consent, settings) if settings is not None else [], rows)


def _drop_temp(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.import_rows")
    conn.execute("DROP TABLE IF EXISTS temp.import_matched")


def _stage(conn: sqlite3.Connection, source: Path, kind: str, progress: Progress | None):
    """Stream the file's entries into temp.import_rows. Returns (entries, [(line, Rejection)]
    of entries with no valid permission, the JSON file's library section or None)."""
    try:
        with open(source, "rb") as raw:
            head = raw.read(4)
            total = os.fstat(raw.fileno()).st_size
    except FileNotFoundError:
        raise UsageError(f"{source} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{source} is a folder, not a permissions file") from None
    except OSError as exc:
        raise UsageError(f"{source} cannot be read ({exc.strerror or exc})") from None
    if head.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]  # a spreadsheet's "Unicode text"
    else:
        encodings = ["utf-8", "cp1252"]  # a spreadsheet on Windows writes Windows-1252
    for encoding in encodings:
        conn.execute("BEGIN")  # the temp table only: no lock on the library
        try:
            with open(source, encoding=encoding, newline="") as fh:
                settings: dict = {}
                entries = (_json_entries(fh, source.name, settings) if kind == "json"
                           else _csv_entries(fh, source.name))
                staged = _Staged(entries, fh, total, progress)
                conn.executemany("INSERT INTO import_rows VALUES (?, ?, ?, ?)", staged)
            conn.execute("COMMIT")
            return staged.rows, staged.rejected, settings if kind == "json" else None
        except UnicodeDecodeError as exc:
            conn.execute("ROLLBACK")
            if encoding != "cp1252":
                continue
            raise UsageError(f"{source.name} is neither UTF-8 nor Windows-1252 text (byte "
                             f"0x{exc.object[exc.start]:02x} cannot be read)") from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    raise UsageError(f"{source.name} is not UTF-16 text")  # only a BOM'd file gets here


class _Staged:
    """The rows to insert, from the entries read: (line, fingerprint, path, rank); entries
    without a valid permission are kept aside as rejections."""

    def __init__(self, entries, fh: TextIO, total: int, progress: Progress | None):
        self.entries, self.fh, self.total, self.progress = entries, fh, total, progress
        self.rows = 0
        self.rejected: list[tuple[int, Rejection]] = []

    def __iter__(self):
        progress, rejected = self.progress, self.rejected
        for line, fingerprint, path, permission in self.entries:
            self.rows += 1
            if progress is not None and self.rows % BATCH == 0:
                progress(self.fh.buffer.tell(), self.total)
            rank = RANKS.get(permission)
            if rank is None:
                if permission is _NOT_AN_OBJECT:
                    rejected.append((line, Rejection(path, (
                        f"entry {line} is not an object with a fingerprint or path and a "
                        "permission"))))
                    continue
                permission = str(permission if permission is not None else "").strip().lower()
                rank = RANKS.get(permission)
                if rank is None:
                    label = path or fingerprint or f"entry {line}"
                    rejected.append((line, Rejection(
                        label, f"entry {line} has no valid permission ('{permission}'; use "
                               "allow, deny or default)")))
                    continue
            yield line, fingerprint, path, rank
        if progress is not None:
            progress(self.total, self.total)


# -- CSV ------------------------------------------------------------------------------------

def _csv_entries(fh: TextIO, name: str) -> Iterator[tuple]:
    """(line, fingerprint, path, permission) of each row; the header is found whatever its
    case and whichever of comma, semicolon or tab separates it."""
    first = fh.readline()
    columns = delimiter = None
    for candidate in (",", ";", "\t"):
        names = [c.strip().lstrip("\ufeff").lower()
                 for c in next(csv.reader([first], delimiter=candidate), [])]
        if "permission" in names and {"fingerprint", "path"} & set(names):
            columns, delimiter = names, candidate
            break
    if columns is None:
        raise UsageError(f"{name} needs a header with 'permission' and 'fingerprint' or "
                         "'path' columns")
    at = {n: columns.index(n) if n in columns else None
          for n in ("fingerprint", "path", "permission")}
    fp_at, path_at, perm_at = at["fingerprint"], at["path"], at["permission"]
    width = max(i for i in at.values() if i is not None) + 1
    reader = csv.reader(fh, delimiter=delimiter)
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            if len(row) < width:
                if not any(c.strip() for c in row):
                    continue  # a blank row (spreadsheets end with some)
                row = row + [""] * (width - len(row))
            elif not row[perm_at] and not any(c.strip() for c in row):
                continue
            yield (line, (row[fp_at].strip() or None) if fp_at is not None else None,
                   (row[path_at] or None) if path_at is not None else None, row[perm_at])
    except csv.Error as exc:
        line += 1
        what = "has a field too long to be a path or fingerprint" if "field larger" in str(
            exc) else f"cannot be read ({exc})"
        raise UsageError(f"{name} line {line} {what}") from None


# -- JSON -----------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_ENTRY_LIMIT = 4 << 20  # characters: an entry longer than this is not a permissions row


class _JsonStream:
    """A JSON text read a chunk at a time; `value()` decodes one value with the C scanner
    (json.loads's own), so a million entries are never all in memory at once."""

    def __init__(self, fh: TextIO, name: str):
        self.fh, self.name = fh, name
        self.buf, self.pos, self.lines, self.eof = "", 0, 0, False

    def _more(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(1 << 20)
        if not data:
            self.eof = True
            return False
        self.lines += self.buf.count("\n", 0, self.pos)
        self.buf, self.pos = self.buf[self.pos:] + data, 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def take(self, chars: str, what: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            self.fail(what, self.pos)
        self.pos += 1
        return char

    def value(self, entry: int | None = None):
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos < _ENTRY_LIMIT and self._more():
                    continue  # the value goes on in the next chunk
                self.fail(exc.msg, exc.pos)
            except RecursionError:
                raise UsageError(f"{self.name} cannot be read: "
                                 f"{f'entry {entry}' if entry else 'a value'} is nested too "
                                 "deeply (lists or objects inside each other hundreds of "
                                 "levels down)") from None
            except ValueError as exc:  # an integer past Python's digit limit
                if "digits" not in str(exc):
                    raise
                raise UsageError(f"{self.name} cannot be read: "
                                 f"{f'entry {entry}' if entry else 'a value'} holds a number "
                                 f"of more than {sys.get_int_max_str_digits()} digits") from None
            if end == len(self.buf) and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def fail(self, message: str, pos: int):
        line = self.lines + self.buf.count("\n", 0, pos) + 1
        raise UsageError(f"{self.name} is not valid JSON (line {line}: {message})")


def _json_entries(fh: TextIO, name: str, settings: dict) -> Iterator[tuple]:
    """(number, fingerprint, path, permission) of each entry of the file's "videos" list (or
    of the file, when it is a list); the "library" section goes into `settings`."""
    stream = _JsonStream(fh, name)
    start = stream.peek()
    if start == "[":
        yield from _json_list(stream)
    elif start == "{":
        stream.pos += 1
        found = False
        if stream.peek() == "}":
            stream.pos += 1
        else:
            while True:
                if stream.peek() != '"':
                    stream.fail("Expecting property name enclosed in double quotes",
                                stream.pos)
                key = stream.value()
                stream.take(":", "Expecting ':' delimiter")
                if key == "videos" and stream.peek() == "[":
                    found = True
                    yield from _json_list(stream)
                else:
                    value = stream.value()
                    if key == "library":
                        settings["library"] = value
                if stream.take(",}", "Expecting ',' delimiter") == "}":
                    break
        if not found:
            raise UsageError(f"{name} holds no list of videos with permissions")
    elif start:
        stream.value()  # a bare value: valid JSON or not, it is no list of videos
        raise UsageError(f"{name} holds no list of videos with permissions")
    else:
        raise UsageError(f"{name} is empty")
    if stream.peek():
        stream.fail("Extra data", stream.pos)


def _json_list(stream: _JsonStream) -> Iterator[tuple]:
    stream.pos += 1  # "["
    if stream.peek() == "]":
        stream.pos += 1
        return
    number = 0
    while True:
        number += 1
        entry = stream.value(number)
        if isinstance(entry, dict):
            fp, path, permission = (entry.get(k) for k in ("fingerprint", "path", "permission"))
            if permission is None:
                folded = {str(k).strip().lower(): v for k, v in entry.items()}
                fp, path, permission = (folded.get(k)
                                        for k in ("fingerprint", "path", "permission"))
            yield (number, str(fp).strip() if fp not in (None, "") else None,
                   str(path) if path not in (None, "") else None, permission)
        else:
            yield number, None, f"entry {number}", _NOT_AN_OBJECT
        if stream.take(",]", "Expecting ',' delimiter") == "]":
            return


class _NotAnObject(str):
    """The permission of an entry that is not an object: reported as such."""


_NOT_AN_OBJECT = _NotAnObject("not an object")


# -- matching, inside the change's transaction ----------------------------------------------

def _match(conn: sqlite3.Connection) -> dict:
    """Match temp.import_rows to the videos and fill temp.incoming with the strictest
    permission of each matched video. Returns matched, rejected [(line, Rejection)] and
    conflicts [Rejection]."""
    conn.execute("DROP TABLE IF EXISTS temp.import_matched")
    conn.execute(
        "CREATE TEMP TABLE import_matched AS SELECT r.line AS line, r.rank AS rank, "
        "f.id AS by_fp, p.id AS by_path, "
        "CASE WHEN f.id IS NOT NULL AND p.id IS NOT NULL AND f.id != p.id THEN NULL "
        "ELSE coalesce(f.id, p.id) END AS video_id "
        "FROM import_rows r LEFT JOIN videos f ON f.fingerprint = r.fingerprint "
        "LEFT JOIN videos p ON p.path = r.path")
    rejected: list[tuple[int, Rejection]] = []
    for line, fp, path in conn.execute(
            "SELECT r.line, r.fingerprint, r.path FROM import_matched m JOIN import_rows r "
            "USING (line) WHERE m.by_fp IS NULL AND m.by_path IS NULL"):
        rejected.append((line, Rejection(path or fp or f"entry {line}", f"entry {line} matches "
                                         "no video in the library by fingerprint or path")))
    for line, path, a, a_path, b, b_path in conn.execute(
            "SELECT m.line, r.path, a.id, a.path, b.id, b.path FROM import_matched m "
            "JOIN import_rows r USING (line) JOIN videos a ON a.id = m.by_fp "
            "JOIN videos b ON b.id = m.by_path WHERE m.video_id IS NULL"):
        rejected.append((line, Rejection(path, (
            f"entry {line}'s fingerprint is that of video {a} ({os.path.basename(a_path)}) "
            f"but its path is that of video {b} ({os.path.basename(b_path)}); it was applied "
            "to neither, so check which one it means"))))
    conflicts = []
    for path, ranks, lines in conn.execute(
            "SELECT v.path, group_concat(DISTINCT m.rank), group_concat(m.line) "
            "FROM import_matched m JOIN videos v ON v.id = m.video_id "
            "GROUP BY m.video_id HAVING min(m.rank) != max(m.rank) ORDER BY min(m.line)"):
        said = sorted({int(r) for r in ranks.split(",")}, reverse=True)
        conflicts.append(Rejection(path, (
            f"{_entries(sorted(int(n) for n in lines.split(',')))} disagree about this video "
            f"({', '.join(BY_RANK[r] for r in said)}); the strictest, {BY_RANK[said[0]]}, "
            "was applied")))
    matched = conn.execute(
        "INSERT INTO incoming(video_id, permission) SELECT video_id, "
        "CASE max(rank) WHEN 2 THEN 'deny' WHEN 1 THEN 'default' ELSE 'allow' END "
        "FROM import_matched WHERE video_id IS NOT NULL GROUP BY video_id").rowcount
    return {"matched": matched, "rejected": rejected, "conflicts": conflicts}


def _entries(lines: list[int]) -> str:
    shown = [str(n) for n in lines[:10]]
    if len(lines) > 10:
        return f"entries {', '.join(shown)} and {len(lines) - 10} more"
    if len(shown) == 2:
        return f"entries {shown[0]} and {shown[1]}"
    return f"entries {', '.join(shown[:-1])} and {shown[-1]}"


# -- the file's library section -------------------------------------------------------------

def _library_settings(consent: Consent, settings: dict) -> list[LibrarySetting]:
    """The file's bulk opt-out and library default where they differ from the library's."""
    section = settings.get("library")
    if section is None:
        return []
    if not isinstance(section, dict):
        return [LibrarySetting("library", str(section)[:40], "", False,
                               "The file's library section is not an object; it was "
                               "ignored")]
    state = consent.state()
    notes = []
    if "optout" in section:
        value, here = section["optout"], "on" if state.optout else "off"
        if not isinstance(value, bool):
            notes.append(LibrarySetting("optout", str(value)[:40], here, False, (
                f"The file's bulk opt-out '{str(value)[:40]}' is neither true nor false; "
                "it was ignored")))
        elif value != state.optout:
            there = "on" if value else "off"
            if value:
                n = consent.affected_by(optout=True)
                reason = (f"The file says the bulk opt-out was on, but it is off in this "
                          f"library and was not applied: {_videos(n)} may be remixed here "
                          "that the file's library did not allow")
            else:
                reason = ("The file says the bulk opt-out was off; it stays on in this "
                          "library (an import never turns it off)")
            notes.append(LibrarySetting("optout", there, here, value, reason))
    if "default" in section:
        value = section["default"]
        if value not in ("allow", "deny"):
            notes.append(LibrarySetting("default", str(value)[:40], state.default, False, (
                f"The file's library default '{str(value)[:40]}' is neither allow nor deny; "
                "it was ignored")))
        elif value != state.default:
            if value == "deny":
                left = consent.library.conn.execute(
                    "SELECT count(*) FROM videos WHERE permission = 'default'").fetchone()[0]
                reason = (f"The file says the library default was deny, but here it is allow "
                          f"and was not changed: {_videos(left)} left on 'default' follow "
                          "allow here" + (", so they may be remixed" if not state.optout else
                                          " (none may be remixed while the bulk opt-out is "
                                          "on)"))
            else:
                reason = ("The file says the library default was allow; it stays deny in "
                          "this library (an import never loosens it)")
            notes.append(LibrarySetting("default", value, state.default, value == "deny",
                                        reason))
    return notes


def _videos(n: int) -> str:
    return f"{n} video{'s' if n != 1 else ''}"


def _kind(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise UsageError(f"{Path(path).name} must end in .csv or .json")
    return suffix[1:]
