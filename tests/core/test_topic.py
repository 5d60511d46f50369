"""The topic of a clip, read from its own words (pure functions on strings)."""

from __future__ import annotations

import pytest

from remix_desktop.core import meme_formats as mf
from remix_desktop.core.topic import extract_topic, has_context, name_words, on_topic, tag_words


def test_camera_file_names_say_nothing():
    for name in ("IMG_4821.MOV", "VID_20240312_081522.mp4", "PXL_20231105_194512345.mp4",
                 "DSC_0042.MOV", "MVI_3310.MP4", "GH010245.MP4", "20240101_120000.mp4"):
        assert name_words(name) == [], name
        assert extract_topic(file_name=name).none
        assert not has_context("", "", (), name)
    assert name_words("bike_runs.mp4") == ["bike", "runs"]


def test_tags_are_labels_not_sentences():
    assert tag_words(["#Solo Travel", "bts"]) == ["solotravel", "solo", "travel", "bts"]
    topic = extract_topic(tags=("coffee", "morning"))
    assert topic.domain == "coffee" and "morning" not in topic.subject


@pytest.mark.parametrize("title, description, tags, domain, check", [
    ("First morning espresso", "", ("coffee",), "coffee",
     lambda t: t.thing == "espresso" and t.moment == "first sip"),
    ("Shooting the spring campaign", "Behind the scenes with the crew",
     ("bts", "filmmaking"), "filmmaking", lambda t: "gun" not in str(t)),
    ("She finally runs", "Six months rebuilding this 1978 motorcycle", ("garage",),
     "vehicle", lambda t: t.thing == "bike" and t.moment == "first start"),
    # Miso is the one chasing the laser: the subject, and no "Me chasing the laser"
    ("Miso vs the laser pointer", "", ("cat", "pets"), "cat",
     lambda t: t.subject == "Miso" and not t.doing),
    ("First 10k", "", ("running",), "running", lambda t: t.event == "my first 10k"),
    ("Her first steps", "", ("baby",), "baby", lambda t: t.moment == "first steps"),
])
def test_words_keep_their_sense(title, description, tags, domain, check):
    topic = extract_topic(title, description, tags, "clip.mp4")
    assert topic.domain == domain, topic
    assert check(topic), topic
    assert topic.source == "context" and topic.keywords


def test_bts_with_kpop_tags_is_not_filmmaking_but_bts_with_film_is():
    assert extract_topic("", "", ("bts", "filmmaking")).domain == "filmmaking"
    assert extract_topic("Concert night", "", ("music", "live")).domain == "music"


def test_runs_without_an_engine_is_running():
    assert extract_topic("Morning run", "", ("running",)).domain == "running"
    assert extract_topic("She finally runs", "", ("motorcycle",)).domain == "vehicle"


def test_unknown_words_give_a_small_topic_of_their_own():
    topic = extract_topic("Grandpa's accordion", "", (), "")
    assert topic.source == "context" and not topic.none
    assert topic.thing == "accordion" and topic.subject == "Grandpa's accordion"


@pytest.mark.parametrize("title, description, tags, expected", [
    # an activity is the creator's gerund phrase, cut where the clause goes on
    ("Repainting the spare room", "", (), dict(doing="repainting the spare room",
                                             thing="repainting")),
    ("", "Teaching my parrot to say hello", ("parrot",), dict(subject="my parrot")),
    # an occasion, with the word before it; a diary's "day 2" is not one
    ("Game night with the cousins", "", ("boardgames",), dict(event="game night")),
    ("Thrift store haul", "", ("thrifting", "fyp"), dict(event="thrift store haul",
                                                       thing="thrifting")),
    ("Kickflip attempt 47", "", ("skateboarding", "fyp", "viral"),
     dict(moment="kickflip attempt", thing="skateboarding")),
    ("First driving lesson", "I stalled it four times", (),
     dict(moment="first driving lesson", thing="driving")),
    # names written with a capital inside a sentence keep it
    ("", "Walking Biscuit around Lake Ontario", (), dict(doing="walking Biscuit around Lake")),
])
def test_the_clips_own_words_fill_a_topic_the_lexicon_does_not_know(title, description, tags,
                                                                    expected):
    slots = extract_topic(title, description, tags).slots()
    for key, value in expected.items():
        assert slots.get(key) == value, (key, slots)


def test_noise_tags_and_diary_days_say_nothing():
    assert extract_topic("", "", ("fyp", "viral", "foryou")).none
    assert "event" not in extract_topic("Lisbon day 2", "", ("travel",)).slots()


def test_a_domain_default_the_clip_does_not_support_is_left_out_even_the_subject():
    # "my suitcase" and "my controller" were read as invented by a blind reader
    travel = extract_topic("Lisbon day 2", "Got lost in Alfama", ("travel",))
    assert "suitcase" not in str(travel) and travel.doing == "getting lost abroad"
    assert "subject" not in extract_topic("Ranked night", "", ("gaming",)).slots()
    # the clip's own "my ..." takes the default's place
    assert extract_topic("", "Fed my hamster Bean", ("pets",)).subject == "my hamster"


