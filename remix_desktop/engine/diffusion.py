"""The image model: img2img through stable-diffusion-cpp-python (stable-diffusion.cpp).

Runs only inside the engine worker process. Traps of stable-diffusion-cpp-python 0.4.7 that
this wrapper handles:

- the progress and preview callbacks are process-wide C globals: `generate_image` registers
  a ctypes thunk that dies with the call, and the global keeps pointing at it, so a later call
  without a callback (or the next model load, which reports progress too) jumps into freed
  memory. We always pass both callbacks and reset both globals to NULL afterwards;
- a failed load returns a NULL context that the wrapper keeps (it checks `is None`), and
  freeing it later segfaults: we check it and clear it, and raise DiffusionLoadError;
- the output image is RGBA: converted to RGB;
- a size that is not a multiple of 64 is silently grown to one (the UNet's 8x down-sampling
  of an 8x latent): we work at the aligned size and scale the result to the size asked;
- there is no cancel function: cancelling means the client kills the worker process;
- img2img runs `int(steps * strength) + 1` sampling steps (for strength < 1), and the
  library's progress callback reports that total; `planned_steps` says it up front.

Previews: 0.4.7 has a preview callback; with the "proj" method it gives the latent projected
to RGB (1/8 of the image size, e.g. 64x64 for 512x512) at almost no cost per step.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from PIL import Image

ProgressFn = Callable[[int, int], None]
PreviewFn = Callable[[int, Image.Image], None]

SAMPLERS = ("euler_a", "euler", "heun", "dpm2", "dpm++2s_a", "dpm++2m", "dpm++2mv2",
            "ipndm", "ipndm_v", "lcm", "ddim_trailing", "tcd", "res_multistep", "res_2s",
            "er_sde")


def planned_steps(steps: int, strength: float) -> int:
    """How many sampling steps stable-diffusion.cpp really runs for img2img."""
    steps = max(1, int(steps))
    if strength >= 1.0:
        return steps
    return int(steps * strength) + 1


class DiffusionLoadError(RuntimeError):
    """stable-diffusion.cpp refused the files (its log says which tensor)."""


class DiffusionModel:
    def __init__(self, model_path: str | os.PathLike, *, taesd_path: str | os.PathLike | None
                 = None, n_threads: int | None = None, verbose: bool = False,
                 weight_type: str = "default", flash_attn: bool = False):
        """`weight_type` ("q8_0", "q4_0"…): converted at every load (what `models quantize`
        does once); "default" keeps the file's own types. `flash_attn`: the UNet's attention
        by flash attention (faster on a CPU at the same memory: model_kinds.Family says
        where it is on, benchmarks/bench_diffusion.py --settings measures it)."""
        import stable_diffusion_cpp as sd_cpp
        from stable_diffusion_cpp import StableDiffusion

        self._sd_cpp = sd_cpp
        self.model_path = Path(model_path)
        self.taesd_path = Path(taesd_path) if taesd_path else None
        _reset_callbacks(sd_cpp)  # a stale thunk from an earlier model must not be called
        start = time.perf_counter()
        self.sd = StableDiffusion(
            model_path=str(self.model_path),
            taesd_path=str(self.taesd_path) if self.taesd_path else "",
            n_threads=n_threads or os.cpu_count() or 1,
            vae_decode_only=False,  # img2img encodes the init image
            verbose=verbose,
            wtype=weight_type,
            diffusion_flash_attn=flash_attn,
        )
        internal = self.sd._model
        if not internal.model:  # a NULL ctypes pointer: the wrapper does not notice
            internal.model = None  # else freeing it later dereferences NULL (a segfault)
            raise DiffusionLoadError(
                f"stable-diffusion.cpp could not load '{self.model_path.name}'"
                + (f" with '{self.taesd_path.name}'" if self.taesd_path else "")
                + " (tensors are missing or have the wrong shape)")
        self.load_s = time.perf_counter() - start
        self.last_timings: dict = {}

    def img2img(self, init_image: Image.Image, prompt: str, negative_prompt: str = "", *,
                strength: float = 0.6, steps: int = 4, cfg_scale: float = 1.0,
                sampler: str = "euler_a", seed: int = 0, width: int = 512,
                height: int = 512, progress: ProgressFn | None = None,
                preview: PreviewFn | None = None) -> Image.Image:
        """Remake `init_image` (resized to width x height) after the prompt. `progress`
        gets (step, total) with total = the steps really run; `preview` a low-resolution
        RGB image after each step."""
        if not 0.0 < strength <= 1.0:
            raise ValueError("the strength must be above 0 and at most 1")
        if width < 64 or height < 64 or width > 4096 or height > 4096:
            raise ValueError("width and height must be between 64 and 4096")
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}")
        total = planned_steps(steps, strength)
        # a UNet works on multiples of 64 and sd.cpp silently grows other sizes; we make
        # the aligned size from the image stretched to it and stretch the result back
        work = (_align(width), _align(height))
        image = init_image.convert("RGB")
        if image.size != work:
            image = image.resize(work, Image.LANCZOS)
        marks: dict[str, float] = {}

        def on_progress(step: int, steps_: int, _seconds: float) -> None:
            now = time.perf_counter()
            marks.setdefault("first", now)
            marks["last"] = now
            if progress:
                progress(int(step), int(steps_) or total)

        def on_preview(step: int, frames, _noisy) -> None:
            if preview and frames:
                preview(int(step), frames[0].convert("RGB"))

        start = time.perf_counter()
        try:
            images = self.sd.generate_image(
                prompt=prompt, negative_prompt=negative_prompt, init_image=image,
                strength=float(strength), sample_steps=int(steps), cfg_scale=float(cfg_scale),
                sample_method=sampler, seed=int(seed), width=work[0], height=work[1],
                batch_count=1, progress_callback=on_progress, preview_method="proj",
                preview_interval=1, preview_callback=on_preview)
        finally:
            _reset_callbacks(self._sd_cpp)
        end = time.perf_counter()
        if not images:
            raise RuntimeError("stable-diffusion.cpp returned no image")
        first, last = marks.get("first", start), marks.get("last", end)
        # encode: the prompt and the init image, up to the sampler's first report;
        # decode: the last step to the image (TAE or VAE decode).
        self.last_timings = {"encode_s": round(first - start, 3),
                             "sampling_s": round(last - first, 3),
                             "decode_s": round(end - last, 3),
                             "steps": total}
        result = images[0].convert("RGB")
        if result.size != (width, height):
            result = result.resize((width, height), Image.LANCZOS)
        return result

    def close(self) -> None:
        self.sd.close()


def _align(n: int, multiple: int = 64) -> int:
    return -(-int(n) // multiple) * multiple


def _reset_callbacks(sd_cpp) -> None:
    sd_cpp.sd_set_progress_callback(None, None)
    sd_cpp.sd_set_preview_callback(None, 0, 1, True, False, None)
