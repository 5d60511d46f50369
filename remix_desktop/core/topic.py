"""What a video is about, as a small topic: a subject, an event, an activity, a moment.

A 270M model misreads context ("bts" as the band, "shooting" as a gun, "she finally runs" as
a car), so the reading is done here, by rules over our own small lexicon of creator topics,
and the model only ever sees the result. Pure functions over strings: the title, description,
tags and file name (and the creator's own line about the clip, kept as the description).
Tags are labels, never sentences: they pick a domain, they are not quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A domain: the words that point to it (any of them, as a whole word or tag), and the phrases
# captions may use for it. Slot types:
#   thing    a bare noun ("coffee", "the gym" would be wrong: "gym")
#   subject  a noun phrase that can be a sentence's subject ("my cat", "this bike")
#   event    a noun phrase naming the occasion ("leg day", "the commute")
#   doing    a gerund phrase ("making pancakes")
#   moment   the instant, without an article ("first sip", "final round")
#   feeling  an adjective ("awake", "proud")
# `unless`: words that, when present, mean the keyword is in another sense.
DOMAINS: dict[str, dict] = {
    "coffee": dict(keys="coffee espresso latte cappuccino cafe barista caffeine flatwhite",
                   thing="coffee", subject="my coffee", event="the morning coffee",
                   doing="making coffee", moment="first sip", feeling="awake"),
    "cat": dict(keys="cat cats kitten kitty catsofinstagram catlife meow",
                thing="cat", things="cats", subject="my cat", event="the 3 am zoomies",
                doing="chasing the laser", moment="zoomie attack", feeling="chaotic"),
    "dog": dict(keys="dog dogs puppy pup doggo dogsofinstagram corgi labrador retriever",
                thing="dog", things="dogs", subject="my dog", event="walk time",
                doing="chasing snowflakes", moment="first sniff", feeling="excited"),
    "pets": dict(keys="pet pets hamster bunny rabbit parrot", thing="pet", things="pets",
                 subject="my pet",
                 event="feeding time", doing="getting ignored by my pet", moment="snack time",
                 feeling="chaotic"),
    "gym": dict(keys="gym fitness workout legday squat squats deadlift lifting gains "
                     "weights crossfit",
                thing="gym", things="the gym", subject="my legs", event="leg day",
                doing="squatting",
                moment="last rep", feeling="sore"),
    "running": dict(keys="running run runner marathon 10k 5k halfmarathon jog jogging race",
                    unless="motorcycle bike car engine motor garage restoration scooter",
                    thing="running", subject="my legs", event="race day",
                    doing="running", moment="finish line", feeling="proud"),
    "cooking": dict(keys="cooking cook recipe kitchen dinner breakfast pancakes pancake pasta "
                         "chef foodie lunch brunch",
                    thing="cooking", subject="my kitchen", event="breakfast",
                    doing="cooking", moment="first flip", feeling="hungry"),
    "baking": dict(keys="baking bake cake bread cookies sourdough oven dessert",
                   thing="baking", subject="my cake", event="bake day", doing="baking",
                   moment="oven reveal", feeling="hopeful"),
    "travel": dict(keys="travel trip travelling traveling vacation holiday backpacking "
                        "roadtrip wanderlust abroad solotravel tourist",
                   thing="travel", subject="my suitcase", event="the trip",
                   doing="getting lost abroad", moment="first day abroad",
                   feeling="free"),
    "study": dict(keys="study studying exam exams finals university college homework "
                       "library student studygram thesis",
                  thing="studying", subject="my brain", event="finals week",
                  doing="studying", moment="last page", feeling="tired"),
    "gaming": dict(keys="gaming game games gamer ranked fps playstation xbox nintendo "
                        "twitch esports controller",
                   thing="gaming", subject="my controller", event="ranked night",
                   doing="playing ranked", moment="final round", feeling="tilted"),
    "makeup": dict(keys="makeup beauty eyeliner grwm lipstick skincare mascara foundation "
                        "cosmetics",
                   thing="makeup", subject="my eyeliner", event="the makeup routine",
                   doing="doing my makeup", moment="first wing", feeling="fabulous"),
    "diy": dict(keys="diy woodworking ikea furniture build building bookshelf drill "
                     "handmade crafts renovation",
                unless="muscle muscles",
                thing="DIY", subject="this bookshelf", event="the build",
                doing="following the instructions", moment="last screw",
                feeling="handy"),
    "baby": dict(keys="baby babies toddler kids kid parenting milestone firststeps "
                      "momlife dadlife newborn",
                 thing="parenting", subject="my toddler", event="nap time",
                 doing="chasing a toddler", moment="first steps", feeling="proud"),
    "commute": dict(keys="commute commuting train subway metro bus traffic platform "
                         "delayed",
                    thing="commuting", subject="my train", event="the commute",
                    doing="waiting on the platform", moment="delay announcement",
                    feeling="late"),
    "wedding": dict(keys="wedding bride groom married firstdance husband wife engagement "
                         "honeymoon",
                    thing="wedding", things="weddings", subject="my husband",
                    event="the wedding", doing="getting married", moment="first dance",
                    feeling="in love"),
    "filmmaking": dict(keys="filmmaking film filming bts behindthescenes campaign crew "
                            "photoshoot photography cinematography director set camera "
                            "cameraman videography production",
                       thing="filmmaking", subject="the crew", event="the shoot",
                       doing="shooting the campaign", moment="final take",
                       feeling="focused"),
    "vehicle": dict(keys="motorcycle motorbike bike car engine garage restoration rebuild "
                         "scooter moped mechanic",
                    unless="cycling bicycle",
                    thing="bike", subject="this bike", event="the rebuild",
                    doing="fixing the bike", moment="first start", feeling="proud"),
    "garden": dict(keys="garden gardening plants plant tomatoes homegrown harvest "
                        "vegetables seeds",
                   thing="gardening", subject="my tomatoes", event="harvest day",
                   doing="watering the plants", moment="first harvest", feeling="proud"),
    "snow": dict(keys="snow snowday winter skiing ski snowboard", thing="snow",
                 subject="the snow", event="snow day", doing="playing in the snow",
                 moment="first snow", feeling="cold"),
    "moving": dict(keys="moving movingday newhome boxes apartment unpacking house",
                   thing="moving", subject="these boxes", event="moving day",
                   doing="unpacking boxes", moment="last box", feeling="exhausted"),
    "music": dict(keys="karaoke singing concert music band guitar piano song live gig "
                       "festival",
                  unless="behindthescenes filmmaking campaign crew",
                  thing="music", subject="my voice", event="karaoke night",
                  doing="singing", moment="high note", feeling="unstoppable"),
    "space": dict(keys="rocket launch astronaut space nasa spacex orbit",
                  thing="space", subject="this rocket", event="launch day",
                  doing="counting down", moment="liftoff", feeling="nervous"),
    "beach": dict(keys="beach summer ocean sea surf surfing sunset swimming",
                  thing="the beach", subject="my tan", event="beach day",
                  doing="doing nothing at the beach", moment="first swim",
                  feeling="relaxed"),
    "work": dict(keys="work office meeting standup job coworkers remote deadline",
                 thing="work", subject="my inbox", event="the Monday meeting",
                 doing="pretending to work", moment="last meeting", feeling="done"),
    "hiking": dict(keys="hiking hike mountain mountains trail summit camping outdoors",
                   thing="hiking", subject="my legs", event="the hike",
                   doing="climbing the trail", moment="summit view", feeling="tiny"),
    "party": dict(keys="party birthday bday celebration surprise friends nightout",
                  thing="party", things="parties", subject="my friends", event="the party",
                  doing="celebrating", moment="surprise", feeling="loved"),
}

# keys that say a domain only with others: "let me live this down", "the test run", "summer"
_WEAK_KEYS = frozenset("summer live run work set camera film song friends house race build "
                       "building boxes apartment city game games trip sea plant plants band "
                       "line job kitchen dinner lunch launch oven".split())

# Words in a title or description that name a specific moment, kept in their sense.
_FIRST = re.compile(r"\bfirst (?!(?:time|one|of|the|a|to|morning|day|week|night|ever|and|"
                    r"i|we|it|try)\b)([a-z0-9']+(?: (?:lesson|day|"
                    r"date|class|try|attempt|game|match|race|show|trip|flight|swim|ride|"
                    r"bite|sip|step|steps|dance|catch|haircut|tooth|word|words))?)", re.I)
_CAMERA = re.compile(r"^(img|vid|mov|mvi|dsc|dscf|dscn|pxl|gh|gx|gopr|video|clip|"
                     r"screen|screenrecording|recording|trim|signal|whatsapp|snapchat|dji|wa|"
                     r"telegram|capcut|inshot|rpreplay|final|screenshot|untitled|movie|output|export|"
                     r"edit|edited|copy|trimmed|compressed|snapvideo|fb|ig|tiktok|vn|mvimg)$",
                     re.I)
_STOPWORDS = frozenset("a an the and or of to in on at for with is are be it this that my me "
                       "i you your we our was were from as by its it's im i'm not no so "
                       "but just all very too again until into out up down over day".split())


@dataclass(frozen=True)
class Topic:
    """What captions are written for. Empty slots are left out of the formats that need them.
    `source` is "context" when the clip's words said something, "none" otherwise."""

    domain: str = ""
    thing: str = ""
    subject: str = ""
    event: str = ""
    doing: str = ""
    moment: str = ""
    feeling: str = ""
    things: str = ""  # the thing where a plural is meant ("cats"); the thing itself if ""
    counted: bool = False  # the clip counts its days or tries ("day 30", "attempt #12")
    keywords: tuple[str, ...] = ()  # words that make a caption about this clip
    source: str = "none"
    notes: tuple[str, ...] = field(default=(), compare=False)  # how words were read

    @property
    def none(self) -> bool:
        return self.source == "none"

    def slots(self) -> dict[str, str]:
        return {k: v for k, v in (("thing", self.thing), ("subject", self.subject),
                                  ("event", self.event), ("doing", self.doing),
                                  ("moment", self.moment), ("feeling", self.feeling),
                                  ("things", self.things or self.thing)) if v}

    def as_dict(self) -> dict:
        return {"context": "none" if self.none else "context", "domain": self.domain or None,
                **self.slots(), "keywords": list(self.keywords)}

    def __str__(self) -> str:
        if self.none:
            return "none (nothing to go on: only formats that fit any clip)"
        return ", ".join(f"{k}={v!r}" for k, v in self.slots().items()
                         if k != "things" or v != self.thing)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", (text or "").lower())


