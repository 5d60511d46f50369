"""Caption clean-up and reranking (pure functions), then the real Gemma model in-process."""

from __future__ import annotations

import re

import pytest

from remix_desktop.core import captions as cap
from remix_desktop.core.captions import CaptionContext

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


def test_pick_diverse_prefers_different_openers():
    items = [cap.Caption(f"POV: {i}", "POV:", i, 10 - i) for i in range(5)]
    items.append(cap.Caption("Me when x y", "Me when", 9, 0))
    chosen = cap.pick_diverse(items, 2)
    assert [c.opener for c in chosen] == ["POV:", "Me when"]


class ScriptedModel:
    """A stand-in that returns scripted continuations (for the shortfall logic only)."""

    model_id, chat = "scripted", False

    def __init__(self, texts):
        self.texts = list(texts)

    def sample(self, segments, *, seed, max_tokens):
        return cap.Sample(self.texts.pop(0) if self.texts else "", -3.0, 4)

    def render_chat(self, messages):
        raise AssertionError


def test_shortfall_is_filled_with_meme_shaped_templates():
    model = ScriptedModel([" the bus leaves early", "", " mostly orange and white"])
    run = cap.generate_captions(model, COFFEE, count=4, seed=1)
    assert len(run.captions) == 4
    assert [c.source for c in run.captions].count("model") == 1
    assert all(cap.meme_shape(c.text) for c in run.captions)
    assert len({c.text for c in run.captions}) == 4
