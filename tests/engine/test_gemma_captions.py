"""Captions from the real Gemma 3 270M model (llama.cpp), in-process."""

from __future__ import annotations

import re

import pytest

from remix_desktop.core import captions as cap
from remix_desktop.core import meme_formats as mf
from remix_desktop.core.captions import CaptionContext
from remix_desktop.core.topic import on_topic
from remix_desktop.core.model_manifest import manifest, sha256_of, verified

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


def test_twenty_contexts_give_whole_lines_in_bank_formats_about_the_clip(gemma, capsys):
    lines = []
    for i, context in enumerate(CONTEXTS):
        run = cap.generate_captions(gemma, context, count=4, seed=3 + i)
        topic = context.topic()
        assert len(run.captions) == 4, (context, run.rejected)
        assert len({c.shape for c in run.captions}) == 4, "four different shapes"
        for c in run.captions:
            fmt = mf.BY_ID[c.format]
            assert fmt.pattern.match(c.text), c
            assert mf.whole_clause(c.text), c.text
            assert cap.MIN_WORDS <= len(c.text.split()) <= cap.MAX_WORDS, c.text
            if not topic.none and not fmt.generic:
                assert on_topic(c.text, topic), (c.text, topic)
            elif not topic.none:  # a format for any clip only stands in, after the clip's
                after = run.captions[run.captions.index(c):]
                assert all(mf.BY_ID[o.format].generic for o in after), run.captions
            else:
                assert fmt.generic, c.text
            # no three words in a row of the creator's sentence, but for the topic's own
            assert not cap.echoes_creator(c.text, context, run.topic), c.text
            assert not re.search(r"\bmostly (red|orange|yellow|green|blue|purple|pink|brown|"
                                 r"black|white|grey)\b", c.text.lower()), c.text
            lines.append(f"{c.format:22} {c.source:8} {c.text}")
    with capsys.disabled():
        print("\n" + "\n".join(lines[:12]))


def test_a_masked_fill_is_whole_lower_case_words_ending_cleanly(gemma):
    prompt = [cap.SCORE_HEADER, "Video: leg day; last rep; squatting\nCaption:"]
    for seed in range(6):
        sample = gemma.fill([*prompt, " Nobody: / Me during leg day:"], seed=seed,
                            min_words=2, max_words=5)
        if not sample.text:
            continue
        assert re.fullmatch(r"[a-z']+( [a-z']+){1,4}", sample.text), sample.text
        assert sample.text.split()[-1] not in mf.OPEN_END, sample.text
        assert sample.logprob < 0
    again = gemma.fill([*prompt, " Nobody: / Me during leg day:"], seed=2)
    assert again == gemma.fill([*prompt, " Nobody: / Me during leg day:"], seed=2)


def test_score_prefers_the_line_that_fits_and_is_stable(gemma):
    prompt = [cap.SCORE_HEADER, "Video: leg day; last rep; squatting\nCaption:"]
    lines = [[(" Me pretending", False), (" leg day", True), (" is easy", False)],
             [(" Me pretending", False), (" purple gravel", True), (" is easy", False)]]
    first = gemma.score(prompt, lines)
    assert first == gemma.score(prompt, lines)
    assert first[0][0] > first[1][0]


def test_any_gguf_in_the_models_folder_can_write_captions(model_home, gemma_path):
    from remix_desktop.core.model_manifest import ModelError, caption_model_path

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


def test_batched_scores_match_one_line_at_a_time_and_ignore_their_neighbours(gemma):
    """All lines go in one decode as separate sequences over the shared prompt; each score
    is the one the line gets alone (up to the float noise of a bigger matrix product),
    whatever else is in the batch, and more lines than sequences are split into batches."""
    topic = CaptionContext("Leg day", "Squats until I can't walk", ("gym",)).topic()
    values = topic.slots()
    prompt = [cap.SCORE_HEADER, cap.topic_line(topic)]
    formats = [f for f in mf.usable(values) if not f.needs_model]
    lines = [cap.line_parts(f, values) for f in formats][:20]
    assert len(lines) == 20  # more than one batch of sequences
    batched = gemma.score(prompt, lines)
    prefix = [gemma._tokens(s, i == 0) for i, s in enumerate(prompt)]
    alone = gemma._score_one_by_one(prefix, lines)
    for (a, n), (b, m) in zip(batched, alone):
        assert n == m and abs(a - b) <= 0.05 * abs(b) + 0.5, (a, b)
    reordered = gemma.score(prompt, [lines[7], lines[0], lines[13]])
    for got, i in zip(reordered, (7, 0, 13)):
        assert abs(got[0] - batched[i][0]) <= 0.05 * abs(got[0]) + 0.5
    assert gemma.score(prompt, [[("", True)]]) == [(-99.0, 0)]
