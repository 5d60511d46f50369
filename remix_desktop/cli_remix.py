"""`remix-desktop remix`: frames, captions from the engine, previews, written to a folder."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .core.captions_store import CaptionStore
from .core.consent import Consent
from .core.errors import UsageError
from .core.export import default_export_name
from .core.library import Library
from .core.remix import Remixer, sweep_previews
from .engine.client import EngineCaptions, EngineClient, EngineImages


def remix_command(library: Library, args) -> int:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    video = Consent(library).gate(args.id).video  # refused here: exit code 3, nothing read
    timings["gate_s"] = _lap(started)
    if args.candidates < 1 or (args.suggest is not None and args.suggest < 1):
        raise UsageError("--candidates and --suggest take a number of 1 or more")
    animate = getattr(args, "animate", None)
    if getattr(args, "gif", False) and animate is None:
        raise UsageError("--gif is for --animate (a still is written as PNG)")
    if getattr(args, "quick", False) and args.style != "diffusion":
        raise UsageError("--quick is for --style diffusion (the other styles take well under "
                         "a second)")
    about = getattr(args, "about", None)
    if about is not None:
        from .core.captions import clean_user_caption

        line = " ".join(clean_user_caption(about).split())
        if not line:
            raise UsageError("--about needs a line about what happens in the clip")
        video = library.set_info(video.id, description=line)  # kept: the window shows it
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sweep_previews(library)  # what an earlier, interrupted render left behind
    client = EngineClient(library.home, name="caption engine")
    images_client = EngineClient(library.home, name="diffusion engine")
    threads = library.value("threads")
    diffusion = args.style == "diffusion"
    model_id = (None if diffusion else args.model) or library.setting("caption_model")
    image_model = None
    if diffusion:
        from .core.model_store import ModelStore

        image_model = args.model or ModelStore(library).diffusion_choice()
    source = EngineCaptions(client, model_id=model_id, n_threads=threads)
    remixer = Remixer(library, source, EngineImages(images_client, n_threads=threads),
                      caption_model=model_id)
    progress = _progress_printer(args.json)
    try:
        t = time.perf_counter()
        if args.at is not None:
            times = [args.at]
        else:
            picks = remixer.suggest(video.id, args.suggest or 1)
            times = [p.time_s for p in picks] or [video.duration_s / 2]
        timings["frames_s"] = _lap(t)
        t = time.perf_counter()
        run = None
        if args.caption is not None:
            captions = [(args.caption, None)] * len(times)
        else:
            run = remixer.write_captions(video.id, times[0], count=args.candidates,
                                         seed=args.seed, progress=progress)
            captions = [(c.text, c.seed) for c in run.captions]
            timings.update({f"captions_{k}": v for k, v in source.last_timings.items()})
        timings["captions_s"] = _lap(t)
        results = []
        stage = {"frame_s": 0.0, "style_s": 0.0, "compose_s": 0.0, "save_s": 0.0}
        t = time.perf_counter()
        topic = run.topic.as_dict() if run is not None and run.topic is not None else None
        requests = remixer.plan(
            video.id, captions, times, topic=topic, style=args.style, layout=args.layout,
            size=args.size,
            caption_model=model_id, seed=args.seed, image_model=image_model or None,
            **({"output": "animated", "span_s": animate} if animate is not None else {}),
            **({"prompt": args.prompt, "negative_prompt": args.negative,
                "strength": args.strength, "steps": args.steps, "cfg": args.cfg,
                "sampler": args.sampler, "diffusion_size": args.diffusion_size}
               if diffusion else {}))

        def made(i: int, preview) -> None:
            request, seed = requests[i], requests[i].caption_seed
            for key, value in preview.timings.items():
                if isinstance(value, (int, float)):
                    stage[key] = stage.get(key, 0.0) + value
            suffix = (".gif" if getattr(args, "gif", False) else ".webp") \
                if preview.kind == "animated" else ".png"
            target = out / default_export_name(video.name, preview.id, suffix)  # plain, short
            if not target.exists():
                remixer.export(preview.id, target)
            extra = {}
            if diffusion:
                extra["diffusion"] = {k: preview.timings.get(k) for k in (
                    "diffusion_model", "family", "load_s", "encode_s", "sampling_s",
                    "decode_s") if k in preview.timings}
                extra["diffusion"]["size"] = preview.params.get("diffusion_size")
                extra["diffusion"]["steps"] = preview.params.get("steps")
            results.append({**extra,
                "id": preview.id, "path": str(target), "preview": str(preview.path),
                "caption": preview.caption, "style": args.style, "layout": args.layout,
                "size": args.size, "frame_s": round(request.frame_s, 3), "seed": seed,
                "face": preview.face, "cached": not preview.timings, "kind": preview.kind,
                "caption_model": model_id if seed is not None else None,
            })

        quick = diffusion and getattr(args, "quick", False)
        remixer.render_all(requests, progress=_render_printer(progress), made=made,
                           keep_quick=lambda: quick)
        timings.update({f"render_{k}": round(v, 4) for k, v in stage.items()})
        timings["render_s"] = _lap(t)
        # kept with the video once the previews are recorded: a library that cannot be
        # written refuses the preview first, in the sentence that says which folder
        store = CaptionStore(library)
        kept = ([store.add_own(video.id, args.caption)] if run is None
                else store.add_run(video.id, run, model_id))
    finally:
        client.stop()
        images_client.stop()
    timings["total_s"] = _lap(started)
    faces = any(r["face"] for r in results)
    context = run.context if run is not None else "creator"
    if args.json:
        print(json.dumps({
            "video": video.id, "context": context,
            "topic": run.topic.as_dict() if run is not None and run.topic else None,
            "caption_model": model_id if run is not None else None,
            "caption_backend": run.backend if run is not None else None,
            "shown": run.shown if run is not None and run.shown else None,
            "captions": [_caption_json(c, run) for c in kept],
            "previews": results, "timings": timings, "face_warning": faces},
            indent=2, ensure_ascii=False))
    else:
        if run is not None and run.shown:
            print(f"{model_id} sees: {run.shown} (kept as a suggestion for the video's "
                  "description)")
        elif context == "none":
            print(NO_CONTEXT)
        for r in results:
            print(f"preview {r['id']}: {r['caption']!r} -> {r['path']}")
        if faces:
            print("Note: a frame shows a face; this remix uses a person's likeness.")
        print(f"Made {len(results)} preview{'' if len(results) == 1 else 's'} in {timings['total_s']:.1f} s.")
    return 0


NO_CONTEXT = ("Nothing to go on for this clip (no title, description or tags): these "
              "captions fit any clip; say what happens with --about \"TEXT\".")


def _caption_json(stored, run=None) -> dict:
    made = {c.text: c for c in run.captions} if run is not None else {}
    c = made.get(stored.text)
    return {"id": stored.id, "text": stored.text, "source": stored.source,
            "format": stored.format, "shape": c.shape if c else None,
            "model": stored.model_id, "seed": stored.seed, "topic": stored.topic,
            "starred": stored.starred, "created_at": stored.created_at,
            "edited_at": stored.edited_at}


def captions_command(library: Library, args) -> int:
    """`remix-desktop captions ID [--json]`: the captions kept with a video."""
    video = library.video(args.id)
    kept = CaptionStore(library).list(video.id)
    if args.json:
        print(json.dumps({"video": video.id, "captions": [_caption_json(c) for c in kept]},
                         indent=2, ensure_ascii=False))
        return 0
    if not kept:
        print(f"Video {video.id} has no captions yet; 'remix-desktop remix {video.id}' writes "
              "some.")
        return 0
    for c in kept:
        star = "*" if c.starred else " "
        made = {"model": f"model {c.model_id}, seed {c.seed}",
                "template": f"template, {c.model_id}", "creator": "yours"}[c.source]
        edited = ", edited" if c.edited_at else ""
        print(f"{c.id:>5} {star} {c.text}  ({made}{edited})")
    return 0


def _progress_printer(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int, message: str) -> None:
        print(f"\r{message}: {done}/{total}   ", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)
    return show


def _render_printer(show):
    """The progress printer for a batch: a diffusion preview's sampling steps."""
    if show is None:
        return None

    def on(p) -> None:
        if p.stage == "sampling":
            show(p.step, p.steps, f"preview {p.index + 1} of {p.count}: sampling")
    return on


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 4)
