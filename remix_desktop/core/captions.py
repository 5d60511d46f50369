"""Meme captions from a small local language model: topic, formats, fills and ranking.

The default model is a 270M base model: it writes short fluent phrases well and jokes badly,
and left to write whole lines it cuts off mid-clause, misuses formats and misreads context.
So it is given the part it can do. The clip's words become a small topic (core.topic); a
bank of our own meme formats with typed slots (core.meme_formats) is filled from the topic,
and a few formats leave a short slot for the model, sampled under a token mask so it is whole
words ending cleanly. Every line is scored by the model (the log-probability of its slots in
place, and of the line ending there), ranked for being about the clip, fluent and varied, and
nothing is shown unless it is a whole clause in one of the bank's formats. With nothing to
go on, only formats that fit any clip are used. Free generation (the older few-shot path)
stays for instruction-tuned models, held to the same rule. Everything here is a pure function
except `generate_captions`, which drives a `TextModel` (the engine's llama.cpp model).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from . import meme_formats as mf
from .topic import Topic, extract_topic, name_words, on_topic, words_of

MIN_WORDS, MAX_WORDS, MAX_CHARS = 2, 14, 160
MAX_USER_CHARS = 500  # a caption the creator writes (the export's XMP keeps as many)
MAX_MARKS = 4  # combining marks kept on one character; more is a "Zalgo" flood
_RAW_LIMIT = 4000  # untrusted text beyond this is never looked at
_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n",
                         "\u2028": "\n", "\u2029": "\n", "\t": " "})

# The shapes candidates open with, in the order they are tried: four candidates get four
# different forms.
OPENERS = ("POV:", "Me when", "When", "Nobody: / Me:", "That feeling when", "My face when",
           "Me after", "Me trying to")

# Our own few-shot set: varied scenes, each answered by a real meme shape, never by a
# description of the picture.
EXAMPLES = (
    ("a cat pushing a glass to the edge of a table; indoors, warm light",
     "Me when someone says \"don't you dare\""),
    ("a man running for a bus in the rain; grey, lots of motion",
     "POV: you said you'd leave early today"),
    ("a dog staring at a closed fridge; a kitchen at night",
     "Nobody: / My dog at 2am: we should check the fridge again"),
    ("a student asleep on a pile of books; a library, dim",
     "When the group project is due tomorrow and nobody has started"),
    ("a child tasting a lemon for the first time; a face, bright, yellow",
     "That feeling when the plot twist hits too hard"),
    ("steam rising from a mug on a windowsill; morning, orange and white",
     "Me after the first sip realising I can be a person again"),
    ("a toddler dancing in front of a speaker; living room, lots of motion",
     "Weekend me be like"),
    ("a skateboarder falling on a ramp; outdoors, sunny",
     "My face when I said \"watch this\""),
    ("a woman opening a laptop full of notifications; an office",
     "Me trying to act normal after 47 unread emails"),
)

HEADER = ("Funny meme captions for video frames. A caption is short, relatable and "
          "written from the viewer's side; it never describes what is in the picture.\n\n")

DESCRIPTIVE = frozenset(
    "red orange yellow green blue purple pink brown black white grey gray colour color "
    "mostly picture image photo frame video scene shows showing background foreground "
    "visible depicts depicting pixels".split())
DANGLING = frozenset("a an the to of and or for with at in on my your his her their our "
                     "i i'm but so because that".split())
STOP = frozenset(
    "a an the and or of to in on at for with is are be it this that my me i you your we "
    "our when pov nobody feeling face after trying just so like be was were from as by "
    "its it's im i'm not no".split())


_ANALYSIS = re.compile(r"^(?:(?:lots of|some|no) motion|well lit|dim|dark|bright|washed out|"
                       r"blurry|soft|sharp|still|mostly\b.*|(?:a|two|three|four|five) faces?)$",
                       re.I)
_EXAMPLE_TEXT = "\n".join(" ".join(re.findall(r"[a-z0-9']+", c.lower())) for _, c in EXAMPLES)


@dataclass(frozen=True)
class CaptionContext:
    """What the prompt knows about the video and the chosen frame."""

    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    file_name: str = ""
    seen: tuple[str, ...] = ()  # what OpenCV sees: "a face", "bright", "mostly orange"
    # what a vision model says the frame shows ("a cat asleep on a sofa"): words for the
    # topic, read as the creator's description is (a suggestion the creator may keep)
    shown: str = ""
    # formats already used, as (format id, weight): this video's kept captions weigh more
    # than the library's latest, so "More" and the next video get other lines
    used: tuple[tuple[str, float], ...] = ()

    def scene(self) -> str:
        parts = [self.title, self.description, self.shown]
        if self.tags:
            parts.append(", ".join(self.tags))
        name = " ".join(name_words(self.file_name))
        if name and name.lower() not in " ".join(parts).lower():
            parts.append(name)
        text = "; ".join(p.strip() for p in parts if p and p.strip())
        if self.seen:
            text = f"{text}; {', '.join(self.seen)}" if text else ", ".join(self.seen)
        return _squash(text)[:300] or "a short video clip"

    def words(self) -> set[str]:
        return _content_words(self.scene())

    def topic(self) -> Topic:
        return extract_topic(self.title, " ".join(p for p in (self.description, self.shown)
                                                  if p), self.tags, self.file_name)

    @property
    def face(self) -> bool:
        return any("face" in s for s in self.seen)


@dataclass(frozen=True)
class Sample:
    """One continuation from the model: its text and the log-probability of its tokens."""

    text: str
    logprob: float
    tokens: int


@dataclass(frozen=True)
class Caption:
    text: str
    opener: str
    seed: int
    score: float
    logprob: float = 0.0
    source: str = "model"  # "model" (the model wrote a part), "template" (the topic filled it)
    format: str = ""  # the bank format's id ("" for a line in no format: never shown)
    shape: str = ""  # the classic shape the format belongs to


class TextModel(Protocol):
    """What captions need from a language model (the engine implements it with llama.cpp)."""

    model_id: str
    chat: bool  # an instruction-tuned model with a chat template

    def sample(self, segments: Sequence[str], *, seed: int, max_tokens: int) -> Sample:
        """Continue the joined segments to the end of the line. Segments repeated from the
        previous call are not evaluated again."""
        ...

    def render_chat(self, messages: list[dict]) -> str:
        """The model's chat template applied to `messages`, ready for the assistant."""
        ...

    def score(self, segments: Sequence[str],
              lines: Sequence[Sequence[tuple[str, bool]]]) -> list[tuple[float, int]]:
        """(log-probability, tokens scored) of each line, given as (text, scored) parts,
        after the prompt; the line's end is scored too."""
        ...

    def fill(self, segments: Sequence[str], *, seed: int, min_words: int = 2,
             max_words: int = 6) -> Sample:
        """A short slot after the prompt: whole lower-case words, ending on a word that can
        end a clause, or "" when there is none."""
        ...


