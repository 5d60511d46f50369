"""Captions from the real Gemma 3 270M model (llama.cpp), in-process."""

from __future__ import annotations

import re

import pytest

from remix_desktop.core import captions as cap
from remix_desktop.core.captions import CaptionContext
from remix_desktop.core.models import manifest, sha256_of, verified

CONTEXTS = [
    CaptionContext("First morning coffee", "The first sip of the day", ("coffee", "morning"),
                   "coffee_0412.mp4", ("a face", "bright", "mostly orange and white")),
    CaptionContext("Leg day", "Squats until I can't walk", ("gym", "fitness"), "legday.mp4",
                   ("a face", "well lit", "lots of motion")),
    CaptionContext("", "", (), "IMG_2231.mov", ("dark", "mostly blue", "lots of motion")),
    CaptionContext("My cat vs the new sofa", "", ("cat", "pets"), "cat_sofa.mp4",
                   ("well lit", "mostly brown and grey")),
    CaptionContext("Road trip day 3", "Desert highway at sunset", ("travel",), "roadtrip.mp4",
                   ("bright", "mostly orange and yellow", "some motion")),
    CaptionContext("Baking fail", "The cake collapsed in the oven", ("baking", "fail"),
                   "cake.mp4", ("a face", "well lit", "mostly white and brown")),
    CaptionContext("Monday standup", "", ("work", "office"), "standup.webm",
                   ("three faces", "dim", "mostly grey")),
    CaptionContext("First snow", "The dog sees snow for the first time", ("dog", "snow"),
                   "snow_dog.mp4", ("bright", "mostly white", "lots of motion")),
    CaptionContext("Exam week", "Library at 2am", ("study",), "exam.mp4",
                   ("a face", "dim", "mostly brown")),
    CaptionContext("Beach day", "", ("summer", "beach"), "beach.mov",
                   ("bright", "mostly blue and yellow")),
    CaptionContext("Gaming night", "Lost the final round", ("games",), "gaming.mkv",
                   ("a face", "dark", "mostly purple and blue")),
    CaptionContext("", "Toddler tries lemon", ("kids",), "lemon.mp4",
                   ("a face", "bright", "mostly yellow")),
    CaptionContext("Moving day", "Boxes everywhere", ("moving", "home"), "moving.mp4",
                   ("well lit", "mostly brown")),
    CaptionContext("Karaoke", "", ("music", "friends"), "karaoke.mp4",
                   ("two faces", "dim", "mostly pink and purple", "lots of motion")),
    CaptionContext("Marathon finish line", "", ("running",), "marathon.mp4",
                   ("a face", "bright", "lots of motion")),
    CaptionContext("Garden update", "Tomatoes finally red", ("garden",), "garden.mp4",
                   ("bright", "mostly green and red")),
    CaptionContext("Rainy commute", "", ("city", "rain"), "commute.mp4",
                   ("dim", "mostly grey", "some motion")),
    CaptionContext("Birthday surprise", "She had no idea", ("party",), "bday.mp4",
                   ("two faces", "well lit", "mostly pink")),
    CaptionContext("Fixing the bike", "", ("diy", "bike"), "bike_fix.mp4",
                   ("well lit", "mostly black and grey")),
    CaptionContext("Concert", "Front row", ("music", "live"), "concert.mp4",
                   ("dark", "mostly purple", "lots of motion")),
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def test_default_model_is_assembled_and_verified(gemma_path):
    entry = manifest()["gemma-3-270m-q4_k_m"]
    assert gemma_path.stat().st_size == entry.size
    assert sha256_of(gemma_path) == entry.sha256
    assert verified(gemma_path, entry)


def test_captions_are_valid_and_a_seed_reproduces_them(gemma):
    first = cap.generate_captions(gemma, CONTEXTS[0], count=4, seed=7)
    again = cap.generate_captions(gemma, CONTEXTS[0], count=4, seed=7)
    other = cap.generate_captions(gemma, CONTEXTS[0], count=4, seed=8)
    texts = [c.text for c in first.captions]
    assert texts == [c.text for c in again.captions]
    assert texts != [c.text for c in other.captions]
    assert len(texts) == 4 and len(set(texts)) == 4
    for text in texts:
        assert cap.MIN_WORDS <= len(text.split()) <= cap.MAX_WORDS
        assert "\n" not in text and "#" not in text


def test_a_seed_gives_the_same_caption_whatever_ran_before(gemma):
    cap.generate_captions(gemma, CONTEXTS[3], count=2, seed=1)
    after_other = cap.generate_captions(gemma, CONTEXTS[0], count=4, seed=11)
    cap.generate_captions(gemma, CONTEXTS[5], count=2, seed=2)
    again = cap.generate_captions(gemma, CONTEXTS[0], count=4, seed=11)
    assert [c.text for c in after_other.captions] == [c.text for c in again.captions]


def test_twenty_contexts_give_meme_captions_not_descriptions_or_echoes(gemma, capsys):
    shaped = total = from_model = 0
    lines = []
    for context in CONTEXTS:
        run = cap.generate_captions(gemma, context, count=4, seed=3)
        scene = " ".join(words(context.scene()))
        for c in run.captions:
            total += 1
            from_model += c.source == "model"
            shaped += cap.meme_shape(c.text) is not None
            w = words(c.text)
            # an echo: four words in a row taken from the video's own context
            assert not any(" ".join(w[i:i + 4]) in scene for i in range(len(w) - 3)), c.text
            # a bare description: no viewer, no situation, just what is in the picture
            assert not (w[0] in ("a", "an", "the") and not {"me", "my", "i", "you", "when"} & set(w))
            assert not re.search(r"\bmostly (red|orange|yellow|green|blue|purple|pink|brown|"
                                 r"black|white|grey)\b", c.text.lower()), c.text
            lines.append(f"{cap.meme_shape(c.text) or '-':13} {c.text}")
    share = shaped / total
    with capsys.disabled():
        print(f"\nmeme-shaped captions: {shaped}/{total} ({share:.0%}); from the model: "
              f"{from_model}/{total}")
    assert share >= 0.9
    assert from_model / total >= 0.75, "the model, not the templates, writes most captions"


def test_any_gguf_in_the_models_folder_can_write_captions(model_home, gemma_path):
    from remix_desktop.core.models import ModelError, caption_model_path

    custom = model_home.models / "my-own-model.gguf"
    if not custom.exists():
        custom.hardlink_to(gemma_path)
    assert caption_model_path(model_home, "my-own-model.gguf") == custom
    with pytest.raises(ModelError, match="no caption model 'missing.gguf'"):
        caption_model_path(model_home, "missing.gguf")


def test_instruction_tuned_models_go_through_their_chat_template(gemma):
    """Gemma 270M is a base model without a template; give it one to drive the chat path."""
    template = ("{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}"
                "<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n"
                "{% endif %}")
    saved = gemma.chat_template
    gemma.chat_template = template
    try:
        prompt = gemma.render_chat(cap.build_messages(CONTEXTS[0]))
        assert prompt.startswith("<start_of_turn>user\n") and prompt.endswith("model\n")
        assert "First morning coffee" in prompt
        run = cap.generate_captions(gemma, CONTEXTS[0], count=2, seed=1)
        assert len(run.captions) == 2
    finally:
        gemma.chat_template = saved
