"""Caption speed with the default model, against bare llama-cpp-python loops in the same run.

    .venv/bin/python benchmarks/bench_captions.py [--threads 2] [--rounds 3]

- app: `generate_captions`, the default: the 4 captions shown (bank formats filled from the
  topic, scored by the model in one batch, one short masked fill by the model);
- a masked fill alone (the app's token mask in its own sampler) against the same slot through
  llama-cpp-python's GBNF grammar (`create_completion(grammar=...)`), same prompt;
- bare, cached: `Llama.create_completion` on the same full prompt and openers, same seeds and
  sampling settings, one call per candidate (llama-cpp-python reuses a matching prefix);
- bare, fresh: the same with `reset()` before each call (no shared prompt state).
Also: model load time, prompt tokens, generated tokens per second, peak memory (RSS).

    .venv/bin/python benchmarks/bench_captions.py --vision [--longest-edge 2048] [--frame 640x360]

A vision caption model, beside the text-only default, each measured in a process of its own
(so each peak memory is its own): random weights with the real shapes of SmolVLM-256M-Instruct
(tests/vlm_fixture.py: its SigLIP vision tower, idefics3 projector and 135M language model,
F16), on a frame of the size the app hands over. The cost does not depend on the weights'
values: the frame's tiles and image tokens, reading the frame (encode, prompt, a short
answer), the 4 captions written after it, peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core import captions as cap  # noqa: E402
from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.model_manifest import caption_model_path  # noqa: E402
from remix_desktop.engine.llama_text import LlamaTextModel  # noqa: E402

CONTEXTS = [
    cap.CaptionContext("First morning coffee", "The first sip of the day", ("coffee",),
                       "coffee.mp4", ("a face", "bright", "mostly orange and white")),
    cap.CaptionContext("Leg day", "Squats until I can't walk", ("gym",), "legday.mp4",
                       ("a face", "well lit", "lots of motion")),
    cap.CaptionContext("Road trip day 3", "Desert highway at sunset", ("travel",),
                       "trip.mp4", ("bright", "mostly orange and yellow")),
]


def bare(model: LlamaTextModel, context, seeds, fresh: bool) -> tuple[float, int]:
    llm = model.llm
    prompt = "".join(cap.build_prompt(context))
    tokens = 0
    start = time.perf_counter()
    for i, seed in enumerate(seeds):
        if fresh:
            llm.reset()
        out = llm.create_completion(f"{prompt} {cap.OPENERS[i % len(cap.OPENERS)]}",
                                    max_tokens=24, temperature=0.9, top_k=40, top_p=0.95,
                                    repeat_penalty=1.15, stop=["\n"], seed=seed)
        tokens += out["usage"]["completion_tokens"]
    return time.perf_counter() - start, tokens


def app(model: LlamaTextModel, context, seed: int, oversample: int) -> tuple[float, int, int]:
    counted = []
    real = model.sample

    def counting(segments, **kw):
        sample = real(segments, **kw)
        counted.append(sample.tokens)
        return sample

    model.sample = counting
    start = time.perf_counter()
    run = cap.generate_captions(model, context, count=4, seed=seed)
    elapsed = time.perf_counter() - start
    model.sample = real
    return elapsed, sum(counted), len(run.captions)


GBNF = r'''root ::= word (" " word){1,5} "\n"
word ::= [a-z']+'''


def fill_masked(model, context, seed) -> float:
    prompt = [cap.SCORE_HEADER, cap.topic_line(context.topic()), " Nobody: / Me:"]
    model._segments, model._end_logits = [], None
    start = time.perf_counter()
    model.fill(prompt, seed=seed)
    return time.perf_counter() - start


def fill_gbnf(model, context, seed, grammar) -> float:
    prompt = "".join([cap.SCORE_HEADER, cap.topic_line(context.topic()), " Nobody: / Me:"])
    model.llm.reset()
    start = time.perf_counter()
    model.llm.create_completion(prompt, max_tokens=12, temperature=0.8, top_k=40, top_p=0.95,
                                grammar=grammar, seed=seed)
    return time.perf_counter() - start


def measure(kind: str, threads: int, frame: tuple[int, int], longest_edge: int) -> dict:
    """One model's figures, in this process: load, reading the frame (vision), 4 captions."""
    import numpy as np

    context = CONTEXTS[0]
    out: dict = {}
    t = time.perf_counter()
    if kind == "vision":
        from remix_desktop.engine.llama_vision import LlamaVisionModel
        from tests.vlm_fixture import write_smolvlm_256m_pair

        folder = Path(tempfile.mkdtemp(prefix="bench-vlm-"))
        lm, mm = write_smolvlm_256m_pair(folder, longest_edge=longest_edge)
        out["files_mb"] = round((lm.stat().st_size + mm.stat().st_size) / 1e6)
        t = time.perf_counter()
        model = LlamaVisionModel(lm, projector_path=mm, n_threads=threads, n_ctx=4096)
    else:
        model = LlamaTextModel(caption_model_path(Home(Path(tempfile.mkdtemp())).ensure()),
                               n_threads=threads)
    out["load_s"] = time.perf_counter() - t
    if kind == "vision":
        w, h = frame
        rgb = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8).tobytes()
        t = time.perf_counter()
        model.describe(rgb, w, h, seed=1)
        out["frame_s"] = time.perf_counter() - t
        out["image_tokens"] = model.last_image_tokens
        context = cap.CaptionContext(shown="a cat asleep on a sunny windowsill")
    runs, tried = [], []
    evaluated = model.tokens_evaluated
    for seed in range(3):
        t = time.perf_counter()
        tried.append(cap.generate_captions(model, context, count=4, seed=seed).tried)
        runs.append(time.perf_counter() - t)
    out["captions_s"] = statistics.median(runs)
    out["tried"] = statistics.median(tried)  # candidates made for the 4 kept (random
    out["evaluated"] = (model.tokens_evaluated - evaluated) / len(runs)  # weights: many)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "vision":
        model.close()
    return out


