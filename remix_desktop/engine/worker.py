"""The engine worker: a separate process that owns the native models.

It keeps each model loaded between jobs and runs one job at a time. A native crash here
kills only this process; the client notices, reports it, and starts a fresh worker.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

from ..core.captions import generate_captions
from ..core.errors import UsageError
from .protocol import CaptionJob, Done, Failed, Img2ImgJob, Progress, Shutdown


def main(conn: Connection, log_path: str | None = None) -> None:
    try:
        os.setpgrp()  # its own process group, so a cancel can take down any children too
    except OSError:
        pass
    exit_with_parent()
    if log_path:  # llama.cpp writes to stderr; keep that out of the creator's terminal
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    Worker(conn).serve()


class Worker:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.text_models: dict[tuple[str, int], object] = {}
        self.image_models: dict[tuple, object] = {}  # one (model, family), by its settings
        self.image_work = 0  # the work memory of the largest picture the image model made

    def serve(self) -> None:
        while True:
            try:
                job = self.conn.recv()
            except (EOFError, OSError):
                return
            if isinstance(job, Shutdown):
                for model in self.text_models.values():  # before the interpreter goes
                    getattr(model, "close", lambda: None)()
                return
            try:
                self.conn.send(self.run(job))
            except Exception as exc:  # noqa: BLE001 - reported to the app, worker lives on
                traceback.print_exc()
                self.conn.send(Failed(getattr(job, "job_id", -1), _sentence(exc)))

    def run(self, job) -> Done:
        if isinstance(job, CaptionJob):
            return self.captions(job)
        if isinstance(job, Img2ImgJob):
            return self.img2img(job)
        raise TypeError(f"unknown job {type(job).__name__}")

    def captions(self, job: CaptionJob) -> Done:
        timings = {}
        start = time.perf_counter()
        model = self.text_model(job)
        timings["model_load_s"] = round(time.perf_counter() - start, 3)
        context, shown = job.context, ""
        if job.backend == "vision":  # the frame first: what it shows becomes the topic's
            if not job.frame:
                raise ValueError("a vision caption job came without its frame")
            self.conn.send(Progress(job.job_id, 0, 1, "reading the frame"))
            start = time.perf_counter()
            shown = model.describe(job.frame, *job.frame_size, seed=job.seed)
            timings["frame_s"] = round(time.perf_counter() - start, 3)
            timings["image_tokens"] = model.last_image_tokens
            context = replace(context, shown=shown)
        start = time.perf_counter()

        def progress(done: int, total: int) -> None:
            self.conn.send(Progress(job.job_id, done, total, "writing captions"))

        run = generate_captions(model, context, count=job.count, seed=job.seed,
                                progress=progress)
        timings["captions_s"] = round(time.perf_counter() - start, 3)
        return Done(job.job_id, replace(run, shown=shown, backend=job.backend), timings)

    def text_model(self, job: CaptionJob):
        """The caption model of `job`, loaded by the back end the job names (kept loaded
        between jobs; one caption model in memory at a time)."""
        key = (job.model_path, job.n_threads, job.backend, job.projector_path)
        if key not in self.text_models:
            load = caption_backend(job.backend)
            self.conn.send(Progress(job.job_id, 0, 1, "loading the caption model"))
            for old in self.text_models.values():  # a projector is freed before its model
                getattr(old, "close", lambda: None)()
            self.text_models.clear()
            extra = {"projector_path": job.projector_path} if job.backend == "vision" else {}
            self.text_models[key] = load(job.model_path, model_id=job.model_id,
                                         n_threads=job.n_threads or None, **extra)
        return self.text_models[key]

    def img2img(self, job: Img2ImgJob) -> Done:
        import io

        from PIL import Image

        from .diffusion import planned_steps

        timings: dict = {}
        start = time.perf_counter()
        model, family, loaded = self.image_model(job)
        timings["load_s"] = round(time.perf_counter() - start, 3) if loaded else 0.0
        timings["family"] = family
        try:
            with Image.open(io.BytesIO(job.image)) as opened:
                opened.load()
                init = opened.convert("RGB")
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds
            raise ValueError(f"the image to remix cannot be read ({exc})") from None
        total = planned_steps(job.steps, job.strength)
        self.conn.send(Progress(job.job_id, 0, total, "sampling"))
        previews: dict[int, bytes] = {}

        def preview(step: int, image) -> None:
            previews[step] = _png(image)

        def progress(step: int, steps: int) -> None:
            self.conn.send(Progress(job.job_id, step, steps, "sampling",
                                    preview=previews.pop(step, None)))

        result = model.img2img(init, job.prompt, job.negative_prompt, strength=job.strength,
                               steps=job.steps, cfg_scale=job.cfg, sampler=job.sampler,
                               seed=job.seed, width=job.width, height=job.height,
                               progress=progress, preview=preview)
        timings.update(model.last_timings)
        return Done(job.job_id, _png(result), timings)

    def image_model(self, job: Img2ImgJob):
        """(model, family, loaded now); the files are checked by their headers first, so a
        file that is not a usable model is refused before stable-diffusion.cpp sees it."""
        from ..core.model_memory import check_fits, work_bytes

        key = (job.model_path, job.taesd_path or None, job.n_threads, job.flash_attn)
        if key in self.image_models:
            model, family = self.image_models[key]
            # loaded: only a larger picture than before needs more (its work memory)
            extra = work_bytes(job.width, job.height, bool(job.taesd_path)) - self.image_work
            if extra > 0:
                check_fits({}, family, job.model_id or Path(job.model_path).name,
                           width=job.width,
                           height=job.height, already=self.image_work,
                           taesd=bool(job.taesd_path))
                self.image_work += extra
            return model, family, False
        from ..core.model_headers import ModelFileError, inspect_model
        from .diffusion import DiffusionModel

        info = inspect_model(job.model_path)
        if info.kind != "diffusion":
            raise ModelFileError(info.path, f"holds {info.label} weights, not a Stable "
                                            f"Diffusion model")
        if not info.complete:
            raise ModelFileError(info.path, "holds a UNet without its text encoder; a "
                                            "complete checkpoint is needed")
        if job.taesd_path:
            tae = inspect_model(job.taesd_path)
            if tae.kind != "taesd":
                raise ModelFileError(tae.path, f"holds {tae.label} weights, not a TAESD "
                                               f"tiny autoencoder")
        self.image_models.clear()  # one image model in memory at a time
        gc.collect()  # its memory is free before the next one is measured against it
        # refused before loading when the machine has not the memory for it (a sentence
        # that says what would fit), not half way into the load
        check_fits(info.table, info.family, job.model_id or Path(job.model_path).name,
                   width=job.width, height=job.height,
                   taesd_table=tae.table if job.taesd_path else None)
        self.image_work = work_bytes(job.width, job.height, bool(job.taesd_path))
        self.conn.send(Progress(job.job_id, 0, 1, "loading the image model"))
        model = DiffusionModel(job.model_path, taesd_path=job.taesd_path or None,
                               n_threads=job.n_threads or None, flash_attn=job.flash_attn)
        self.image_models[key] = (model, info.family)
        return model, info.family, True


def exit_with_parent(poll_s: float = 0.2) -> threading.Thread:
    """End this worker (and its process group) as soon as the app that started it is gone.

    A SIGKILLed app cannot stop its worker, and the worker notices nothing while a job runs
    (a caption or a diffusion image takes seconds to minutes): without this it would live on
    as an orphan holding a model and the CPU. A thread watches for the parent to go: on POSIX
    the worker is then re-parented, so its parent pid changes; elsewhere the parent's
    sentinel says so. (Not PR_SET_PDEATHSIG: it fires when the *thread* that started the
    worker ends, and the window starts workers from pool threads that come and go.)"""
    parent = multiprocessing.parent_process()
    expected = parent.pid if parent is not None else os.getppid()

    def gone() -> bool:
        if os.name == "posix":
            return os.getppid() != expected
        return parent is not None and not parent.is_alive()

    def watch() -> None:
        while not gone():
            time.sleep(poll_s)
        _end_group()

    watcher = threading.Thread(target=watch, name="remix-parent-watch", daemon=True)
    watcher.start()
    return watcher


def _end_group() -> None:
    """Kill this process's group when it leads one (its own, from setpgrp), else itself."""
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
        try:
            os.killpg(os.getpid(), signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _llama_text(path: str, **kwargs):
    from .llama_text import LlamaTextModel

    return LlamaTextModel(path, **kwargs)


def _llama_vision(path: str, *, projector_path: str, **kwargs):
    from ..core.model_headers import ModelFileError, check_pair, inspect_model, inspect_projector
    from .llama_vision import LlamaVisionModel

    try:  # the pair checked by its headers before llama.cpp sees a byte of it
        check_pair(inspect_model(path), inspect_projector(projector_path))
    except ModelFileError as exc:
        raise ValueError(str(exc).rstrip(".")) from None
    return LlamaVisionModel(path, projector_path=projector_path, **kwargs)


CAPTION_BACKENDS = {"text": _llama_text, "vision": _llama_vision}
"""The engine's caption back ends by the caption job's `backend` field
(core.model_kinds.CaptionBackend)."""


def caption_backend(name: str):
    try:
        return CAPTION_BACKENDS[name]
    except KeyError:
        raise ValueError(f"no caption back end '{name}' in this version; it knows "
                         f"{', '.join(CAPTION_BACKENDS)}") from None


def _sentence(exc: Exception) -> str:
    if isinstance(exc, UsageError):
        return str(exc)  # already the creator's sentence (a refusal for lack of memory…)
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return f"The engine could not finish the job: {text}"
