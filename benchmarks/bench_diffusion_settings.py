"""The fastest correct img2img settings on this machine, per family: each setting in a fresh
process (so its peak memory is its own), against a bare `generate_image` at the library's
defaults in the same run.

    .venv/bin/python benchmarks/bench_diffusion_settings.py [--families sd-turbo sdxs]
                                                            [--sizes 256 512] [--only NAME…]

The models are the all-zero test fixtures of SD-Turbo's architecture (SD 2.1: OpenCLIP-H, the
SD 2.1 UNet, the KL VAE) and SDXS-512's (tests/sd_fixture.py), and their q8_0/q4_0 GGUFs made
with the app's own quantize: the compute (and so the time and memory) is that of the real
models, the pictures are not. The stage times are stable-diffusion.cpp's own account (its
log): the init image's encode, the text encoder, sampling (per step), decode; load is the
model's construction; peak is the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPT = "comic book panel, bold ink outlines"
STRENGTH = 0.6
FOLDER = Path(tempfile.gettempdir()) / "remix-bench-sdxs"

# name -> what differs from the app's path (TAESD, 2 threads, the file's own types)
SETTINGS = {
    "library defaults": {"bare": True},
    "app: TAESD": {},
    "+ vae_conv_direct": {"vae_conv_direct": True},
    "+ diffusion_conv_direct": {"diffusion_conv_direct": True},
    "+ flash attention": {"diffusion_flash_attn": True},
    "+ mmap": {"enable_mmap": True},
    "1 thread": {"n_threads": 1},
    "q8_0 GGUF": {"quantized": "q8_0"},
    "q4_0 GGUF": {"quantized": "q4_0"},
    "q8_0 at load (wtype)": {"wtype": "q8_0"},
    "full VAE": {"no_taesd": True},
    "q8_0 + flash": {"quantized": "q8_0", "diffusion_flash_attn": True},
    "q8_0 + flash + conv_direct": {"quantized": "q8_0", "diffusion_flash_attn": True,
                                   "diffusion_conv_direct": True, "vae_conv_direct": True},
    "q4_0 + flash": {"quantized": "q4_0", "diffusion_flash_attn": True},
}

_STAGES = {
    "encode": r"encode_first_stage completed, taking ([\d.]+)s",
    "text": r"get_learned_condition completed, taking ([\d.]+)s",
    "sampling": r"sampling completed, taking ([\d.]+)s",
    "decode": r"decode_first_stage completed, taking ([\d.]+)s",
    "total": r"generate_image completed in ([\d.]+)s",
}


def fixtures(family: str) -> tuple[Path, Path]:
    from tests.sd_fixture import build_sd_turbo_fixture, build_sdxs_fixture

    model, taesd = build_sdxs_fixture(FOLDER)
    if family == "sd-turbo":
        model = build_sd_turbo_fixture(FOLDER)
    return model, taesd


def quantized(model: Path, weight_type: str) -> Path:
    """The app's own quantize of `model`, made once."""
    from remix_desktop.engine.quantize import quantize

    target = FOLDER / f"{model.stem}-{weight_type}.gguf"
    if not target.exists():
        quantize(model, target, weight_type).replace(target)
    return target


def one(spec: dict) -> dict:
    """Run one setting in this process; stable-diffusion.cpp's log goes to spec['log']."""
    log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    spec["out"] = os.dup(1)  # the result goes to the parent; the library's log to the file
    os.dup2(log, 1)
    os.dup2(log, 2)
    import stable_diffusion_cpp as sd_cpp
    from stable_diffusion_cpp import StableDiffusion

    size, steps = spec["size"], spec["steps"]
    kwargs = {"model_path": spec["model"], "vae_decode_only": False, "verbose": True}
    if not spec.get("bare"):
        kwargs["n_threads"] = spec.get("n_threads", 2)
        if not spec.get("no_taesd"):
            kwargs["taesd_path"] = spec["taesd"]
        for flag in ("vae_conv_direct", "diffusion_conv_direct", "diffusion_flash_attn",
                     "enable_mmap", "wtype"):
            if flag in spec:
                kwargs[flag] = spec[flag]
    start = time.perf_counter()
    sd = StableDiffusion(**kwargs)
    load = time.perf_counter() - start
    from benchmarks.bench_diffusion import init_image

    image = init_image(size)
    start = time.perf_counter()
    out = sd.generate_image(prompt=PROMPT, init_image=image, strength=STRENGTH,
                            sample_steps=steps, cfg_scale=1.0, seed=7, width=size,
                            height=size, progress_callback=lambda *a: None)
    wall = time.perf_counter() - start
    sd_cpp.sd_set_progress_callback(None, None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"load": load, "wall": wall, "peak": peak, "size": list(out[0].size)}


def run(spec: dict) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as fh:
        spec = {**spec, "log": fh.name}
    done = subprocess.run([sys.executable, __file__, "--one", json.dumps(spec)],
                          capture_output=True, text=True)
    text = Path(spec["log"]).read_text(errors="replace")
    os.unlink(spec["log"])
    if done.returncode != 0:
        return {"error": (done.stderr or text)[-300:].strip()}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for stage, pattern in _STAGES.items():
        found = re.findall(pattern, text)
        result[stage] = float(found[-1]) if found else None
    steps = re.findall(r"target t_enc is (\d+) steps", text)
    result["steps_run"] = int(steps[-1]) if steps else spec["steps"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--families", nargs="+", default=["sd-turbo", "sdxs"],
                        choices=["sd-turbo", "sdxs"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--steps", type=int, default=1,
                        help="sample steps asked (img2img at strength 0.6 runs int(steps * "
                        "0.6) + 1)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these settings only")
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        result = one(spec)
        os.write(spec["out"], (json.dumps(result) + "\n").encode())
        os._exit(0)
    settings = {k: v for k, v in SETTINGS.items() if not args.only or k in args.only
                or k == "library defaults"}
    print(f"img2img, strength {STRENGTH}, {args.steps} step(s) asked, cfg 1, euler_a; "
          f"{os.cpu_count()} cores; each row a fresh process")
    for family in args.families:
        model, taesd = fixtures(family)
        for size in args.sizes:
            print(f"\n{family} ({model.name}) at {size}x{size}")
            print(f"{'setting':24} {'load':>6} {'encode':>7} {'text':>6} {'step':>6} "
                  f"{'decode':>7} {'total':>7} {'peak':>8} {'vs bare':>8}")
            base = None
            for name, setting in settings.items():
                spec = {**setting, "model": str(model), "taesd": str(taesd), "size": size,
                        "steps": args.steps}
                if "quantized" in setting:
                    spec["model"] = str(quantized(model, setting["quantized"]))
                r = run(spec)
                if "error" in r:
                    print(f"{name:24} failed: {r['error']}")
                    continue
                total = r["total"] or r["wall"]
                if base is None:
                    base = total
                step = (r["sampling"] or 0) / max(1, r["steps_run"])
                print(f"{name:24} {r['load']:>5.1f}s {r['encode'] or 0:>6.2f}s "
                      f"{r['text'] or 0:>5.2f}s {step:>5.2f}s {r['decode'] or 0:>6.2f}s "
                      f"{total:>6.2f}s {r['peak'] / 2**30:>6.2f}GB {total / base:>7.2f}x",
                      flush=True)


if __name__ == "__main__":
    main()
