"""Caption clean-up and reranking (pure functions), then the real Gemma model in-process."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from remix_desktop.core import captions as cap
from remix_desktop.core import meme_formats as mf
from remix_desktop.core.captions import CaptionContext
from remix_desktop.core.topic import on_topic

COFFEE = CaptionContext(title="First morning coffee", description="The first sip of the day",
                        tags=("coffee", "morning"), file_name="coffee_0412.mp4",
                        seen=("a face", "bright", "mostly orange and white"))


@pytest.mark.parametrize("raw, opener, expected", [
    (' you finally wake up"\nVideo: next', "POV:", "POV: you finally wake up"),
    ("  #mood the wifi drops #fail", "Me when", "Me when the wifi drops"),
    ("Caption: the alarm rings twice", "", "the alarm rings twice"),
    ("\x00the\x07 bus leaves early", "When", "When the bus leaves early"),
    (" I see the bill; dark, mostly blue", "Me when", "Me when I see the bill"),
    (" a long day at the office, lots of motion", "Me after",
     "Me after a long day at the office"),
    (" I get home, dark, mostly blue and grey", "When", "When I get home"),
    (" my friend: / Mom: / Dad: no", "Nobody: / Me:", "Nobody: / Dad: no"),
    (" I had never been a", "Me after", "Me after I had never been"),
    ("", "POV:", None),
    ("\n\n", "", None),
    ("ok", "", None),
])
def test_clean_caption(raw, opener, expected):
    assert cap.clean_caption(raw, opener) == expected


def test_clean_caption_keeps_at_most_fourteen_words():
    text = cap.clean_caption(" " + " ".join(["word"] * 30), "Me when")
    assert 2 <= len(text.split()) <= cap.MAX_WORDS


def test_judge_rejects_descriptions_echoes_and_copies():
    assert cap.judge("A cup of coffee, mostly orange and white", "", -5, 5, COFFEE)[1]
    assert cap.judge("Me when the first sip of the day", "Me when", -5, 5, COFFEE)[1]
    assert cap.judge("POV: you said you'd leave early today", "POV:", -5, 5, COFFEE)[1]
    score, why = cap.judge("Me when the alarm says five more minutes", "Me when", -8, 8, COFFEE)
    assert why is None and score > -5


def test_prompt_is_few_shot_and_ends_at_the_caption():
    segments = cap.build_prompt(COFFEE)
    assert segments[0].count("Caption:") == len(cap.EXAMPLES)
    assert segments[1].startswith("Video: First morning coffee")
    assert segments[1].endswith("Caption:")
    shapes = {cap.meme_shape(c) for _, c in cap.EXAMPLES}
    assert len(shapes) >= 6, "the examples cover many meme shapes"


def test_pick_diverse_prefers_different_shapes():
    items = [cap.Caption(f"POV: {i} a b", "pov", i, 10 - i, shape="pov") for i in range(5)]
    items.append(cap.Caption("Me when x y", "me when", 9, 0, shape="me when"))
    chosen = cap.pick_diverse(items, 2)
    assert [c.shape for c in chosen] == ["pov", "me when"]


class ScriptedModel:
    """A stand-in for the language model: scores lines by a script, fills with scripted
    text (for the selection logic only; the real model is tested in tests/engine)."""

    model_id, chat = "scripted", False

    def __init__(self, fills=(), scores=None):
        self.fills = list(fills)
        self.scores = scores or {}
        self.scored: list[str] = []

    def score(self, segments, lines):
        out = []
        for parts in lines:
            text = "".join(p for p, _ in parts).strip()
            self.scored.append(text)
            out.append((self.scores.get(text, -6.0), 3))
        return out

    def fill(self, segments, *, seed, min_words=2, max_words=6):
        return cap.Sample(self.fills.pop(0) if self.fills else "", -2.0, 4)

    def sample(self, segments, *, seed, max_tokens):
        return cap.Sample("", -3.0, 4)

    def render_chat(self, messages):
        raise AssertionError


def test_captions_are_bank_formats_about_the_topic():
    model = ScriptedModel(fills=["the bus leaves early", "mostly orange and white"])
    run = cap.generate_captions(model, COFFEE, count=4, seed=1)
    assert len(run.captions) == 4
    assert run.context == "context" and run.topic.domain == "coffee"
    assert len({c.shape for c in run.captions}) == 4
    assert len({c.text for c in run.captions}) == 4
    for c in run.captions:
        assert mf.BY_ID[c.format].pattern.match(c.text), c
        assert on_topic(c.text, run.topic), c.text
    assert sum(c.source == "model" for c in run.captions) <= cap.MAX_MODEL_SHOWN


def test_the_model_score_ranks_the_lines():
    probe = ScriptedModel()
    cap.generate_captions(probe, COFFEE, count=4, seed=5)
    favourite = probe.scored[-1]
    model = ScriptedModel(scores={favourite: -0.5})
    run = cap.generate_captions(model, COFFEE, count=4, seed=5)
    assert run.captions[0].text == favourite


def test_nothing_to_go_on_gives_only_formats_that_fit_any_clip():
    blank = CaptionContext(file_name="IMG_4821.MOV", seen=("a face", "dim"))
    run = cap.generate_captions(ScriptedModel(fills=["my cat ate the cake"] * 4), blank,
                                count=4, seed=2)
    assert run.context == "none" and len(run.captions) == 4
    for c in run.captions:
        assert mf.BY_ID[c.format].generic and c.source == "template", c


def test_a_fill_that_is_not_a_whole_clause_or_repeats_the_line_is_not_shown():
    context = CaptionContext("Leg day", "", ("gym",), "legday.mp4")
    for fill in ("", "squatting squatting", "and then I"):
        run = cap.generate_captions(ScriptedModel(fills=[fill] * 4), context, seed=3)
        assert all(fill not in c.text or not fill for c in run.captions)
        assert all(c.source == "template" for c in run.captions)


def test_a_seed_reproduces_and_another_seed_varies():
    runs = [cap.generate_captions(ScriptedModel(), COFFEE, seed=s) for s in (4, 4, 9)]
    texts = [[c.text for c in r.captions] for r in runs]
    assert texts[0] == texts[1] and texts[0] != texts[2]


def test_echoes_of_the_creators_sentence_are_refused():
    context = CaptionContext("Leg day", "Squats until I can't walk", ("gym",))
    assert cap.echoes_creator("Me when squats until I can't", context)
    assert not cap.echoes_creator("Leg day first, feelings later", context)


def test_formats_already_used_give_way_to_new_ones():
    first = cap.generate_captions(ScriptedModel(), COFFEE, count=4, seed=6)
    used = tuple((c.format, 2.0) for c in first.captions)
    again = cap.generate_captions(ScriptedModel(), replace(COFFEE, used=used), count=4, seed=6)
    assert len(again.captions) == 4
    assert not {c.format for c in again.captions} & {c.format for c in first.captions}


def test_a_topic_read_from_the_description_is_not_an_echo_and_a_thin_topic_gives_four():
    # the subject is three words of the creator's sentence by design; lines about it are
    # neither echoes nor too alike, and shapes the topic cannot fill take formats for any clip
    context = CaptionContext("", "let my little sister cut my hair, the left side is fine", (),
                             "20240411_201533.mp4")
    run = cap.generate_captions(ScriptedModel(), context, count=4, seed=30)
    assert run.topic.subject == "my little sister"
    assert len(run.captions) == 4
    assert sum("my little sister" in c.text.lower() for c in run.captions) >= 3
    assert cap.echoes_creator("Me and the left side is fine", context, run.topic)


def test_a_clip_on_its_thirtieth_day_is_not_told_day_one():
    context = CaptionContext("day 30 of learning guitar", "", ("guitar",), "guitar.mp4")
    for seed in range(5):
        run = cap.generate_captions(ScriptedModel(), context, seed=seed)
        assert not [c for c in run.captions if mf.BY_ID[c.format].fresh], run.captions
