"""The consent rule: whether a video may be remixed now, and why, from the video's facts and
the library's state.

Everything that needs the answer asks `verdict()`: the gate, the counts, the removal of
previews that may no longer exist, the command line and the window's labels and filters.
A new rule is one fact (SQL over `videos` in FACTS, a field of VideoFacts), one clause below
and one Reason; the window's short label keys on the Reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple


class Reason(enum.Enum):
    """Why a verdict is what it is; the value is a stable key (the CLI's --json prints it)."""

    OPTED_OUT = "opted-out"
    OWN_ALLOW = "own-allow"
    OWN_DENY = "own-deny"
    COPY_OF_DENIED = "copy-of-denied"
    SHOWS_FACE = "shows-face"
    FACE_UNCHECKED = "face-unchecked"
    DEFAULT_ALLOW = "default-allow"
    DEFAULT_DENY = "default-deny"

    @property
    def sentence(self) -> str:
        return SENTENCES[self]


SENTENCES = {
    Reason.OPTED_OUT: "the bulk opt-out is on for the whole library",
    Reason.OWN_ALLOW: "the creator allowed this video",
    Reason.OWN_DENY: "the creator denied this video",
    Reason.COPY_OF_DENIED: "it is a copy of a video you denied",
    Reason.SHOWS_FACE: "it shows a face: allow it yourself to remix it",
    Reason.FACE_UNCHECKED: ("it has not been looked at for faces yet (videos that show a face "
                            "are remixed only when you allow them one by one)"),
    Reason.DEFAULT_ALLOW: "it follows the library default, which is allow",
    Reason.DEFAULT_DENY: "it follows the library default, which is deny",
}


FACE_SHARE = 0.15
"""A video shows a face when faces were found in at least this share of the frames looked at
(one sample of twelve is not enough: the detector sees a face in some patterns)."""


class VideoFacts(NamedTuple):
    """What the rule knows of one video, in FACTS' order (a row of SQL makes one); every
    fact is a text."""

    own: str  # the video's own permission: allow, deny or default
    face: str = "?"  # "face" (it shows one), "" (it does not) or "?" (not looked at yet)
    copy_of: str = ""  # the id of the video it is a copy of, or ""
    original: str = ""  # that video's own permission, or ""


# each fact as SQL over the videos table named by {a} ("videos." or an alias such as "v.")
FACTS = (
    "{a}permission",
    "CASE WHEN {a}face_share IS NULL THEN '?' WHEN {a}face_share >= %r THEN 'face' "
    "ELSE '' END" % FACE_SHARE,
    "ifnull(CAST({a}copy_of AS TEXT), '')",
    "CASE WHEN {a}copy_of IS NULL THEN '' ELSE ifnull((SELECT o.permission FROM videos o "
    "WHERE o.id = {a}copy_of), '') END",
)
assert len(FACTS) == len(VideoFacts._fields)


def facts_sql(alias: str = "videos.") -> str:
    """The facts for a SELECT over the videos table (`alias` "v." for a join)."""
    return ", ".join(f.format(a=alias) for f in FACTS)


FACTS_SQL = facts_sql()
# every video's facts as one text (fields joined by the unit separator), so a library's
# facts come back as one dict built in C, and the few distinct texts become VideoFacts
FACTS_KEY_SQL = " || char(31) || ".join(f.format(a="videos.") for f in FACTS)


@lru_cache(maxsize=256)
def facts_from_key(key: str) -> VideoFacts:
    """The VideoFacts of one FACTS_KEY_SQL text (a handful of distinct ones in a library)."""
    return VideoFacts._make(key.split("\x1f"))


def facts_by_id(rows) -> dict[int, VideoFacts]:
    """{video id: VideoFacts} from (id, FACTS_KEY_SQL) rows: one VideoFacts per distinct
    combination, shared (100,000 videos in a few milliseconds)."""
    raw = dict(rows)
    kinds = {key: facts_from_key(key) for key in set(raw.values())}
    return {video_id: kinds[key] for video_id, key in raw.items()}


@dataclass(frozen=True)
class ConsentState:
    """The library's side of the rule."""

    default: str  # the library default for videos left on `default`: "allow" or "deny"
    optout: bool  # the bulk opt-out switch
    likeness: bool = True  # videos that show a face are remixed only when allowed one by one


@dataclass(frozen=True)
class Verdict:
    permission: str  # "allow" or "deny"
    reason: Reason

    @property
    def allowed(self) -> bool:
        return self.permission == "allow"

    @property
    def sentence(self) -> str:
        """The reason in words, for the creator ("the bulk opt-out is on …")."""
        return self.reason.sentence

    @property
    def removes_previews(self) -> bool:
        """Whether the previews of a video with this verdict are deleted: a denial is, a
        look for faces still to come is not (it is no one's decision yet)."""
        return not self.allowed and self.reason is not Reason.FACE_UNCHECKED


_DENY = {r: Verdict("deny", r) for r in Reason}
_ALLOW = {r: Verdict("allow", r) for r in Reason}


@lru_cache(maxsize=1024)
def verdict(facts: VideoFacts, state: ConsentState) -> Verdict:
    """The one rule: the bulk opt-out denies everything; else the video's own choice; else a
    copy of a video the creator denied is denied; else, with the likeness rule on, a video
    that shows a face (or is still to be looked at, where the default would allow it) is
    denied; else the library default."""
    if state.optout:
        return _DENY[Reason.OPTED_OUT]
    if facts.own == "allow":
        return _ALLOW[Reason.OWN_ALLOW]
    if facts.own == "deny":
        return _DENY[Reason.OWN_DENY]
    if facts.original == "deny":
        return _DENY[Reason.COPY_OF_DENIED]
    if state.likeness and facts.face == "face":
        return _DENY[Reason.SHOWS_FACE]
    if state.likeness and facts.face == "?" and state.default == "allow":
        return _DENY[Reason.FACE_UNCHECKED]
    if state.default == "allow":
        return _ALLOW[Reason.DEFAULT_ALLOW]
    return _DENY[Reason.DEFAULT_DENY]
