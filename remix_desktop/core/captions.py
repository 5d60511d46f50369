"""Meme captions from a small local language model: prompt, clean-up and reranking.

The model is a 270M base model: left alone it echoes its context ("a cup of coffee, mostly
orange"). So it is guided: a few-shot prompt of meme shapes, each candidate opened with a
different shape (POV:, When, Me when, ...), more candidates made than shown, and a rerank
by the model's own log-probability with penalties for echoing the context or describing
the picture. Everything here is a pure function except `generate_captions`, which drives a
`TextModel` (implemented by the engine with llama.cpp).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

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

    def scene(self) -> str:
        parts = [self.title, self.description]
        if self.tags:
            parts.append(", ".join(self.tags))
        name = _name_words(self.file_name)
        if name and name.lower() not in " ".join(parts).lower():
            parts.append(name)
        text = "; ".join(p.strip() for p in parts if p and p.strip())
        if self.seen:
            text = f"{text}; {', '.join(self.seen)}" if text else ", ".join(self.seen)
        return _squash(text)[:300] or "a short video clip"

    def words(self) -> set[str]:
        return _content_words(self.scene())


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
    source: str = "model"  # "model" or "template" (filled in when the model fell short)


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


@dataclass
class CaptionRun:
    captions: list[Caption]
    tried: int
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (raw text, why)


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


def template_captions(context: CaptionContext, count: int, seed: int) -> list[str]:
    """Fill-ins for when the model fell short: meme shapes around the video's topic."""
    topic = _topic(context)
    forms = [f"POV: the {topic} era just started", f"Me when the {topic} hits different",
             f"Nobody: / Me: {topic} again", f"That feeling when it's {topic} o'clock",
             f"{topic.capitalize()} me be like", f"My face when someone says \"one more {topic}\""]
    start = seed % len(forms)
    return [forms[(start + i) % len(forms)] for i in range(count)]


def generate_captions(model: TextModel, context: CaptionContext, *, count: int = 4,
                      seed: int = 0, oversample: int = 2, max_tokens: int = 24,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] = lambda: False) -> CaptionRun:
    """Make `count * oversample` candidates from different seeds and openers, rerank them,
    and return the best `count`, preferring different shapes; fill any shortfall."""
    prompt = [model.render_chat(build_messages(context))] if model.chat else \
        build_prompt(context)
    total = max(count, count * oversample)
    kept: list[Caption] = []
    rejected: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i in range(total):
        if cancelled():
            break
        opener = OPENERS[i % len(OPENERS)]
        cand_seed = seed * 1000 + i
        sample = model.sample([*prompt, f" {opener}"], seed=cand_seed, max_tokens=max_tokens)
        text = clean_caption(sample.text, opener)
        if progress:
            progress(i + 1, total)
        if text is None:
            rejected.append((sample.text, "empty or out of length bounds"))
            continue
        if _norm(text) in seen:
            rejected.append((text, "a duplicate"))
            continue
        score, why = judge(text, opener, sample.logprob, sample.tokens, context)
        if sample.tokens >= max_tokens:
            score -= 0.5  # cut off mid-thought
        if why:
            rejected.append((text, why))
            continue
        seen.add(_norm(text))
        kept.append(Caption(text, opener, cand_seed, round(score, 4), round(sample.logprob, 3)))
    chosen = pick_diverse(kept, count)
    if len(chosen) < count:
        for text in template_captions(context, count * 2, seed):
            if len(chosen) >= count:
                break
            if _norm(text) not in {_norm(c.text) for c in chosen}:
                chosen.append(Caption(text, "", seed, -9.0, source="template"))
    return CaptionRun(chosen, total, rejected)


def pick_diverse(candidates: Sequence[Caption], count: int) -> list[Caption]:
    """Best first, but one per opener until every opener had its turn."""
    ranked = sorted(candidates, key=lambda c: -c.score)
    chosen: list[Caption] = []
    used: set[str] = set()
    for c in ranked:
        if c.opener not in used and len(chosen) < count:
            chosen.append(c)
            used.add(c.opener)
    for c in ranked:
        if len(chosen) >= count:
            break
        if c not in chosen:
            chosen.append(c)
    return chosen


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOP and len(w) > 2}


def _name_words(file_name: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", file_name or "")
    words = [w for w in re.split(r"[\W_]+", stem) if w and not w.isdigit()
             and not re.fullmatch(r"(img|vid|mov|dsc|pxl)\d*", w.lower())]
    return " ".join(words)


def _topic(context: CaptionContext) -> str:
    for source in (context.tags, context.title.split(), _name_words(context.file_name).split()):
        for word in source:
            w = word.strip().lower()
            if w and w not in STOP and len(w) > 2 and w not in DESCRIPTIVE:
                return w
    return "weekend"
