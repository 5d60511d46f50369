"""img2img: the app's path (worker process, PNG over the pipe, progress and previews) against a
bare `StableDiffusion.generate_image` call with the same model and parameters, in one run.

    .venv/bin/python benchmarks/bench_diffusion.py [--model FILE --taesd FILE] [--sizes 256 512]
                                                   [--gguf]
    .venv/bin/python benchmarks/bench_diffusion.py --quick-look [--family sd-turbo|sdxs]
                                                   [--weight-type q8_0]
    .venv/bin/python benchmarks/bench_diffusion.py --settings [bench_diffusion_settings.py's
                                                   options: the table of settings]

--quick-look: the window's path for one diffusion preview at 512 px (Remixer.render with a
quick look: frame, 256 px one-step img2img, compose; then the 512 px render), cold (the
model loaded by the first) and warm, the time until the quick look and until the preview,
against the same 512 px preview made without a quick look.

Without --model it uses the all-zero SDXS-512 test fixture (tests/sd_fixture.py), or with
--gguf its GGUF copy: the times are those of the architecture, not of a trained model's image
quality. Cold = the first job (model load included); warm = the next job with the model kept
loaded.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.engine.client import EngineClient  # noqa: E402
from remix_desktop.engine.protocol import Img2ImgJob  # noqa: E402

PROMPT = "comic book panel, bold ink outlines"


def init_image(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size))
    for x in range(size):
        for y in range(0, size, 8):
            image.putpixel((x, y), (x % 256, y % 256, 128))
    return image


def app_run(client: EngineClient, model: Path, taesd: Path | None, size: int) -> float:
    buffer = io.BytesIO()
    init_image(size).save(buffer, "PNG")
    start = time.perf_counter()
    client.run(lambda job_id: Img2ImgJob(job_id, str(model), str(taesd) if taesd else None,
                                         buffer.getvalue(), PROMPT, "", 0.5, 1, 1.0,
                                         "euler_a", 7, size, size, 2))
    return time.perf_counter() - start


def bare_runs(model: Path, taesd: Path | None, size: int, repeat: int) -> tuple[float, list]:
    """A bare loop: load once, then generate_image with the same parameters."""
    import stable_diffusion_cpp as sd_cpp
    from stable_diffusion_cpp import StableDiffusion

    start = time.perf_counter()
    sd = StableDiffusion(model_path=str(model), taesd_path=str(taesd) if taesd else "",
                         n_threads=2, vae_decode_only=False, verbose=False)
    load = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        sd.generate_image(prompt=PROMPT, negative_prompt="", init_image=init_image(size),
                          strength=0.5, sample_steps=1, cfg_scale=1.0,
                          sample_method="euler_a", seed=7, width=size, height=size,
                          progress_callback=lambda *a: None)  # 0.4.7: always pass one
        sd_cpp.sd_set_progress_callback(None, None)
        times.append(time.perf_counter() - start)
    sd.close()
    return load, times


def quick_look(family: str, weight_type: str | None, repeat: int, clip_size: str) -> None:
    from remix_desktop.core.importer import run_import
    from remix_desktop.core.consent import Consent
    from remix_desktop.core.library import Library
    from remix_desktop.core.model_store import ModelStore
    from remix_desktop.core.remix import DIFFUSION, Remixer
    from remix_desktop.engine.client import EngineImages
    from tests.clips import make_clip
    from tests.sd_fixture import build_sd_turbo_fixture, build_sdxs_fixture

    folder = Path(tempfile.gettempdir()) / "remix-bench-sdxs"
    model, taesd = build_sdxs_fixture(folder)
    if family == "sd-turbo":
        model = build_sd_turbo_fixture(folder)
    if weight_type:
        from benchmarks.bench_diffusion_settings import quantized

        model = quantized(model, weight_type)
    root = Path(tempfile.mkdtemp(prefix="bench-quick-look-"))
    clip = make_clip(root / "clip.mp4", size=clip_size)
    home = Home(root / "home").ensure()
    with Library(home) as library:
        store = ModelStore(library)
        store.add(model)
        store.add(taesd)
        video = run_import(library, [clip]).imported[0]
        Consent(library).set_permission([video.id], "allow")
        client = EngineClient(home, name="diffusion engine")
        remixer = Remixer(library, images=EngineImages(client, n_threads=2))
        print(f"{model.name} + {taesd.name}; the app's path, 2 threads; a {clip_size} clip's "
              f"512 px preview (1 step at strength 0.5) after a 256 px quick look")
        print(f"{'run':>10} {'quick look':>11} {'preview':>9} {'without quick look':>19}")
        n = 0
        for run in ["cold"] + ["warm"] * repeat:
            marks = {}
            n += 1
            [request] = remixer.plan(video.id, [(f"POV: run {n}", None)], [1.0],
                                     style=DIFFUSION, image_model=model.name)
            start = time.perf_counter()
            remixer.render(request, quick_look=lambda png: marks.setdefault(
                "look", time.perf_counter()))
            end = time.perf_counter()
            n += 1
            [plain] = remixer.plan(video.id, [(f"POV: run {n}", None)], [1.0],
                                   style=DIFFUSION, image_model=model.name)
            t = time.perf_counter()
            remixer.render(plain)
            alone = time.perf_counter() - t
            print(f"{run:>10} {marks['look'] - start:>10.2f}s {end - start:>8.2f}s "
                  f"{alone:>18.2f}s", flush=True)
        client.stop()
    os._exit(0)


def main() -> None:
    if "--settings" in sys.argv:
        sys.argv.remove("--settings")
        from benchmarks.bench_diffusion_settings import main as settings

        settings()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick-look", action="store_true")
    parser.add_argument("--family", default="sd-turbo", choices=["sd-turbo", "sdxs"])
    parser.add_argument("--weight-type", choices=["q8_0", "q4_0"])
    parser.add_argument("--clip-size", default="640x360", help="--quick-look: the clip's "
                        "frame (640x360 works at 512x256, 640x640 at 512x512)")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--taesd", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--gguf", action="store_true",
                        help="without --model: the fixture's GGUF copy, not the safetensors")
    args = parser.parse_args()
    if args.quick_look:
        quick_look(args.family, args.weight_type, max(1, args.repeat // 2), args.clip_size)
    if args.gguf and args.model:
        parser.error("--gguf chooses the fixture; with --model, pass the .gguf file itself")
    model, taesd = args.model, args.taesd
    if model is None:
        sys.path.insert(0, str(ROOT))
        from tests.sd_fixture import build_sdxs_fixture, build_sdxs_gguf_fixture

        folder = Path(tempfile.gettempdir()) / "remix-bench-sdxs"
        model, taesd = build_sdxs_fixture(folder)
        if args.gguf:
            model = build_sdxs_gguf_fixture(folder)
    home = Home(Path(tempfile.mkdtemp(prefix="bench-diffusion-"))).ensure()
    print(f"model: {model.name}" + (f" + {taesd.name}" if taesd else "") +
          "; img2img, 1 step (strength 0.5 runs 1), euler_a, 2 threads")
    print(f"{'size':>6} {'app cold':>10} {'app warm':>10} {'bare load':>10} "
          f"{'bare warm':>10} {'overhead':>9}")
    for size in args.sizes:
        client = EngineClient(home, name="diffusion engine")
        cold = app_run(client, model, taesd, size)
        warm = statistics.median(app_run(client, model, taesd, size)
                                 for _ in range(args.repeat))
        client.stop()
        load, bare = bare_runs(model, taesd, size, args.repeat)
        bare_warm = statistics.median(bare)
        print(f"{size:>6} {cold:>9.2f}s {warm:>9.2f}s {load:>9.2f}s {bare_warm:>9.2f}s "
              f"{(warm / bare_warm - 1) * 100:>8.1f}%")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: this process (bare runs) {rss:.0f} MiB; largest worker {kids:.0f} MiB")
    os._exit(0)


if __name__ == "__main__":
    main()