@dataclass
class CaptionRun:
    captions: list[Caption]
    tried: int
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (raw text, why)
    topic: Topic | None = None
    shown: str = ""  # what a vision model said the frame shows (the topic read it)
    backend: str = "text"  # the back end that wrote them (core.model_kinds.CaptionBackend)

    @property
    def context(self) -> str:
        """"none" when there was nothing to go on (only formats that fit any clip)."""
        return "none" if self.topic is None or self.topic.none else "context"


def build_prompt(context: CaptionContext) -> list[str]:
    """The shared few-shot prompt for a base model, as segments: the fixed examples (the
    same for every video), then this video's scene. A candidate appends its opener."""
    shots = "".join(f"Video: {scene}\nCaption: {caption}\n\n" for scene, caption in EXAMPLES)
    return [HEADER + shots, f"Video: {context.scene()}\nCaption:"]


def build_messages(context: CaptionContext) -> list[dict]:
    """The same task for an instruction-tuned model, as chat messages."""
    shots = "\n".join(f"- {scene} -> {caption}" for scene, caption in EXAMPLES)
    return [{"role": "user", "content": (
        f"{HEADER}Examples:\n{shots}\n\nWrite one caption, on one line, for this video: "
        f"{context.scene()}")}]


def visible_text(text: str) -> str:
    """Untrusted text without what could hide in it or disguise it: NFC; every kind of line
    break as "\n" and tabs as spaces; no control, format (bidi overrides, zero-width),
    surrogate, private-use or unassigned characters; at most MAX_MARKS combining marks on
    one character."""
    text = unicodedata.normalize("NFC", str(text).replace("\r\n", "\n").translate(_BREAKS))
    kept, marks = [], 0
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if kind == "C" and ch != "\n":
            continue
        marks = marks + 1 if kind == "M" else 0
        if marks <= MAX_MARKS:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def clean_user_caption(text: str) -> str:
    """A caption the creator typed or pasted: untrusted like the model's, so the same hidden
    characters go, but its lines stay (classic puts a second line at the bottom); spaces
    squashed, empty lines dropped, at most MAX_USER_CHARS characters (cut with an ellipsis)."""
    lines = (" ".join(line.split()) for line in
             visible_text(str(text)[:MAX_USER_CHARS * 8]).split("\n"))
    text = "\n".join(line for line in lines if line)
    if len(text) > MAX_USER_CHARS:
        text = text[:MAX_USER_CHARS - 1].rstrip() + "\u2026"
    return text