def vision_main(args) -> None:
    import json
    import subprocess

    frame = tuple(int(v) for v in args.frame.lower().split("x"))
    found = {}
    for kind in ("text", "vision"):
        done = subprocess.run([sys.executable, __file__, "--measure", kind, "--threads",
                               str(args.threads), "--frame", args.frame, "--longest-edge",
                               str(args.longest_edge)], capture_output=True, text=True,
                              check=True)
        found[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    text, vision = found["text"], found["vision"]
    print(f"{args.threads} threads; frame {frame[0]}x{frame[1]}; SmolVLM-256M shapes, random "
          f"F16 weights ({vision['files_mb']} MB), longest edge {args.longest_edge}")
    print(f"{'':34} {'load':>7} {'read frame':>11} {'4 captions':>11} {'peak MiB':>9}")
    print(f"{'text: Gemma 3 270M Q4_K_M (default)':34} {text['load_s']:>6.2f}s {'-':>11} "
          f"{text['captions_s']:>10.2f}s {text['peak_mib']:>9.0f}")
    print(f"{'vision: SmolVLM-256M (fixture)':34} {vision['load_s']:>6.2f}s "
          f"{vision['frame_s']:>10.2f}s {vision['captions_s']:>10.2f}s "
          f"{vision['peak_mib']:>9.0f}")
    for name, m in (("text", text), ("vision", vision)):
        print(f"{name}: {m['tried']:.0f} candidates tried for the 4 kept, {m['evaluated']:.0f} "
              f"prompt tokens evaluated, "
              f"{m['evaluated'] / m['captions_s']:.0f} tokens/s")
    print(f"the frame: {vision['image_tokens']} image tokens; a vision caption costs the "
          f"frame and the captions: {vision['frame_s'] + vision['captions_s']:.1f}s against "
          f"{text['captions_s']:.1f}s for the text model "
          f"({(vision['frame_s'] + vision['captions_s']) / text['captions_s']:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vision", action="store_true",
                        help="a vision model's cost beside the text model's")
    parser.add_argument("--measure", choices=("text", "vision"), help=argparse.SUPPRESS)
    parser.add_argument("--frame", default="640x360", help="the frame's size, WxH")
    parser.add_argument("--longest-edge", type=int, default=2048,
                        help="the projector's preprocessing size (tiles of 512 px up to it)")
    args = parser.parse_args()
    if args.measure:
        import json

        frame = tuple(int(v) for v in args.frame.lower().split("x"))
        print(json.dumps(measure(args.measure, args.threads, frame, args.longest_edge)))
        return
    if args.vision:
        vision_main(args)
        return
    home = Home(Path(tempfile.mkdtemp(prefix="bench-captions-"))).ensure()
    t = time.perf_counter()
    path = caption_model_path(home)
    t_assemble = time.perf_counter() - t
    loads = []
    for _ in range(2):
        t = time.perf_counter()
        model = LlamaTextModel(path, n_threads=args.threads)
        loads.append(time.perf_counter() - t)
    from llama_cpp import LlamaGrammar

    grammar = LlamaGrammar.from_string(GBNF, verbose=False)
    rows = {"app, the 4 captions shown": [],
            "bare create_completion, cached prefix": [],
            "bare create_completion, fresh state": [],
            "one slot fill, app token mask": [], "one slot fill, GBNF grammar": []}
    tokens = {k: 0 for k in rows}
    for r in range(args.rounds):
        for i, context in enumerate(CONTEXTS):
            seed = 100 * r + i
            # warm: the model loaded, the shared header kept between clips (as in the worker)
            dt, n, _ = app(model, context, seed, 1)
            rows["app, the 4 captions shown"].append(dt)
            tokens["app, the 4 captions shown"] += n
            rows["one slot fill, app token mask"].append(fill_masked(model, context, seed))
            rows["one slot fill, GBNF grammar"].append(fill_gbnf(model, context, seed, grammar))
            seeds = [seed * 1000 + k for k in range(4)]
            model.llm.reset()
            dt, n = bare(model, context, seeds, fresh=False)
            rows["bare create_completion, cached prefix"].append(dt)
            tokens["bare create_completion, cached prefix"] += n
            dt, n = bare(model, context, seeds, fresh=True)
            rows["bare create_completion, fresh state"].append(dt)
            tokens["bare create_completion, fresh state"] += n
    prompt_tokens = len(model.llm.tokenize("".join(cap.build_prompt(CONTEXTS[0])).encode()))
    base = statistics.median(rows["bare create_completion, fresh state"])
    print(f"model: {model.name}, {args.threads} threads, prompt {prompt_tokens} tokens; "
          f"{args.rounds * len(CONTEXTS)} contexts each")
    print(f"{'captions for one frame':42} {'median':>9} {'tokens':>7} {'tokens/s':>9} "
          f"{'vs fresh':>9}")
    for name, times in rows.items():
        med = statistics.median(times)
        tps = tokens[name] / max(sum(times), 1e-9)
        print(f"{name:42} {med:>8.2f}s {tokens[name] / len(times):>7.1f} {tps:>9.1f} "
              f"{base / med:>8.2f}x")
    print(f"model load: {min(loads):.2f}s (first {loads[0]:.2f}s); first-use assembly of the "
          f"GGUF into the home, with SHA-256: {t_assemble:.2f}s")
    print(f"peak memory (RSS of this process): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
