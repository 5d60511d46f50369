"""The app's side of the engine: starts the worker process, sends jobs, streams progress,
cancels by stopping the worker (politely, then by force) and starts a fresh one next time.
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import signal
import threading
import time
from typing import Callable

from ..core.captions import CaptionContext, CaptionRun
from ..core.errors import Cancelled, RemixDesktopError
from ..core.model_kinds import family as model_family
from ..core.home import Home
from ..core.model_manifest import DEFAULT_CAPTION_MODEL, caption_model_path
from . import worker
from .protocol import CaptionJob, Done, Failed, Img2ImgJob, Progress, Shutdown


class EngineError(RemixDesktopError):
    """A job failed in the engine; the message says why in one sentence."""


class EngineCrashed(EngineError):
    """The worker process died during a job (a native crash, or killed for memory)."""


JobCancelled = Cancelled  # the core's one cancellation (the old name, for callers)


class EngineClient:
    """One worker process for one kind of resource; one job at a time."""

    def __init__(self, home: Home, *, name: str = "engine"):
        self.home = home
        self.name = name
        self._proc = None
        self._conn = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._ids = itertools.count(1)
        self.starts = 0  # how many worker processes were started (tests, benchmarks)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def run(self, job_factory: Callable[[int], object], *,
            on_progress: Callable[[Progress], None] | None = None,
            cancelled: Callable[[], bool] = lambda: False) -> Done:
        """Send a job and wait for its result, passing progress on. Cancel (from `cancelled`
        or `cancel()` on another thread) stops the worker and raises JobCancelled."""
        with self._lock:
            self._cancel.clear()
            self._ensure_started()
            job = job_factory(next(self._ids))
            try:
                self._conn.send(job)
            except (BrokenPipeError, OSError):
                self._forget()
                self._ensure_started()
                self._conn.send(job)
            while True:
                if cancelled() or self._cancel.is_set():
                    self.stop()
                    raise JobCancelled()
                if self._conn.poll(0.05):
                    try:
                        message = self._conn.recv()
                    except (EOFError, OSError):
                        raise self._crashed() from None
                    if isinstance(message, Progress):
                        if on_progress:
                            on_progress(message)
                    elif isinstance(message, Done):
                        return message
                    elif isinstance(message, Failed):
                        raise EngineError(message.error)
                elif not self._proc.is_alive():
                    raise self._crashed()

    def cancel(self) -> None:
        """Ask the running job to stop (safe to call from any thread)."""
        self._cancel.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the worker: a polite request, then SIGTERM, then SIGKILL of its group."""
        proc, conn = self._proc, self._conn
        self._forget()
        if proc is None or conn is None:
            return
        try:
            conn.send(Shutdown())
        except (BrokenPipeError, OSError):
            pass
        proc.join(0.2)
        if proc.is_alive():
            _signal_group(proc.pid, signal.SIGTERM)
            proc.join(timeout)
        if proc.is_alive():
            _signal_group(proc.pid, signal.SIGKILL)
            proc.join(timeout)
        conn.close()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        self._forget()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        logs = self.home.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        proc = context.Process(target=worker.main, name=f"remix-{self.name}",
                               args=(child, str(logs / f"{self.name}.log")), daemon=True)
        try:
            proc.start()
        except (OSError, RuntimeError) as exc:  # no memory or processes left to start one
            parent.close()
            raise EngineError(f"The {self.name} could not be started ({exc}); close other "
                              "programs and try again") from exc
        finally:
            child.close()
        self._proc, self._conn = proc, parent
        self.starts += 1

    def _forget(self) -> None:
        self._proc, self._conn = None, None

    def _crashed(self) -> EngineCrashed:
        proc = self._proc
        proc.join(1.0)
        code = proc.exitcode
        self._forget()
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            why = ("it was killed, perhaps for lack of memory" if name == "SIGKILL"
                   else f"it crashed ({name})")
        else:
            why = f"it exited with code {code}"
        return EngineCrashed(f"The {self.name} stopped during the job: {why}; it will start "
                             "afresh for the next job")


class EngineCaptions:
    """Captions written by the worker process (implements core.remix.CaptionSource)."""

    def __init__(self, client: EngineClient, *, model_id: str = DEFAULT_CAPTION_MODEL,
                 n_threads: int = 0):
        self.client = client
        self.model_id = model_id
        self.n_threads = n_threads
        self.last_timings: dict = {}

    def captions(self, context: CaptionContext, *, count: int = 4, seed: int = 0,
                 progress: Callable[[int, int, str], None] | None = None,
                 cancelled: Callable[[], bool] = lambda: False, model=None,
                 frame=None) -> CaptionRun:
        """`model` (core.remix.CaptionModel): the file and back end, resolved by core (the
        app always passes it); without one (a direct caller, a test), the adapter's model id
        is taken as a manifest model (no library is opened here)."""
        if model is not None:
            path, model_id, backend = model.path, model.id, str(model.backend)
        else:
            path, model_id, backend = caption_model_path(self.client.home, self.model_id), \
                self.model_id, "text"

        def relay(p: Progress) -> None:
            if progress:
                progress(p.done, p.total, p.message)

        projector = str(model.projector) if model is not None and model.projector else ""
        if backend == "vision" and (frame is None or not projector):
            raise ValueError("a vision caption model needs its projector and the frame")
        seeing = dict(projector_path=projector, frame=frame.rgb,
                      frame_size=(frame.width, frame.height)) if backend == "vision" else {}
        done = self.client.run(
            lambda job_id: CaptionJob(job_id, str(path), model_id, context, count, seed,
                                      self.n_threads, backend, **seeing),
            on_progress=relay, cancelled=cancelled)
        self.last_timings = done.timings
        return done.result


class EngineImages:
    """Diffusion img2img in its own worker process (implements core.remix.ImageSource)."""

    def __init__(self, client: EngineClient, *, n_threads: int = 0):
        self.client = client
        self.n_threads = n_threads

    def restyle(self, image, request, *, model_path, taesd_path, family, progress=None,
                cancelled=lambda: False, step_preview=None):
        """`request` is resolved (core.remix.resolve) and `image` already at the size the
        model works at: every value the worker uses is the request's own."""
        from PIL import Image

        if not request.resolved:
            raise ValueError("the remix request was not resolved before it reached the engine")
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "PNG")

        def relay(p: Progress) -> None:
            if progress:
                progress(p.done, p.total, p.message)
            if p.preview and step_preview:
                step_preview(p.done, p.total, p.preview)

        done = self.client.run(
            lambda job_id: Img2ImgJob(
                job_id, str(model_path), str(taesd_path) if taesd_path else None,
                buffer.getvalue(), request.prompt_text, request.negative_prompt,
                request.strength, request.steps, request.cfg, request.sampler, request.seed,
                image.width, image.height, self.n_threads, request.image_model or "",
                model_family(family).flash_attn),
            on_progress=relay, cancelled=cancelled)
        result = Image.open(io.BytesIO(done.result)).convert("RGB")
        return result, {k: v for k, v in done.timings.items() if k != "family"}


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    time.sleep(0)