def clean_caption(raw: str, opener: str = "") -> str | None:
    """Untrusted model text -> one caption line, or None when nothing usable is left."""
    text = visible_text((raw or "")[:_RAW_LIMIT])
    text = _squash(text.split("\n", 1)[0])  # single spaces: the patterns below stay linear
    text = re.sub(r"^\s*(caption|video|meme)\s*:\s*", "", text, flags=re.I)
    text = re.sub(r"\s*(Video|Caption)\s*:.*$", "", text)
    text = re.sub(r"https?://\S+|www\.\S+|[#@]\w+", "", text)
    text = re.split(r"\s*[;|]\s*|\s+-{1,2}\s+", text, maxsplit=1)[0]  # scene-style lists
    # clauses in the words of the frame analysis ("lots of motion", "mostly blue") go
    clauses = [c for c in re.split(r"\s*,\s*", text) if not _ANALYSIS.search(c)]
    text = ", ".join(clauses)
    text = f"{opener} {text.strip()}" if opener else text
    parts = text.split(" / ")
    if len(parts) > 2:  # "Nobody: / Me: / My friend: ..." -> keep the setup and the punchline
        text = f"{parts[0]} / {parts[-1]}"
    text = _squash(text).strip(" \"'`“”‘’*_~-–—,;")
    if text.count('"') % 2:
        text = text.replace('"', "")
    words = text.split()
    if len(words) > MAX_WORDS:
        cut = " ".join(words[:MAX_WORDS])
        clause = re.split(r"(?<=[.!?])\s", cut)[0]
        text = clause if len(clause.split()) >= MIN_WORDS + 1 else cut
        words = text.split()
    if len(words) < MIN_WORDS or len(text) > MAX_CHARS:
        return None
    words = text.rstrip(":;,").split()
    while len(words) > MIN_WORDS and words[-1].lower().strip(",.") in DANGLING:
        words.pop()  # "...I had never been a" -> "...I had never been"
    text = " ".join(words).rstrip(":;,")
    if opener and _norm(text) == _norm(opener):
        return None
    return text


def judge(caption: str, opener: str, logprob: float, tokens: int,
          context: CaptionContext) -> tuple[float, str | None]:
    """A score (higher is better) and, for a caption that must not be shown, why."""
    own = caption[len(opener):] if opener and caption.startswith(opener) else caption
    own_words = _content_words(own)
    if not own_words:
        return -99.0, "it says nothing after its opener"
    if describes_picture(caption):
        return -99.0, "it describes the picture"
    if echoes(own, context):
        return -99.0, "it repeats the video's own words"
    if copies_example(caption):
        return -99.0, "it copies one of the prompt's examples"
    fluency = logprob / max(tokens, 1)
    overlap = len(own_words & context.words()) / len(own_words)
    n = len(caption.split())
    length = 0.0 if 4 <= n <= 12 else -0.6
    repeat = -1.0 if len(set(caption.lower().split())) < 0.7 * n else 0.0
    return fluency - 1.5 * overlap + length + repeat, None


def describes_picture(text: str) -> bool:
    words = re.findall(r"[a-z']+", text.lower())
    if not words:
        return False
    visual = sum(w in DESCRIPTIVE for w in words)
    starts_like_label = words[0] in ("a", "an", "the") and not re.search(
        r"\b(me|my|i|i'm|you|your|we|us|when|pov)\b", text.lower())
    return visual >= 2 or visual / len(words) > 0.25 or starts_like_label