def tag_words(tags) -> list[str]:
    """A tag is a label: "#Solo Travel" -> "solotravel" and its own words."""
    out = []
    for tag in tags or ():
        parts = words_of(str(tag).lstrip("#"))
        if parts:
            out.append("".join(parts))
            out.extend(p for p in parts if len(parts) > 1)
    return out


def name_words(file_name: str) -> list[str]:
    """Words in a file name that are not a camera's: "IMG_4821.MOV" -> [],
    "bike_runs.mp4" -> ["bike", "runs"]."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", file_name or "")
    out = []
    for w in re.split(r"[\W_]+", stem):
        w = w.lower()
        if not w or any(c.isdigit() for c in w) or _CAMERA.match(w) or len(w) < 3:
            continue
        out.append(w)
    return out


def has_context(title: str, description: str, tags, file_name: str) -> bool:
    return bool(words_of(title) or words_of(description) or tag_words(tags)
                or name_words(file_name))


def extract_topic(title: str = "", description: str = "", tags=(),
                  file_name: str = "") -> Topic:
    """The topic of a clip from its own words (pure; the same words give the same topic)."""
    title_w, desc_w = words_of(title), words_of(description)
    tag_w, name_w = tag_words(tags), name_words(file_name)
    if not (title_w or desc_w or tag_w or name_w):
        return Topic()
    present = set(title_w) | set(desc_w) | set(tag_w) | set(name_w)
    notes = []
    scores: dict[str, float] = {}
    for name, entry in DOMAINS.items():
        keys = set(entry["keys"].split())
        unless = set(entry.get("unless", "").split())
        if unless & present:
            continue
        score = sum(weight * sum(0.25 if k in _WEAK_KEYS else 1.0 for k in keys & set(ws))
                    for weight, ws in ((2.0, tag_w), (1.5, title_w), (1.0, desc_w),
                                       (0.8, name_w)))
        if score >= 0.8:  # a word that is a key only in passing ("live", "run") picks none
            scores[name] = score
    # senses: "shooting"/"bts" with film words are filmmaking; "runs" with an engine is a bike
    if "filmmaking" in scores:
        if "shooting" in present or "bts" in present:
            notes.append("'shooting'/'bts' read as filming (behind the scenes)")
            scores["filmmaking"] += 1.0
        scores.pop("music", None)
    if "vehicle" in scores and {"runs", "running", "run", "starts"} & present:
        notes.append("'runs' read as the engine running")
        scores.pop("running", None)
    domain = max(scores, key=lambda k: (scores[k], -list(DOMAINS).index(k))) if scores else ""
    entry = DOMAINS.get(domain, {})
    slots = _Slots({k: entry.get(k, "") for k in ("thing", "subject", "event", "doing",
                                                  "moment", "feeling")})
    text = " ".join([title, description]).lower()
    # the creator's own words name things better than the lexicon does
    if domain == "coffee":
        for word in ("espresso", "latte", "cappuccino"):
            if word in present:
                slots.update(thing=word, subject=f"this {word}")
    if domain == "vehicle":
        for word in ("motorcycle", "motorbike", "car", "scooter"):
            if word in present:
                noun = "bike" if word in ("motorcycle", "motorbike") else word
                slots.update(thing=noun, subject=f"this {noun}", doing=f"fixing the {noun}")
        if re.search(r"\bfinally (runs|starts|works)\b", text):
            slots["moment"] = "first start"
            slots["feeling"] = "proud"
    if domain == "filmmaking":
        slots["doing"] = "filming the campaign" if "campaign" in present else "filming"
    if domain == "cat" and ("laser" in present):
        slots["doing"] = "chasing the laser"
    if domain in ("cooking", "baking"):
        for word in ("pancakes", "pasta", "bread", "sourdough", "cookies", "cake"):
            if word in present:
                slots.update(thing=word, subject=f"these {word}" if word.endswith("s")
                             else f"this {word}")
                if word == "pancakes":
                    slots.update(doing="flipping pancakes", moment="first flip",
                                 event="pancake Sunday")
    if domain == "running" and ("10k" in present or "marathon" in present):
        slots["event"] = "my first 10k" if "10k" in present else "the marathon"
    if domain == "baby" and "steps" in present:
        slots.update(moment="first steps", subject="my baby", doing="walking")
    if domain == "wedding" and re.search(r"\bfirst ?dance\b", " ".join([*present, text])):
        slots.update(moment="first dance", doing="dancing")
    if domain == "travel" and "lost" in present:
        slots["doing"] = "getting lost abroad"
    if domain == "diy" and "ikea" in present:
        slots["doing"] = "building IKEA furniture"
    if domain == "makeup" and "eyeliner" in present:
        slots.update(moment="first wing", doing="doing my eyeliner")
    if domain == "garden" and "tomatoes" in present:
        slots.update(subject="my tomatoes", moment="first red tomato")
    if domain == "dog" and "snow" in present:
        slots.update(moment="first snow", doing="meeting snow")
    match = _FIRST.search(text)
    if match and "moment" not in slots.ruled:
        phrase = match.group(1).split()
        if phrase and phrase[-1] not in _STOPWORDS:
            slots["moment"] = "first " + " ".join(phrase)
    own = own_phrases(title, description, tags, file_name)
    own_things = own.pop("things", "")
    actor = _actor(title, description)
    if not domain:  # no lexicon entry: the creator's own phrases are the topic
        if not own and not slots.get("moment") and not actor:
            return Topic(notes=("the clip's words name nothing",))
        slots.update(own)
        notes.append("no known topic; read from the clip's own words: "
                     + ", ".join(f"{k}={v!r}" for k, v in own.items()))
    # A lexicon default the clip's own words do not support is an invented specific
    # ("nap time" for a baby's first steps, "first day abroad" for day 2): left out, so no
    # format needs it. The domain's thing and subject stand (the tags name the domain).
    clip = {_stem(w) for w in present}
    for key in ("subject", "event", "doing", "moment", "feeling"):
        value = slots.get(key, "")
        if key in slots.ruled:
            continue  # set from the clip's words by a rule above ("finally runs")
        if key == "moment" and value.startswith("first ") and "first" in present:
            continue  # the creator says it is a first: the domain's first is its reading
        if key == "moment" and value.startswith("first ") and not {"first", "firsttime"} & \
                present:  # a first the creator does not say is an invented one
            notes.append(f"moment {value!r}: the clip says no first: left out")
            dict.__setitem__(slots, key, "")
            continue
        # a default is grounded by a word beyond the one that named the domain: "the
        # morning coffee" needs a morning, not just coffee (it was 3 am on a night shift)
        named = {_stem(w) for w in words_of(entry.get("thing", "") + " " +
                                            entry.get("things", ""))}
        if value and not _grounded(value, clip, ignore=named):
            if own.get(key):  # the creator's own phrase in its place
                slots[key] = own[key]
                continue
            notes.append(f"{key} {value!r} is not in the clip's words: left out")
            dict.__setitem__(slots, key, "")
    for key, value in own.items():  # what the lexicon left empty, the clip's words fill
        if not slots.get(key) and key != "thing":
            slots[key] = value
    if actor and actor.split()[0].lower() in set(entry.get("keys", "").split()) | set(tag_w):
        actor = ""  # "Train delayed again" names no one
    if actor:  # someone else does it: the line is about them, and no "Me ..." activity
        notes.append(f"{actor!r} does what the clip shows: the subject, and no 'me' doing it")
        slots["subject"] = actor
        dict.__setitem__(slots, "doing", "")
    things = entry.get("things", "") if slots.get("thing") == entry.get("thing") else ""
    if not domain:
        things = own_things
    if domain == "vehicle":
        things = slots["thing"] + "s"
    keywords = sorted({*_content({**slots, "things": things}), *(w for w in present if w in
                                          set(entry.get("keys", "").split()))})
    counted = bool(_COUNTED.search(" ".join([title, description])))
    return Topic(domain=domain, **dict(slots), things=things, keywords=tuple(keywords),
                 source="context", notes=tuple(notes), counted=counted)


# words ending in -ing that are not an activity
_NOT_GERUND = frozenset(
    "morning evening thing nothing something everything anything ceiling wedding king spring "
    "string ring during pudding icing frosting stuffing clothing awning herring viking darling "
    "duckling sibling dumpling seedling offspring lightning building earring ping bling sing "
    "sling swing wing bring sting outing ending beginning feeling meeting setting".split())
# tags that say nothing about the clip
_NOISE_TAGS = frozenset(
    "fyp foryou foryoupage fy viral trending trend funny explore explorepage reels reel "
    "tiktok shorts short instagood instagram love lol meme memes comedy relatable fun "
    "video vlog daily life mood vibes aesthetic new best cute omg wow blessed".split())
# where a gerund phrase ends ("fishing with dad" -> "fishing")
_PHRASE_END = frozenset(
    "and but with at in on until after before while because so when vs versus from "
    "for during since then again today yesterday tonight".split())
_OCCASION = re.compile(r"\b(?:([a-z0-9']+) )?([a-z0-9']+) (day|night|week|weekend|morning|"
                       r"party|trip|session|haul)\b(?! \d)")  # "Lisbon day 2" is a diary
_ATTEMPT = re.compile(r"\b([a-z0-9']+) (attempt|try)\b")
_OWNED = re.compile(r"\b([a-z]+'s) ([a-z]+)\b")


def own_phrases(title: str = "", description: str = "", tags=(),
                file_name: str = "") -> dict[str, str]:
    """Slots read from the creator's own words, for any topic the lexicon does not know:
    an activity (a gerund that opens a sentence or follows a verb of doing: "painting the
    spare room", "learning guitar"), a subject ("my parrot", "my little sister", "Priya's
    volcano"), an occasion ("game night"), the thing (the activity's word, or a tag that is
    a plain word). Only what is there."""
    out: dict[str, str] = {}
    names = _proper(title) | _proper(description)
    for text in (title, description):
        for words in _sentences(text):
            _read_sentence(words, out)
    tags_plain = [t for t in tag_words(tags) if t not in _NOISE_TAGS and len(t) > 2
                  and t.isalpha() and t not in _VAGUE]
    if "thing" not in out and tags_plain:
        # a short tag is a word ("peaches"), a long one usually words run together
        out["thing"] = min(tags_plain, key=lambda t: (len(t) > 9, tags_plain.index(t)))
    if "thing" not in out:
        noun = _main_noun([w for w in _plain_words(title) + name_words(file_name)
                           if w not in _NOISE_TAGS and w not in _VAGUE])
        if noun:
            out["thing"] = noun
    for key in ("doing", "subject", "event"):
        if key in out:
            out[key] = " ".join(names.get(w, w) for w in out[key].split())
    if out.get("thing") and not _gerund(out["thing"]) and out["thing"] not in _MASS \
            and not out["thing"].endswith(("s", "x", "sh", "ch", "f", "y", "q")):
        out["things"] = out["thing"] + "s"  # "Tell me you love picnics ..."
    return out


# verbs after which a gerund is the activity ("went fishing", "started knitting")
_DOING_AFTER = frozenset("went go goes going love loves tried try started start learning "
                         "keep kept finally and of for about at after while from".split())
# before a gerund these make it a verb in progress or a noun ("I was killing it")
_NOT_DOING_AFTER = frozenset("was were am is are been be i'm he's she's it's we're they're "
                             "first last a the my our his her their this that".split())
_CONTRACTION = frozenset("it's that's there's what's he's she's who's let's here's where's "
                         "how's one's".split())
_ADJECTIVE = frozenset("little lil big baby younger older best new old poor sweet tiny huge "
                       "favourite favorite".split())
_VAGUE = frozenset("new old big little huge tiny best good bad great first last final "
                   "actually really finally today fail oops insane sad messy wholesome "
                   "progress firsttime".split())
_MASS = frozenset("music coffee food work snow travel gardening fitness makeup".split())


def _read_sentence(words: list[str], out: dict[str, str]) -> None:
    for i, w in enumerate(words):
        before = words[i - 1] if i else ""
        if "doing" not in out and _gerund(w) and (not i or before in _DOING_AFTER) \
                and before not in _NOT_DOING_AFTER:
            phrase = [w]
            for nxt in words[i + 1:i + 4]:
                if nxt in _PHRASE_END or not nxt.isalpha() and "'" not in nxt:
                    break
                phrase.append(nxt)
            while len(phrase) > 1 and phrase[-1] in _STOPWORDS | {"my", "our"}:
                phrase.pop()
            out["doing"] = " ".join(phrase)
            if len(phrase) == 1 or phrase[1] not in ("it", "this", "that"):
                out.setdefault("thing", w)  # "killing it" is no thing
        if w in ("my", "our") and i + 1 < len(words) and "subject" not in out:
            noun = _noun_after(words, i + 1)
            if noun:
                out["subject"] = f"{w} {noun}"
        if w.endswith("'s") and w not in _CONTRACTION and len(w) > 3 \
                and "subject" not in out and i + 1 < len(words):
            noun = _noun_after(words, i + 1)
            if noun:
                out["subject"] = f"{w} {noun}"
    joined = " ".join(words)
    match = _OCCASION.search(joined)
    if match and "event" not in out and _content_word(match.group(2)) \
            and len(match.group(2)) > 2:
        first = match.group(1) if match.group(1) and _content_word(match.group(1)) else ""
        out["event"] = " ".join(x for x in (first, match.group(2), match.group(3)) if x)
    match = _ATTEMPT.search(joined)
    if match and "moment" not in out and _content_word(match.group(1)):
        out["moment"] = match.group(0)


def _noun_after(words: list[str], j: int) -> str:
    """The noun a "my" or a possessive owns: one word, two after an adjective ("little
    sister"), never a function word, a number or a verb-like -ing word."""
    taken = []
    while j < len(words) and len(taken) < 2:
        word = words[j]
        if word in _STOPWORDS or word in ("first", "last", "own") or not word.isalpha() \
                and "'" not in word or _gerund(word):
            break
        taken.append(word)
        if word not in _ADJECTIVE:
            return " ".join(taken)
        j += 1
    return ""


def _sentences(text: str) -> list[list[str]]:
    """The text's sentences (and clauses after a colon or a dash) as plain words."""
    parts = re.split(r"[.!?:;()\u2026]+|\s[-\u2013\u2014]\s", text or "")
    return [w for w in (_plain_words(part) for part in parts) if w]


def _proper(text: str) -> dict[str, str]:
    """Words written with a capital inside a sentence ("lost in Alfama"), and capitalised
    possessives ("Priya's"): names, kept so. A Title Case text says nothing of names."""
    raw = re.findall(r"[A-Za-z][A-Za-z0-9']*", text or "")
    long = [w for w in raw if len(w) > 3]
    if long and all(w[0].isupper() for w in long):
        return {}
    names = {}
    for sentence in re.split(r"[.!?:;]+", text or ""):
        words = re.findall(r"[A-Za-z][A-Za-z0-9']*", sentence)
        for i, w in enumerate(words):
            if w[0].isupper() and w != "I" and not w.isupper() and (
                    i or w.lower().endswith("'s") and w.lower() not in _CONTRACTION):
                names[w.lower()] = w
    return names


_ACTS = frozenset("made make makes stole steals took takes got gets saw sees ran runs did does "
                  "tried tries learned learnt finally just found finds ate eats went goes fell "
                  "falls won wins lost loses caught catches turned said says decided refuses "
                  "refused outlasted can cannot can't will wants is was has had".split())
_THIRD = frozenset("she he they".split())


def _actor(title: str, description: str) -> str:
    """Who does what the clip shows, when it is not the creator: "Miso vs the laser pointer",
    "Nana stole the dance floor", "Ava (6) made it to the mailbox". A name, as written (a
    lower-case one gets its capital); "" when it is the creator or nobody is named."""
    match = re.match(r"\s*([A-Za-z][a-z']+) vs\.? ", title or "")
    if match and match.group(1).lower() not in _STOPWORDS | {"me", "mom", "dad", "my"}:
        name = match.group(1)
        return name[0].upper() + name[1:]
    for text in (title, description):
        for sentence in re.split(r"(?<=[.!?])\s+", text or ""):
            words = re.findall(r"[A-Za-z][A-Za-z']*", re.sub(r"\([^)]*\)", " ", sentence))
            if len(words) < 2:
                continue
            first, verb = words[0], words[1].lower()
            if len(words) > 2 and words[1][0].isupper() and words[1].lower() not in _ACTS:
                first, verb = f"{words[0]} {words[1]}", words[2].lower()  # "Auntie Rose won"
            head = first.split()[0].lower()
            if first[0].isupper() and not first.isupper() and head not in \
                    _STOPWORDS | _THIRD | {"me", "we", "you", "my", "our", "first", "day"} \
                    and (verb in _ACTS or verb.endswith("ed")) and not _gerund(head) \
                    and head not in _ACTS and not head.endswith("ed"):
                return first
    return ""


def _content_word(word: str) -> bool:
    return bool(word) and word not in _STOPWORDS | {"my", "our", "first", "last"} \
        and not word.isdigit()


def _gerund(word: str) -> bool:
    return (word.endswith("ing") and len(word) > 5 and word not in _NOT_GERUND
            and word.isalpha())


def _plain_words(text: str) -> list[str]:
    return [w.strip("'") for w in words_of(text) if w.strip("'")]


def on_topic(text: str, topic: Topic) -> bool:
    """Shares a word of the topic's subject, event, activity or moment."""
    if topic.none:
        return True
    mine = {_stem(w) for w in words_of(text) if w not in _STOPWORDS}
    return bool(mine & {_stem(k) for k in topic.keywords})


def _content(slots: dict) -> set[str]:
    out = set()
    for value in slots.values():
        out.update(w for w in words_of(value) if w not in _STOPWORDS and len(w) > 2
                   and w not in ("first", "last", "final", "this", "these", "time"))
    return out


class _Slots(dict):
    """The topic's slots, remembering which were set by a rule from the clip's words (after
    the domain's defaults filled them)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.ruled: set[str] = set()

    def __setitem__(self, key, value):
        self.ruled.add(key)
        super().__setitem__(key, value)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


# a clip well into something: "day 30", "attempt #12", "round 47", "6 months of", "#47"
_COUNTED = re.compile(r"\b(?:day|attempt|round|take|try|week|month|year)\s*#?\s*(?:[2-9]|\d\d+)\b"
                      r"|\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many)\s+"
                      r"(?:days|weeks|months|tries|attempts)\b|#\s*\d+", re.I)

# words that ground nothing: any occasion has a day or a night
_GENERIC = frozenset("day night week weekend morning evening time today".split())


def _grounded(value: str, clip_stems: set[str], ignore: set[str] = frozenset()) -> bool:
    """Whether a slot value shares a content word (by stem, or one stem the start of the
    other, 4 letters or more) with the clip's own words; words whose stem is in `ignore`
    do not count."""
    for word in _content({"v": value}) - _GENERIC:
        stem = _stem(word)
        if stem in ignore:
            continue
        if stem in clip_stems or any(
                min(len(stem), len(c)) >= 4 and (stem.startswith(c) or c.startswith(stem))
                for c in clip_stems):
            return True
    return False


def _stem(word: str) -> str:
    for end in ("ing", "es", "s"):
        if word.endswith(end) and len(word) > len(end) + 2:
            return word[:-len(end)]
    return word


def _main_noun(words: list[str]) -> str:
    for w in words:
        if w not in _STOPWORDS and len(w) > 2 and not w.isdigit() and not w.endswith("'s") \
                and w not in ("first", "last", "final"):
            return w
    return ""
