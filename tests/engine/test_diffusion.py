"""img2img through the real stable-diffusion.cpp in the engine worker, with an all-zero
SDXS-512 checkpoint the tests build themselves (tests/sd_fixture.py)."""

from __future__ import annotations

import io
import os
import signal
import struct

import pytest
from PIL import Image

from remix_desktop.core.model_headers import inspect_model
from remix_desktop.engine.client import EngineCrashed, EngineError, JobCancelled
from remix_desktop.engine.diffusion import planned_steps
from remix_desktop.engine.protocol import Img2ImgJob

from ..sd_fixture import frame_png as _png
from ..sd_fixture import (build_sdxs_fixture, clip_l_tensors, parameter_count,
                          sdxs_checkpoint_tensors, sdxs_unet_tensors,
                          write_sparse_safetensors)


@pytest.fixture(scope="session")
def sdxs(tmp_path_factory):
    """(checkpoint, taesd): sparse all-zero files, built once per session (milliseconds)."""
    return build_sdxs_fixture(tmp_path_factory.mktemp("sdxs"))


def _job(model, taesd=None, **kw):
    args = dict(prompt="a cat in a hat", negative_prompt="blurry", strength=0.5, steps=4,
                cfg=1.0, sampler="euler_a", seed=7, width=64, height=64, n_threads=2)
    args.update(kw)
    return lambda job_id: Img2ImgJob(job_id, str(model), str(taesd) if taesd else None,
                                     _png(), **args)


def test_the_fixture_is_an_sparse_sdxs_512_checkpoint(sdxs):
    model, taesd = sdxs
    info = inspect_model(model)
    assert (info.family, info.variant, info.complete) == ("sdxs", "SDXS_512_DS", True)
    assert inspect_model(taesd).family == "taesd"
    # CLIP-L plus the tiny UNet: about 439M parameters, as in the real SDXS-512
    assert 430e6 < parameter_count({**clip_l_tensors(), **sdxs_unet_tensors()}) < 445e6
    names = sdxs_checkpoint_tensors()
    assert not any("middle_block" in n or "output_blocks.7.1" in n for n in names)
    assert os.stat(model).st_blocks * 512 < 1 << 20, "sparse: under 1 MiB on disk"
    assert model.stat().st_size > 800 << 20


def test_img2img_in_the_worker_returns_a_png_and_keeps_the_model_loaded(client, sdxs):
    model, _ = sdxs
    seen = []
    done = client.run(_job(model), on_progress=seen.append)
    image = Image.open(io.BytesIO(done.result))
    assert image.format == "PNG" and image.size == (64, 64) and image.mode == "RGB"
    total = planned_steps(4, 0.5)
    assert total == 3
    sampling = [p for p in seen if p.message == "sampling"]
    assert sampling[-1].done == sampling[-1].total == total
    assert [p.done for p in sampling if p.done] == [1, 2, 3]
    previews = [Image.open(io.BytesIO(p.preview)) for p in sampling if p.preview]
    assert previews and previews[0].size == (8, 8), "a latent-sized preview per step"
    t = done.timings
    assert t["family"] == "sdxs" and t["load_s"] > 0 and t["steps"] == total
    assert all(t[k] >= 0 for k in ("encode_s", "sampling_s", "decode_s"))

    pid = client.pid
    again = client.run(_job(model, width=128, height=96, strength=1.0, steps=2))
    assert Image.open(io.BytesIO(again.result)).size == (128, 96)
    assert again.timings["load_s"] == 0.0, "the model stayed loaded"
    assert client.pid == pid and client.starts == 1


def test_a_new_model_in_the_same_worker_after_a_job_does_not_crash(client, sdxs):
    """0.4.7 keeps the last progress callback registered process-wide; loading another
    model after a job (which reports progress) must not call the dead one."""
    model, taesd = sdxs
    client.run(_job(model))
    pid = client.pid
    done = client.run(_job(model, taesd))  # another key: a fresh load in the same process
    assert done.timings["load_s"] > 0 and client.pid == pid
    assert Image.open(io.BytesIO(done.result)).size == (64, 64)


def test_cancel_kills_the_worker_and_the_next_job_works(client, sdxs):
    model, _ = sdxs
    client.run(_job(model))
    old_pid = client.pid

    def on_progress(p):
        if p.message == "sampling":
            client.cancel()

    with pytest.raises(JobCancelled):
        client.run(_job(model, steps=40, strength=1.0), on_progress=on_progress)
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)
    done = client.run(_job(model))
    assert client.starts == 2 and done.timings["load_s"] > 0
    assert Image.open(io.BytesIO(done.result)).size == (64, 64)


def test_an_out_of_memory_kill_during_sampling_is_a_clear_error(client, sdxs):
    """The kernel's OOM killer sends SIGKILL: the job fails with a sentence saying so, and
    the next job gets a fresh worker."""
    model, _ = sdxs
    killed = []

    def on_progress(p):
        if p.message == "sampling" and not killed:
            killed.append(client.pid)
            os.kill(client.pid, signal.SIGKILL)

    with pytest.raises(EngineCrashed, match="killed, perhaps for lack of memory"):
        client.run(_job(model, steps=40, strength=1.0), on_progress=on_progress)
    done = client.run(_job(model))
    assert client.pid != killed[0] and client.starts == 2
    assert Image.open(io.BytesIO(done.result)).size == (64, 64)


@pytest.mark.parametrize("damage", ["random", "truncated", "not_a_model"])
def test_a_corrupt_model_is_a_clear_error_and_the_worker_survives(client, sdxs, tmp_path,
                                                                    damage):
    model, _ = sdxs
    client.run(_job(model))
    pid = client.pid
    bad = tmp_path / "bad.safetensors"
    if damage == "random":
        bad.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        with open(model, "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            bad.write_bytes(struct.pack("<Q", length) + fh.read(length // 2))
    else:  # a valid safetensors file holding something else
        write_sparse_safetensors(bad, {"weight": (4, 4)})
    with pytest.raises(EngineError, match="bad.safetensors"):
        client.run(_job(bad))
    assert client.pid == pid, "the worker lives on"
    assert Image.open(io.BytesIO(client.run(_job(model)).result)).size == (64, 64)


def test_a_checkpoint_stable_diffusion_cpp_refuses_is_an_error_not_a_crash(client, tmp_path):
    """The header is fine and the family is SDXS, but the autoencoder is missing: sd.cpp
    fails the load, and the wrapper's NULL context must not be freed (a segfault)."""
    shapes = {**clip_l_tensors(), **sdxs_unet_tensors()}
    incomplete = write_sparse_safetensors(tmp_path / "no-vae.safetensors", shapes)
    assert inspect_model(incomplete).family == "sdxs"
    with pytest.raises(EngineError, match="could not load 'no-vae.safetensors'"):
        client.run(_job(incomplete))
    pid = client.pid
    assert pid is not None
    with pytest.raises(EngineError, match="could not load"):
        client.run(_job(incomplete))
    assert client.pid == pid and client.starts == 1


def test_a_taesd_that_is_not_one_is_refused_before_loading(client, sdxs):
    model, _ = sdxs
    with pytest.raises(EngineError, match="not a TAESD"):
        client.run(_job(model, taesd=model))
    assert client.starts == 1 and client.pid is not None