def copies_example(text: str) -> bool:
    """True when four or more words in a row come from a few-shot example."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    return any(" ".join(words[i:i + 4]) in _EXAMPLE_TEXT for i in range(len(words) - 3))


def echoes(text: str, context: CaptionContext) -> bool:
    """True when the caption copies three or more words in a row from its context."""
    scene = " ".join(re.findall(r"[a-z0-9']+", context.scene().lower()))
    words = re.findall(r"[a-z0-9']+", text.lower())
    return any(" ".join(words[i:i + 3]) in scene for i in range(len(words) - 2))


def meme_shape(text: str) -> str | None:
    """The meme form a caption has, if any (for reporting and tests)."""
    lower = text.lower()
    for name, pattern in (("pov", r"^pov\b"), ("nobody", r"^nobody:"),
                          ("me when", r"^me when\b"), ("that feeling", r"^that feeling when\b"),
                          ("my face when", r"^my face when\b"), ("when", r"^when\b"),
                          ("be like", r"\bbe like\b"), ("me", r"^me\b")):
        if re.search(pattern, lower):
            return name
    return None


SCORE_HEADER = (
    "Meme captions creators wrote for their own short videos. Each is one short, funny, "
    "relatable line about the video.\n\n"
    "Video: morning run; first kilometre; running\nCaption: Me pretending the first "
    "kilometre is a warm-up\n\n"
    "Video: my dog; bath time\nCaption: My dog understood the assignment\n\n"
    "Video: a clip from my camera roll\nCaption: POV: you found this in my camera roll\n\n"
    "Video: pizza night; first slice; making pizza\nCaption: Pizza first, personality "
    "later\n\n")


def topic_line(topic: Topic) -> str:
    """The topic as the model reads it: our own slots, never the raw context."""
    if topic.none:
        return "Video: a clip from my camera roll\nCaption:"
    parts = [p for p in (topic.event or topic.subject, topic.moment, topic.doing) if p]
    return f"Video: {'; '.join(dict.fromkeys(parts))}\nCaption:"


GENERIC_PENALTY = 50.0  # a clip with a topic is shown all its own lines before any for any clip


def candidate_formats(topic: Topic, *, face: bool, seed: int, templates: int = 8,
                      fills: int = 2) -> list[mf.MemeFormat]:
    """The formats to try for a topic, one per shape, in a seeded order: `templates` filled
    from the topic alone and up to `fills` with a slot for the model."""
    rng = random.Random(seed)
    usable = list(mf.usable(topic.slots(), face=face, domain=topic.domain,
                            counted=topic.counted))
    by_shape: dict[str, list[mf.MemeFormat]] = {}
    for f in usable:
        by_shape.setdefault(f.shape, []).append(f)
    shapes = list(by_shape)
    rng.shuffle(shapes)
    plain: list[mf.MemeFormat] = []
    model: list[mf.MemeFormat] = []
    for shape in shapes:
        options = by_shape[shape]
        rng.shuffle(options)
        for f in options:
            if f.needs_model and len(model) < fills:
                model.append(f)
                break
            if not f.needs_model and len(plain) < templates:
                plain.append(f)
                break
    if not topic.none and len({f.shape for f in plain}) < templates:
        # too few shapes the clip's own words can fill: formats that fit any clip, in the
        # shapes still missing, come after them (and rank below them, see GENERIC_PENALTY)
        spare = [f for f in mf.usable({}, face=face) if f.shape not in by_shape]
        rng.shuffle(spare)
        seen = set(by_shape)
        for f in spare:
            if f.shape not in seen and len(plain) < templates:
                plain.append(f)
                seen.add(f.shape)
    return plain + model


def line_parts(fmt: mf.MemeFormat, values: dict[str, str]) -> list[tuple[str, bool]]:
    """A filled line as (text, scored) parts with a leading space: the slots are scored,
    the format's own words are not (they are ours and the same for every clip)."""
    parts: list[tuple[str, bool]] = []
    for i, piece in enumerate(mf.SLOT.split(fmt.template)):
        if i % 2:
            value = values[piece.lower()]
            parts.append((value[:1].upper() + value[1:] if piece[0].isupper() else value, True))
        elif piece:
            parts.append((piece, False))
    text, out = "", []
    for piece, scored in parts:  # spaces go with the piece that follows them
        lead = piece[: len(piece) - len(piece.lstrip())]
        if out and lead:
            out[-1] = (out[-1][0].rstrip(), out[-1][1])
        out.append(((" " if not out else lead) + piece.lstrip(), scored))
        text += piece
    return [(p, s) for p, s in out if p.strip()]