def test_a_plural_is_used_where_a_format_means_many():
    assert extract_topic("", "", ("cat",)).slots()["things"] == "cats"
    assert extract_topic("", "", ("skateboarding",)).slots()["things"] == "skateboarding"


def test_on_topic_shares_a_word_of_the_topic():
    topic = extract_topic("Leg day", "Squats until I can't walk", ("gym",))
    assert on_topic("Leg day first, feelings later", topic)
    assert not on_topic("Me when I can't get my keys out of the box", topic)


def test_the_bank_is_big_varied_and_well_formed():
    assert len(mf.BANK) >= 60
    assert len(mf.SHAPES) >= 15
    assert len({f.id for f in mf.BANK}) == len(mf.BANK)
    generic = [f for f in mf.BANK if f.generic]
    assert len(generic) >= 10, "enough formats that fit any clip"
    for f in mf.BANK:
        assert set(f.slots) <= {*mf.TOPIC_SLOTS, "fill"}, f.id
    for shape in ("be like", "pretending", "pov", "nobody", "before after", "hits different",
                  "not me", "tell me", "first later", "two-line", "that feeling"):
        assert shape in mf.SHAPES


def test_every_format_filled_from_every_topic_is_a_whole_clause_it_matches():
    topics = [extract_topic(t, d, g) for t, d, g in (
        ("Leg day", "", ("gym",)), ("Sunday pancakes", "", ("cooking", "pancakes")),
        ("Ranked night", "", ("gaming",)), ("Our wedding day", "first dance", ("wedding",)))]
    for topic in topics:
        values = topic.slots()
        for f in mf.usable(values, face=True, model=False):
            line = f.fill(values)
            assert mf.match_format(line) is not None, line
            assert mf.whole_clause(line, max_words=16), line


@pytest.mark.parametrize("line, whole", [
    ("Not me posting this again", True),
    ("Leg day be like", True),
    ("That feeling when he's in the middle of a fight and I can see", False),
    ("POV: she's in a basement with 19 cats, so I was going to put", False),
    ("Nobody: / Me:", False),
    ("Me when the", False),
    ('Me when "one more', False),
])
def test_whole_clause(line, whole):
    assert mf.whole_clause(line) is whole


def test_free_lines_in_no_format_are_refused():
    assert mf.match_format("It's not that easy to fly") is None
    assert mf.match_format("Not me fixing the bike again").id == "not-me-again"


def test_contractions_progressives_and_passing_keys_are_read_as_what_they_are():
    # "that's" is no owner, "was killing it" no activity, "killing it" no thing
    topic = extract_topic("This lamp that's actually vintage", "I was killing it at darts",
                          ("darts",))
    assert "that's" not in str(topic) and topic.doing != "killing it"
    assert topic.thing == "darts"
    # "live" and "run" are keys only with others: no music for a fish, no race for a test
    assert extract_topic("", "Never let me live this down", ("fishing",)).domain != "music"
    assert extract_topic("", "The test run went fine", ("robotics",)).domain != "running"
    # the owner with an adjective keeps its noun
    assert extract_topic("", "my little brother cut my hair", ()).subject == \
        "my little brother"


def test_a_first_alone_is_a_topic_and_app_file_names_say_nothing():
    assert extract_topic("", "First loaf ever!! It is flat.", ()).moment == "first loaf"
    for name in ("Screen Recording 2024-08-09 at 10.12.44.mov", "DJI_0042.MP4",
                 "ScreenRecording_05-02-2024 14-33-51_1.MP4",
                 "WhatsApp Video 2024-03-17 at 21.42.08.mp4"):
        assert extract_topic(file_name=name).none, name


def test_someone_else_doing_it_is_the_subject_and_no_me_does_it():
    for title, description, name in (
            ("Grandpa vs the leaf blower", "", "Grandpa"),
            ("", "Theo (4) made his own sandwich. Mostly ketchup", "Theo"),
            ("Auntie Rose won the raffle", "", "Auntie Rose")):
        topic = extract_topic(title, description, ())
        assert topic.subject == name and not topic.doing, topic
    # a verb, a place or a domain's word at the start names no one
    assert extract_topic("", "Got lost in the old town", ("travel",)).subject != "Got"
    assert extract_topic("", "Bus delayed again", ("commute",)).subject != "Bus"


def test_a_clip_that_counts_its_days_gets_no_day_one_and_defaults_need_more_than_the_domain():
    assert extract_topic("day 30 of learning to juggle", "", ()).counted
    assert extract_topic("", "six weeks of knitting this", ()).counted
    assert not extract_topic("", "she is 82 years old", ()).counted
    topic = extract_topic("", "4th coffee of the night shift", ("coffee",))
    assert "morning" not in str(topic)  # "the morning coffee" needs a morning
    assert not extract_topic("", "", ("snow", "shovelling")).doing  # not "playing in the snow"


def test_screen_recorder_and_app_file_names_say_nothing():
    for name in ("RPReplay_Final1709312345.MP4", "InShot_20240101_101010.mp4",
                 "Untitled.mov", "VN20240505_120000.mp4", "MVIMG_20240101.mp4"):
        assert extract_topic(file_name=name).none, name
