"""The captions kept with each video, and what a new run learns from them: the formats this
video's captions and the library's latest ones use (so "More" and the next clip say something
else). The real SQLite library."""

from __future__ import annotations

from remix_desktop.core.captions import Caption, CaptionRun
from remix_desktop.core.captions_store import CaptionStore
from remix_desktop.core.topic import extract_topic

from .test_consent import add_videos


def run_of(*formats: str) -> CaptionRun:
    return CaptionRun([Caption(f"line {f}", "x", 1, 0.0, format=f, source="template")
                       for f in formats], len(formats), [], extract_topic("Leg day"))


def test_used_formats_weigh_this_videos_own_and_the_librarys_latest(library):
    first, second, third = add_videos(library, 3)
    store = CaptionStore(library)
    assert store.used_formats(first) == ()
    store.add_run(first, run_of("era", "event-hits"), "gemma")
    store.add_run(second, run_of("era", "petition"), "gemma")
    store.add_own(first, "my own words")  # a creator's caption has no format
    used = dict(store.used_formats(first))
    assert used == {"era": 3.0, "event-hits": 2.0, "petition": 1.0}
    # another video's many uses of one format count at most 2
    store.add_run(third, CaptionRun([Caption(f"understood {i}", "x", 1, 0.0,
                                             format="understood") for i in range(4)], 4),
                  "gemma")
    assert dict(store.used_formats(first))["understood"] == 2.0
    # only the latest captions of other videos count (the second video's, newest first)
    assert dict(store.used_formats(third, recent=1)) == {"understood": 8.0, "petition": 1.0}


def test_the_same_seed_again_is_not_told_to_avoid_its_own_lines(library):
    (video,) = add_videos(library, 1)
    store = CaptionStore(library)
    run = CaptionRun([Caption("a", "x", 7, 0.0, format="era", source="template"),
                      Caption("b", "x", 7003, 0.0, format="me-when-fill", source="model"),
                      Caption("c", "x", 8, 0.0, format="petition", source="template")], 3)
    store.add_run(video, run, "gemma")
    assert dict(store.used_formats(video, seed=7)) == {"petition": 2.0}
    assert dict(store.used_formats(video, seed=8)) == {"era": 2.0, "me-when-fill": 2.0}