def check_line(text: str, topic: Topic, context: CaptionContext,
               written: str = "") -> str | None:
    """Why a finished line must not be shown, or None. `written` is the part the model
    wrote (a fill, or a free line), held to more: no picture description, no repeats."""
    fmt = mf.match_format(text)
    if fmt is None:
        return "it is in none of the bank's formats"
    if not mf.whole_clause(text, min_words=MIN_WORDS, max_words=MAX_WORDS):
        return "it is not a whole clause of 2-14 words"
    if written:
        if describes_picture(written) and not text.lower().startswith(
                ("nobody", "pov", "me ", "that feeling")):
            return "it describes the picture"
        if describes_picture(written) and sum(w in DESCRIPTIVE for w in words_of(written)):
            return "it describes the picture"
        head = set(words_of(text[: len(text) - len(written)]))
        own = [w for w in words_of(written) if w not in STOP and len(w) > 2]
        if len(set(own)) < len(own) or any(w in head or w.rstrip("s") in head for w in own):
            return "its words repeat the line's own"
    if echoes_creator(text, context, topic):
        return "it repeats the creator's own sentence"
    if not topic.none and not on_topic(text, topic) and not fmt.generic:
        # a format that fits any clip is let through: it only fills a shape the clip's
        # own lines leave empty, ranked after them (GENERIC_PENALTY)
        return "it is not about the clip's topic"
    return None


def echoes_creator(text: str, context: CaptionContext, topic: Topic | None = None) -> bool:
    """Three words in a row from the description, or four from the title, outside the
    topic's own phrases (which are the clip's words by design: "my little sister")."""
    words = _without_topic(text, topic).split()
    for source, n in ((context.description, 3), (context.title, 4)):
        own = " " + " ".join(words_of(source)) + " "
        if any(f" {' '.join(words[i:i + n])} " in own for i in range(len(words) - n + 1)):
            return True
    return False


def _without_topic(text: str, topic: Topic | None) -> str:
    """The line's words with each of the topic's phrases as one mark (longest first)."""
    lowered = " ".join(words_of(text))
    for value in sorted((topic.slots().values() if topic else ()), key=len, reverse=True):
        phrase = " ".join(words_of(value))
        if phrase:
            lowered = re.sub(rf"\b{re.escape(phrase)}\b", " \u00a7 ", lowered)
    return lowered


USED_PENALTY = 0.8  # per unit of a format's use (CaptionContext.used)
FILL_FLOOR = -3.2  # a model fill less likely than this per token is not shown
MAX_MODEL_SHOWN = 1  # of the four shown, at most one has words the model wrote


