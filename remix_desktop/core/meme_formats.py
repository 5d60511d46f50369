"""Our own bank of meme formats: each a line with typed slots, filled from the clip's topic
or by the model under a token mask. Data, not code: the wording is ours.

Slot types (see core.topic): {thing} {things} {subject} {event} {doing} {moment} {feeling}, and
{fill}, a short clause the model writes (lower-case words only, ending on a word that can end
a clause). A capitalised slot ({Subject}) is filled with its first letter in upper case.
A format without slots fits any clip: those are all that is used when there is nothing to go
on. `face` formats are used only when a face is seen in the frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

SLOT = re.compile(r"\{(\w+)\}")
TOPIC_SLOTS = ("thing", "things", "subject", "event", "doing", "moment", "feeling")
DANGLING = frozenset("a an the to of and or for with at in on my your his her their our i "
                     "i'm but so because that is are was were be if than then like when "
                     "just very from into about as by me we you it's its this these".split())

# a clause left open: a function word, or a verb that still wants its object ("and I can
# see", "so I was going to put"); "... be like" and "... without telling me" are our endings
OPEN_END = (DANGLING - {"like", "me", "this", "it's"}) | frozenset(
    "see put get make take give bring tell want need find keep let show buy send try "
    "going gonna can could would should will might must have has had do does did".split())


@dataclass(frozen=True)
class MemeFormat:
    id: str
    shape: str  # the classic shape it belongs to: variety is counted in shapes
    template: str
    face: bool = False
    # only for clips of these topic domains (core.topic.DOMAINS); () for any
    domains: tuple[str, ...] = ()
    fresh: bool = False  # says it has only just begun: not for a clip that counts its days

    @cached_property
    def slots(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.lower() for s in SLOT.findall(self.template)))

    @property
    def generic(self) -> bool:
        return not self.slots

    @property
    def needs_model(self) -> bool:
        return "fill" in self.slots

    def fill(self, values: dict[str, str]) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            value = values[name.lower()]
            return value[:1].upper() + value[1:] if name[0].isupper() else value
        return SLOT.sub(one, self.template)

    def prefix(self, values: dict[str, str]) -> str:
        """The line up to its {fill} slot, filled (where the model continues)."""
        head = self.template.split("{fill}", 1)[0]
        return MemeFormat(self.id, self.shape, head).fill(values)

    @cached_property
    def pattern(self) -> re.Pattern:
        parts = SLOT.split(self.template)
        regex = "".join(re.escape(p) if i % 2 == 0 else r"(.{2,80}?)"
                        for i, p in enumerate(parts))
        return re.compile(rf"^{regex}$", re.I)


F = MemeFormat
BANK: tuple[MemeFormat, ...] = (
    # "... be like"
    F("subject-be-like", "be like", "{Subject} be like"),
    F("event-be-like", "be like", "{Event} be like"),
    F("that-moment-be-like", "be like", "That {moment} be like"),
    F("me-doing-be-like", "be like", "Me {doing} be like"),
    F("thing-people-be-like", "be like", "{Thing} people be like"),
    F("camera-roll-be-like", "be like", "My camera roll be like"),
    F("that-first-take-be-like", "be like", "That first take be like"),
    # "Me pretending ..."
    F("pretend-easy", "pretending", "Me pretending {event} is easy"),
    F("pretend-know", "pretending", "Me pretending I know what I'm doing while {doing}"),
    F("pretend-first", "pretending", "Me pretending this is my first time {doing}"),
    F("pretend-plan", "pretending", "Me pretending this was the plan all along"),
    F("pretend-calm", "pretending", "Me pretending to be calm after the {moment}"),
    F("pretend-camera", "pretending", "Me pretending I didn't see the camera", face=True),
    # "POV: ..."
    F("pov-again", "pov", "POV: it's {event} again"),
    F("pov-witness", "pov", "POV: you just witnessed the {moment}"),
    F("pov-plans", "pov", "POV: {subject} had other plans"),
    F("pov-not-supposed", "pov", "POV: you weren't supposed to see this part"),
    F("pov-camera-roll", "pov", "POV: you found this in my camera roll"),
    F("pov-fill", "pov", "POV: you're {doing} and {fill}"),
    # "Nobody: / Me: ..."
    F("nobody-doing", "nobody", "Nobody: / Me: {doing} for the camera"),
    F("nobody-again", "nobody", "Nobody: / Absolutely nobody: / Me: {doing} again"),
    F("nobody-filming", "nobody", "Nobody: / Me: filming this anyway"),
    F("nobody-storage", "nobody", "Nobody: / My phone storage: full of this"),
    F("nobody-event", "nobody", "Nobody: / Me at {event}: this is fine"),
    F("nobody-fill", "nobody", "Nobody: / Me during {event}: {fill}"),
    # "Me before ... vs me after ..."
    F("before-after-event", "before after", "Me before {event} vs me after {event}"),
    F("before-after-moment", "before after", "Me before the {moment} vs me after the {moment}"),
    F("before-after-record", "before after", "Me before hitting record vs me after"),
    # "... hits different"
    F("event-hits", "hits different", "{Event} hits different"),
    F("moment-hits", "hits different", "The {moment} hits different"),
    F("clip-hits", "hits different", "This clip hits different at 2 am"),
    # "Not me ... again"
    F("not-me-again", "not me", "Not me {doing} again"),
    F("not-me-planning", "not me", "Not me planning my whole week around {event}"),
    F("not-me-posting", "not me", "Not me posting this again"),
    # "Tell me you're ... without telling me"
    F("tell-me-love", "tell me", "Tell me you love {things} without telling me"),
    F("tell-me-obsessed", "tell me", "Tell me you're obsessed with {things} without telling me"),
    F("tell-me-videos", "tell me", "Tell me you have too many videos without telling me"),
    # "That first ... be like" / "That feeling when ..."
    F("feeling-when-record", "that feeling", "That feeling when you hit record at the right "
                                             "second"),
    F("feeling-when-fill", "that feeling", "That feeling when {fill}"),
    # "... first, personality later"
    # blind readings kept it for food and drink and found it nonsense for anything else
    F("thing-first", "first later", "{Thing} first, personality later",
      domains=("coffee", "cooking", "baking")),
    F("filming-first", "first later", "Filming first, thinking later"),
    # two-line setup / punchline
    F("plan-reality-event", "two-line", "The plan: {event}, nice and calm / The reality: this"),
    F("plan-reality-clip", "two-line", "The plan: one quick clip / The reality: forty takes"),
    F("me-later", "two-line", "Me: I'll just start {doing} / Me three hours later: still "
                              "{doing}", fresh=True),
    F("expectation-moment", "two-line", "Expectation: a smooth {moment} / Reality: this"),
    # era / energy / assignment
    F("era", "era", "My {thing} era has officially begun"),
    F("understood", "assignment", "{Subject} understood the assignment"),
    F("understood-clip", "assignment", "This clip understood the assignment"),
    F("energy-feeling", "energy", "Feeling {feeling} and it shows"),
    # "Me when ..." / "My face when ..."
    F("me-when-again", "me when", "Me when it's {event} again"),
    F("me-when-fill", "me when", "Me when {subject} {fill}"),
    F("seconds-before", "me when", "Me seconds before the {moment}"),
    F("face-after", "my face", "My face after the {moment}", face=True),
    F("face-watching", "my face", "My face watching this back", face=True),
    # explaining / telling / day 1
    F("explaining", "explaining", "Me explaining {subject} to people who didn't ask"),
    F("telling", "explaining", "Me telling everyone about the {moment}"),
    F("day-one", "day one", "Day 1 of {doing}: going great", fresh=True),
    F("petition", "petition", "Petition to make {event} a holiday"),
    F("relationship", "relationship", "{Event} and I are in a committed relationship"),
    F("every-time", "every time", "Me every time I find this in my camera roll"),
    F("nobody-asked", "nobody asked", "Nobody asked, but here is {event} anyway"),
)
BY_ID = {f.id: f for f in BANK}
SHAPES = tuple(dict.fromkeys(f.shape for f in BANK))


def usable(topic_slots: dict[str, str], *, face: bool = False, model: bool = True,
           domain: str = "", counted: bool = False):
    """The formats a topic can fill: every slot it needs is known (or is the model's); with
    no topic, only the formats that fit any clip, and with one, only those that use it."""
    generic_only = not topic_slots
    # "again" contradicts a first time ("POV: it's my first 10k again"): a blind reading
    # marked every such line incoherent
    first_time = any("first" in v.lower().split() for v in topic_slots.values())
    for f in BANK:
        if first_time and " again" in f.template:
            continue
        if f.face and not face:
            continue
        if f.domains and domain not in f.domains:
            continue
        if f.fresh and counted:
            continue
        if generic_only != f.generic:  # a clip with a topic gets formats about it
            continue
        if f.needs_model and not model:
            continue
        if all(s in topic_slots or s == "fill" for s in f.slots):
            yield f


def match_format(text: str) -> MemeFormat | None:
    """The bank format a finished line is an instance of, if any (for free generation)."""
    for f in BANK:
        if f.pattern.match(text.strip()):
            return f
    return None


def whole_clause(text: str, *, min_words: int = 2, max_words: int = 14) -> bool:
    """A complete line: within the word bounds, no dangling last word, no open quote or
    bracket, no trailing colon or comma, every "/" part non-empty."""
    words = text.split()
    if not min_words <= len(words) <= max_words:
        return False
    if text.count('"') % 2 or text.count("(") != text.count(")"):
        return False
    if re.search(r"[:,;/\-]\s*$", text):
        return False
    last = re.sub(r"[^\w']+$", "", words[-1].lower())
    if not last or last in OPEN_END:
        return False
    return all(part.strip(" :") for part in text.split(" / "))
