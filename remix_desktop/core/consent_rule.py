"""The consent rule: whether a video may be remixed now, and why, from the video's facts and
the library's state.

Everything that needs the answer asks `verdict()`: the gate, the counts, the removal of
previews that may no longer exist, the command line and the window's labels and filters.
A new rule is one fact (a column of `videos`, named in FACT_COLUMNS and read into
VideoFacts), one clause below and one Reason; the window's short label keys on the Reason.
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
    DEFAULT_ALLOW = "default-allow"
    DEFAULT_DENY = "default-deny"

    @property
    def sentence(self) -> str:
        return SENTENCES[self]


SENTENCES = {
    Reason.OPTED_OUT: "the bulk opt-out is on for the whole library",
    Reason.OWN_ALLOW: "the creator allowed this video",
    Reason.OWN_DENY: "the creator denied this video",
    Reason.DEFAULT_ALLOW: "it follows the library default, which is allow",
    Reason.DEFAULT_DENY: "it follows the library default, which is deny",
}


class VideoFacts(NamedTuple):
    """What the rule knows of one video, in FACT_COLUMNS' order (a row of SQL makes one)."""

    own: str  # the video's own permission: allow, deny or default


FACT_COLUMNS = ("permission",)  # the columns of `videos` (and fields of a Video) it is read from


def facts_sql(alias: str = "") -> str:
    """The fact columns for a SELECT, each prefixed with `alias` ("v." for a join)."""
    return ", ".join(alias + c for c in FACT_COLUMNS)


FACTS_SQL = facts_sql()
# every video's facts as one text (fields joined by the unit separator), so a library's
# facts come back as one dict built in C, and the few distinct texts become VideoFacts
FACTS_KEY_SQL = " || char(31) || ".join(f"ifnull({c}, '')" for c in FACT_COLUMNS)


@lru_cache(maxsize=256)
def facts_from_key(key: str) -> VideoFacts:
    """The VideoFacts of one FACTS_KEY_SQL text (a handful of distinct ones in a library)."""
    return VideoFacts._make(key.split("\x1f"))


def facts_of(video) -> VideoFacts:
    """The facts of a library.Video (its fields of the same names as FACT_COLUMNS)."""
    return VideoFacts._make(getattr(video, c) for c in FACT_COLUMNS)


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


_DENY = {r: Verdict("deny", r) for r in Reason}
_ALLOW = {r: Verdict("allow", r) for r in Reason}


@lru_cache(maxsize=1024)
def verdict(facts: VideoFacts, state: ConsentState) -> Verdict:
    """The one rule: the bulk opt-out denies everything; else the video's own choice; else
    the library default."""
    if state.optout:
        return _DENY[Reason.OPTED_OUT]
    if facts.own == "allow":
        return _ALLOW[Reason.OWN_ALLOW]
    if facts.own == "deny":
        return _DENY[Reason.OWN_DENY]
    if state.default == "allow":
        return _ALLOW[Reason.DEFAULT_ALLOW]
    return _DENY[Reason.DEFAULT_DENY]
