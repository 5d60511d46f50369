"""Permissions to and from CSV and JSON files, matched back by fingerprint, then by path."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .audit import utc_now
from .consent import Change, Consent
from .errors import Rejection, UsageError
from .library import PERMISSIONS

FORMAT = "remix-desktop-permissions"
FIELDS = ("id", "fingerprint", "path", "permission")


@dataclass
class PermissionsImport:
    change: Change
    matched: int
    rejected: list[Rejection] = field(default_factory=list)


def export_permissions(consent: Consent, target: Path, *, force: bool = False) -> int:
    """Write every video's own permission to `target` (.csv or .json). Returns the count."""
    kind = _kind(target)
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; pass --force to replace it")
    rows = [{"id": v.id, "fingerprint": v.fingerprint, "path": v.path,
             "permission": v.permission} for v in consent.library.videos()]
    if kind == "json":
        state = consent.state()
        text = json.dumps({
            "format": FORMAT, "version": 1, "exported_at": utc_now(),
            "library": {"default": state.default, "optout": state.optout},
            "videos": rows,
        }, indent=2, ensure_ascii=False)
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = out.getvalue()
    write_atomically(target, text.encode("utf-8"))
    return len(rows)


def import_permissions(consent: Consent, source: Path) -> PermissionsImport:
    """Apply the per-video permissions in `source` as one undoable change.

    Rows that match no video, or carry no valid permission, are reported; the rest apply."""
    entries = _read_entries(source)
    library = consent.library
    rejected: list[Rejection] = []
    wanted: dict[int, str] = {}
    for number, entry in entries:
        label = str(entry.get("path") or entry.get("fingerprint") or f"entry {number}")
        permission = str(entry.get("permission", "")).strip().lower()
        if permission not in PERMISSIONS:
            rejected.append(Rejection(label, f"entry {number} has no valid permission "
                                             f"('{permission}'; use allow, deny or default)"))
            continue
        video = None
        if entry.get("fingerprint"):
            video = library.find(fingerprint=str(entry["fingerprint"]))
        if video is None and entry.get("path"):
            video = library.find(path=str(entry["path"]))
        if video is None:
            rejected.append(Rejection(label, f"entry {number} matches no video in the library "
                                             "by fingerprint or path"))
            continue
        wanted[video.id] = permission
    change = consent.apply_permissions(wanted, scope=f"from {source.name}") if wanted else \
        Change(None, 0, "nothing to apply")
    return PermissionsImport(change, len(wanted), rejected)


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside `target`, flush it to disk, then rename it over."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise UsageError(f"{path.name} must end in .csv or .json")
    return suffix[1:]


def _read_entries(source: Path) -> list[tuple[int, dict]]:
    kind = _kind(source)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{source} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{source} cannot be read ({exc})") from None
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{source.name} is not valid JSON (line {exc.lineno}: "
                             f"{exc.msg})") from None
        videos = data.get("videos") if isinstance(data, dict) else data
        if not isinstance(videos, list) or not all(isinstance(v, dict) for v in videos):
            raise UsageError(f"{source.name} holds no list of videos with permissions")
        return list(enumerate(videos, start=1))
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "permission" not in reader.fieldnames or not (
            {"fingerprint", "path"} & set(reader.fieldnames)):
        raise UsageError(f"{source.name} needs a header with 'permission' and 'fingerprint' "
                         "or 'path' columns")
    return [(line, row) for line, row in enumerate(reader, start=2)]
