"""What a change to the library changed, said so that views can refresh from it.

A core change run from the window (`AppContext.run_op`) returns, or is wrapped into, an
`OpChanges`: which parts of the library it touched (consent, videos, previews, settings,
models). The window emits one signal per part from it, so no view refreshes by hand (the
shape of Anki's `OpChanges`). `read_stamp` is the same idea for changes made by other
processes: a small fingerprint per part, compared with the last one seen.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

CONSENT_ACTIONS = ("permission", "permissions-import", "default", "optout", "likeness",
                   "unlink-copy", "look", "undo")
CONSENT_SETTINGS = ("default_permission", "optout", "likeness")
EVERY_VIDEO = frozenset({0})  # `previews` of a change that touched several videos' previews


@dataclass(frozen=True)
class OpChanges:
    consent: bool = False  # a permission, the default, the opt-out, an undo
    facts: bool = True  # with consent: videos' own facts changed, not only the library state
    videos: bool = False  # videos added, removed, relinked or their info edited
    previews: frozenset[int] = field(default_factory=frozenset)  # videos whose previews
    # changed (EVERY_VIDEO: several)
    settings: bool = False
    models: bool = False
    result: object = None  # what the change itself returned (a Change, a Video, …)


def read_stamp(conn: sqlite3.Connection) -> dict[str, tuple]:
    """A small fingerprint of each part of the library views show: when a part's stamp
    differs, that part changed (cheap: the audit table, settings and two counts)."""
    marks = ", ".join("?" * len(CONSENT_ACTIONS))
    consent = conn.execute(
        f"SELECT max(id) FROM audit WHERE action IN ({marks})", CONSENT_ACTIONS).fetchone()
    library = conn.execute(
        f"SELECT (SELECT max(id) FROM audit WHERE action NOT IN ({marks})), "
        "(SELECT count(*) FROM videos), (SELECT max(id) FROM videos)",
        CONSENT_ACTIONS).fetchone()
    settings = conn.execute("SELECT key, value FROM settings WHERE key NOT LIKE 'gui.%' "
                            "ORDER BY key").fetchall()
    consent_settings = tuple(kv for kv in settings if kv[0] in CONSENT_SETTINGS)
    other_settings = tuple(kv for kv in settings if kv[0] not in CONSENT_SETTINGS)
    previews = conn.execute("SELECT count(*), max(id) FROM previews").fetchone()
    try:
        models = conn.execute("SELECT count(*), group_concat(id) FROM models").fetchone()
    except sqlite3.Error:  # an older schema without the table
        models = None
    return {"consent": (tuple(consent), consent_settings), "library": tuple(library),
            "settings": other_settings, "previews": tuple(previews),
            "models": tuple(models or ())}
