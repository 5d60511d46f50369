"""Caption quality, for a blind reading: every caption shown for 27 creator contexts.

    .venv/bin/python benchmarks/bench_caption_quality.py [--out benchmarks/out/captions.txt]
        [--seed 0] [--threads 2] [--count 4] [--contexts FILE.json] [--independent]

`--out FILE` writes the listing with each caption's format and source (and the topic), and
FILE-blind beside it with the contexts and captions only, for the blind reading.

27 contexts of our own (cooking, gym, pets, travel, study, gaming, make-up, DIY, kids, a
commute, a wedding, ...), nine of them with nothing to go on (a camera file name only). For
each, the captions the app shows (`generate_captions`, the default four) with their format
and source, and the time taken. The file is meant to be read by someone who did not write the
code, against the rubric: meme-shaped, about the clip, coherent, would a creator keep it,
funny (1-5). It works on whichever version of `remix_desktop.core.captions` is importable
(run it on the old code and the new to compare).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core import captions as cap  # noqa: E402
from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.model_manifest import caption_model_path  # noqa: E402
from remix_desktop.engine.llama_text import LlamaTextModel  # noqa: E402

C = cap.CaptionContext
# (context, what OpenCV would see in a typical frame of it)
CONTEXTS = [
    C("Sunday pancakes", "First try at my grandma's recipe, the flip went wrong",
      ("cooking", "breakfast", "pancakes"), "pancakes.mp4", ("a face", "bright")),
    C("Leg day", "Squats until I can't walk", ("gym", "fitness", "legday"), "legday.mp4",
      ("a face", "well lit", "lots of motion")),
    C("Miso vs the laser pointer", "", ("cat", "pets", "catsofinstagram"), "miso_laser.mov",
      ("dim", "lots of motion")),
    C("Lisbon day 2", "Got lost in Alfama for three hours and loved it",
      ("travel", "portugal", "solo travel"), "lisbon.mp4", ("bright",)),
    C("Finals week", "Library until closing, again", ("study", "university", "exams"),
      "study_night.mp4", ("a face", "dim")),
    C("Ranked night", "Lost the final round by one point", ("gaming", "fps", "ranked"),
      "ranked.mkv", ("a face", "dark")),
    C("Trying the viral eyeliner hack", "It did not go as planned",
      ("makeup", "beauty", "grwm"), "eyeliner.mp4", ("a face", "well lit")),
    C("Building a bookshelf", "The instructions had 40 steps and I skipped the first one",
      ("diy", "woodworking", "ikea"), "shelf_build.mp4", ("well lit",)),
    C("Her first steps", "", ("baby", "family", "milestone"), "first_steps.mov",
      ("a face", "bright", "some motion")),
    C("Monday commute", "Train delayed again, 40 minutes on the platform",
      ("commute", "train", "city"), "commute.mp4", ("dim", "some motion")),
    C("Our wedding day", "The first dance, my husband stepped on my dress",
      ("wedding", "love", "firstdance"), "first_dance.mp4", ("two faces", "dim")),
    C("Shooting the spring campaign", "Behind the scenes with the crew",
      ("bts", "filmmaking", "behind the scenes", "photography"), "campaign_bts.mp4",
      ("a face", "well lit")),
    C("She finally runs", "Six months rebuilding this 1978 motorcycle in the garage",
      ("motorcycle", "restoration", "garage"), "bike_runs.mp4", ("dim", "some motion")),
    C("Tomatoes are finally red", "", ("garden", "gardening", "homegrown"), "garden.mp4",
      ("bright",)),
    C("", "My dog sees snow for the first time", ("dog", "snow"), "snow_dog.mp4",
      ("bright", "lots of motion")),
    C("First 10k", "Crossed the finish line walking, still counts", ("running", "10k"),
      "race.mp4", ("a face", "bright", "lots of motion")),
    C("Moving day", "Boxes everywhere and we can't find the kettle", ("moving", "new home"),
      "moving.mp4", ("well lit",)),
    C("Karaoke night", "", ("friends", "music", "karaoke"), "karaoke.mp4",
      ("two faces", "dim", "lots of motion")),
    # nothing to go on: a camera file name only
    C("", "", (), "IMG_4821.MOV", ("a face", "bright")),
    C("", "", (), "VID_20240312_081522.mp4", ("dim", "some motion")),
    C("", "", (), "PXL_20231105_194512345.mp4", ("dark", "lots of motion")),
    C("", "", (), "DSC_0042.MOV", ("well lit",)),
    C("", "", (), "MVI_3310.MP4", ("two faces", "well lit")),
    C("", "", (), "GH010245.MP4", ("bright", "lots of motion")),
    C("", "", (), "20240101_120000.mp4", ("a face", "dim")),
    C("", "", (), "IMG_0007.mov", ("dark",)),
    C("", "", (), "video_2023-08-14_21-03-55.mp4", ("a face", "well lit", "some motion")),
]


def describe(context) -> str:
    parts = []
    for name in ("title", "description"):
        value = getattr(context, name)
        if value:
            parts.append(f"{name}: {value}")
    if context.tags:
        parts.append("tags: " + ", ".join(context.tags))
    parts.append(f"file: {context.file_name}")
    return "; ".join(parts)


def caption_format(caption) -> str:
    for name in ("format", "format_id", "opener"):
        value = getattr(caption, name, None)
        if value:
            return str(value)
    return cap.meme_shape(caption.text) or "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", help="also write the listing to this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--contexts", help="a JSON list of contexts to use instead of the "
                        "built-in ones: {title, description, tags, file_name, seen}")
    parser.add_argument("--independent", action="store_true",
                        help="each clip on its own (by default the clips are one library, "
                        "in order: a clip's run knows the formats the latest 24 captions "
                        "used, as the app does)")
    args = parser.parse_args()
    contexts = CONTEXTS
    if args.contexts:
        contexts = [C(str(c.get("title", "")), str(c.get("description", "")),
                      tuple(c.get("tags", ())), str(c.get("file_name", "")),
                      tuple(c.get("seen", ()))) for c in json.loads(
                          Path(args.contexts).read_text(encoding="utf-8"))]
    library_order = not args.independent and "used" in {
        f.name for f in dataclasses.fields(C)}
    shown: list[str] = []  # the formats of the captions shown so far, newest last
    home = Home(Path(tempfile.mkdtemp(prefix="bench-quality-"))).ensure()
    model = LlamaTextModel(caption_model_path(home), n_threads=args.threads)
    lines = [f"# captions shown, {args.count} per clip, seed {args.seed}, model {model.name}",
             "# rubric per caption: meme-shaped? about the clip? coherent? would a creator "
             "keep it? funny 1-5", ""]
    times = []
    for i, context in enumerate(contexts, 1):
        if library_order:  # as CaptionStore.used_formats weighs the library's latest 24
            from remix_desktop.core.captions_store import used_weights

            context = dataclasses.replace(context, used=used_weights((), shown[::-1][:24]))
        start = time.perf_counter()
        run = cap.generate_captions(model, context, count=args.count, seed=args.seed + i)
        shown.extend(c.format for c in run.captions if getattr(c, "format", ""))
        times.append(time.perf_counter() - start)
        lines.append(f"[{i:02}] {describe(context)}")
        topic = getattr(run, "topic", None)
        if topic is not None:
            lines.append(f"     topic: {topic}")
        for c in run.captions:
            lines.append(f"     - {c.text}    [format: {caption_format(c)}; source: {c.source}]")
        lines.append("")
    times.sort()
    text = "\n".join(lines) + "\n"
    print(text, end="")
    # timings go to the terminal only: the files are read blind
    print(f"# {len(contexts)} clips; time per clip: median {times[len(times) // 2]:.2f} s, "
          f"max {times[-1]:.2f} s ({args.threads} threads, first one cold)")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        # the same without format, source and topic, for a reader who must not know the version
        blind = [re.sub(r"    \[format: .*\]$", "", line) for line in lines
                 if not line.lstrip().startswith("topic:")]
        out.with_name(out.stem + "-blind" + out.suffix).write_text(
            "\n".join(blind) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
