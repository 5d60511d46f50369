"""img2img: the app's path (worker process, PNG over the pipe, progress and previews) against a
bare `StableDiffusion.generate_image` call with the same model and parameters, in one run.

    .venv/bin/python benchmarks/bench_diffusion.py [--model FILE --taesd FILE] [--sizes 256 512]
                                                   [--gguf]

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path)
    parser.add_argument("--taesd", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--gguf", action="store_true",
                        help="without --model: the fixture's GGUF copy, not the safetensors")
    args = parser.parse_args()
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