def generate_captions(model: TextModel, context: CaptionContext, *, count: int = 4,
                      seed: int = 0, templates: int = 6, fills: int = 1, free: int | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] = lambda: False) -> CaptionRun:
    """Captions for a clip: formats of the bank filled from its topic and, in a few short
    slots, by the model; each scored by the model, checked, ranked and the best `count`
    shown, one per shape. `free` free-written candidates are added (by default only for
    instruction-tuned models), held to the same formats."""
    topic = context.topic()
    values = topic.slots()
    used = dict(context.used)
    prompt = [SCORE_HEADER, topic_line(topic)]
    formats = candidate_formats(topic, face=context.face, seed=seed, templates=len(mf.BANK),
                                fills=fills)
    if free is None:
        free = count if model.chat else 0
    total = min(len(formats), templates + fills) + free
    done = 0
    rejected: list[tuple[str, str]] = []
    kept: list[Caption] = []
    # formats not used yet are tried first (sorted is stable: the seeded order stays)
    plain = sorted((f for f in formats if not f.needs_model), key=lambda f: used.get(f.id, 0))
    jitter = random.Random(seed * 7919 + 1)  # seeded: near ties go different ways per seed
    # the lines are scored a batch at a time until there are enough to choose from
    for start in range(0, len(plain), templates):
        if start and (len({c.shape for c in kept}) > count or cancelled()):
            break
        batch = plain[start:start + templates]
        scores = model.score(prompt, [line_parts(f, values) for f in batch])
        for f, (logprob, n) in zip(batch, scores):
            text = f.fill(values)
            why = check_line(text, topic, context)
            # a slot that opens the line is all but given by the prompt's topic: no credit
            lead = 1.5 if f.template.startswith("{") else 0.0
            if f.generic and not topic.none:  # a line that fits any clip: after the clip's
                lead += GENERIC_PENALTY
            lead += used.get(f.id, 0.0) * USED_PENALTY
            if why:
                rejected.append((text, why))
            else:
                kept.append(Caption(text, f.shape, seed,
                                    round(logprob / max(n, 1) - lead + jitter.random(), 4),
                                    round(logprob, 3), source="template", format=f.id,
                                    shape=f.shape))
            done += 1
    if progress:
        progress(done, total)
    for i, f in enumerate(f for f in formats if f.needs_model):
        if cancelled():
            break
        fill_seed = seed * 1000 + i
        head = f.prefix(values)
        sample = model.fill([*prompt, " " + head], seed=fill_seed, min_words=2, max_words=6)
        done += 1
        if progress:
            progress(done, total)
        if not sample.text:
            rejected.append((head, "the model found no whole clause for the slot"))
            continue
        written = visible_text(sample.text).strip()
        text = f.fill({**values, "fill": written})
        why = check_line(text, topic, context, written) or (
            "the model was unsure of it" if sample.logprob / sample.tokens < FILL_FLOOR
            else None)
        if why:
            rejected.append((text, why))
            continue
        kept.append(Caption(text, f.shape, fill_seed,
                            round(sample.logprob / sample.tokens
                                  - used.get(f.id, 0.0) * USED_PENALTY, 4),
                            round(sample.logprob, 3), source="model", format=f.id,
                            shape=f.shape))
    for i in range(free):
        if cancelled():
            break
        kept_free = _free_line(model, context, topic, seed * 1000 + 500 + i, rejected)
        done += 1
        if progress:
            progress(done, total)
        if kept_free:
            kept.append(kept_free)
    # the model's own words are the least sure part (four blind readings kept almost none of
    # them): at most one, and only where the bank's lines, those for any clip included, are
    # fewer than `count`
    ranked = sorted(kept, key=lambda c: -c.score)
    model_made = [c for c in ranked if c.source == "model"]
    bank_made = [c for c in ranked if c.source != "model"]
    chosen = pick_diverse(bank_made, count, topic)
    if len(chosen) < count:
        chosen += [c for c in pick_diverse(model_made[:MAX_MODEL_SHOWN], count, topic)
                   if c not in chosen][:count - len(chosen)]
    return CaptionRun(chosen, total, rejected, topic)


def _free_line(model: TextModel, context: CaptionContext, topic: Topic, cand_seed: int,
               rejected: list) -> Caption | None:
    """One freely written line (the older few-shot path), kept only in a bank format."""
    opener = OPENERS[cand_seed % len(OPENERS)]
    prompt = [model.render_chat(build_messages(context))] if model.chat else \
        build_prompt(context)
    sample = model.sample([*prompt, f" {opener}"], seed=cand_seed, max_tokens=24)
    text = clean_caption(sample.text, opener)
    if text is None:
        rejected.append((sample.text, "empty or out of length bounds"))
        return None
    # held to the bank's rule and to the few-shot path's own (no copy of its examples, no
    # scene words): `judge` ranks it as it ranked every line before the bank
    score, why = judge(text, opener, sample.logprob, sample.tokens, context)
    why = why or check_line(text, topic, context, text[len(opener):]) or (
        "it was cut off" if sample.tokens >= 24 else None)
    if why:
        rejected.append((text, why))
        return None
    fmt = mf.match_format(text)
    return Caption(text, fmt.shape, cand_seed, round(score, 4), round(sample.logprob, 3),
                   source="model", format=fmt.id, shape=fmt.shape)


def pick_diverse(candidates: Sequence[Caption], count: int,
                 topic: Topic | None = None) -> list[Caption]:
    """Best first, one per shape (the opener, for lines without one) until every shape had
    its turn; a line that shares three words in a row with one already chosen waits (the
    topic's own phrases do not count: every line about "my little sister" has them)."""
    ranked = sorted(candidates, key=lambda c: -c.score)
    chosen: list[Caption] = []
    used: set[str] = set()

    def own_words(text: str) -> list[str]:
        return _without_topic(text, topic).split()

    def similar(c: Caption) -> bool:
        mine = own_words(c.text)
        grams = {" ".join(mine[i:i + 3]) for i in range(len(mine) - 2)}
        return any(grams & {" ".join(w[i:i + 3]) for i in range(len(w) - 2)}
                   for w in (own_words(o.text) for o in chosen))

    for strict in (True, False):
        for c in ranked:
            if len(chosen) >= count:
                break
            key = c.shape or c.opener
            if c in chosen or (key in used and strict) or (strict and similar(c)):
                continue
            chosen.append(c)
            used.add(key)
    return chosen


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOP and len(w) > 2}
