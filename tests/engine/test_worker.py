"""The engine worker process: model kept loaded, progress, cancel, crash, clear errors."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from remix_desktop.core.captions import CaptionContext
from remix_desktop.core.home import Home
from remix_desktop.engine.client import (EngineCaptions, EngineClient, EngineCrashed,
                                         EngineError, JobCancelled)
from remix_desktop.engine.protocol import CaptionJob

CONTEXT = CaptionContext(title="Leg day", tags=("gym",), seen=("a face", "lots of motion"))


@pytest.fixture
def client(model_home, gemma_path):
    engine = EngineClient(model_home, name="caption engine")
    yield engine
    engine.stop()


def test_captions_come_from_the_worker_which_keeps_the_model_loaded(client):
    captions = EngineCaptions(client)
    seen = []
    first = captions.captions(CONTEXT, count=4, seed=5, progress=lambda *p: seen.append(p))
    assert first.captions and captions.last_timings["model_load_s"] > 0
    assert seen[-1][0] == seen[-1][1], "progress reaches its total"
    pid = client.pid
    second = captions.captions(CONTEXT, count=4, seed=5)
    assert captions.last_timings["model_load_s"] == 0.0, "the model stayed loaded"
    assert client.pid == pid and client.starts == 1
    assert [c.text for c in first.captions] == [c.text for c in second.captions]


def test_cancel_stops_the_worker_and_the_next_job_works(client):
    captions = EngineCaptions(client)
    captions.captions(CONTEXT, count=1, seed=0)  # warm: model loaded
    old_pid = client.pid
    started = threading.Event()

    def progress(done, total, message):
        started.set()
        client.cancel()

    with pytest.raises(JobCancelled):
        captions.captions(CONTEXT, count=8, seed=1, progress=progress)
    assert started.is_set()
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)  # the old worker is gone
    run = captions.captions(CONTEXT, count=2, seed=1)
    assert len(run.captions) == 2 and client.starts == 2


def test_a_native_crash_is_a_clear_error_and_the_engine_recovers(client):
    captions = EngineCaptions(client)
    captions.captions(CONTEXT, count=1, seed=0)

    def crash(done, total, message):
        os.kill(client.pid, signal.SIGSEGV)  # what a segfault in llama.cpp looks like

    with pytest.raises(EngineCrashed, match="crashed \\(SIGSEGV\\)"):
        captions.captions(CONTEXT, count=8, seed=2, progress=crash)
    assert len(captions.captions(CONTEXT, count=2, seed=2).captions) == 2


def test_a_bad_model_file_fails_the_job_not_the_worker(client, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(4096))
    with pytest.raises(EngineError, match="could not finish"):
        client.run(lambda job_id: CaptionJob(job_id, str(bad), "broken", CONTEXT))
    assert client.pid is not None, "the worker survived the failed load"


def test_a_worker_that_cannot_start_is_a_clear_error_and_stop_is_safe(tmp_path, monkeypatch):
    import multiprocessing.context

    client = EngineClient(Home(tmp_path / "h").ensure(), name="caption engine")

    def no_fork(self):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", no_fork)
    with pytest.raises(EngineError, match="The caption engine could not be started .*Cannot "
                                          "allocate memory"):
        client.run(lambda job_id: CaptionJob(job_id, "x.gguf", "x", CONTEXT))
    assert client.pid is None and client.starts == 0
    client.stop()  # nothing to stop, and no error
    client.cancel()
