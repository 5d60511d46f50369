"""The engine worker: a separate process that owns the native models.

It keeps each model loaded between jobs and runs one job at a time. A native crash here
kills only this process; the client notices, reports it, and starts a fresh worker.
"""

from __future__ import annotations

import os
import time
import traceback
from multiprocessing.connection import Connection

from ..core.captions import generate_captions
from .protocol import CaptionJob, Done, Failed, Progress, Shutdown


def main(conn: Connection, log_path: str | None = None) -> None:
    try:
        os.setpgrp()  # its own process group, so a cancel can take down any children too
    except OSError:
        pass
    if log_path:  # llama.cpp writes to stderr; keep that out of the creator's terminal
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    Worker(conn).serve()


class Worker:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.text_models: dict[tuple[str, int], object] = {}

    def serve(self) -> None:
        while True:
            try:
                job = self.conn.recv()
            except (EOFError, OSError):
                return
            if isinstance(job, Shutdown):
                return
            try:
                self.conn.send(self.run(job))
            except Exception as exc:  # noqa: BLE001 - reported to the app, worker lives on
                traceback.print_exc()
                self.conn.send(Failed(getattr(job, "job_id", -1), _sentence(exc)))

    def run(self, job) -> Done:
        if isinstance(job, CaptionJob):
            return self.captions(job)
        raise TypeError(f"unknown job {type(job).__name__}")

    def captions(self, job: CaptionJob) -> Done:
        timings = {}
        start = time.perf_counter()
        model = self.text_model(job)
        timings["model_load_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()

        def progress(done: int, total: int) -> None:
            self.conn.send(Progress(job.job_id, done, total, "writing captions"))

        run = generate_captions(model, job.context, count=job.count, seed=job.seed,
                                progress=progress)
        timings["captions_s"] = round(time.perf_counter() - start, 3)
        return Done(job.job_id, run, timings)

    def text_model(self, job: CaptionJob):
        key = (job.model_path, job.n_threads)
        if key not in self.text_models:
            from .llama_text import LlamaTextModel

            self.conn.send(Progress(job.job_id, 0, 1, "loading the caption model"))
            self.text_models.clear()  # one caption model in memory at a time
            self.text_models[key] = LlamaTextModel(job.model_path, model_id=job.model_id,
                                                   n_threads=job.n_threads or None)
        return self.text_models[key]


def _sentence(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return f"The engine could not finish the job: {text}"
